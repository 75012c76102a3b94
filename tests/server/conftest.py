"""Fixtures of the API tests: an engine on a real library, the app in process, a live server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from image2model_desktop.core.paths import LibraryPaths
from image2model_desktop.core.service import JobService
from image2model_desktop.core.settings import ApiServerSettings, Settings
from image2model_desktop.core.store import Store
from image2model_desktop.engines.fal.engine import FalEngine
from image2model_desktop.engines.stats import model_stats
from image2model_desktop.server import EmbeddedApiServer, close_app, create_app
from tests.fakefal import FakeFal

from .api_helpers import API_KEY, GatedEngine, Library, in_process_client, start_live


@pytest.fixture(scope="session", autouse=True)
def _process_pool() -> Iterator[None]:
    """The offline engine's worker processes: stopped once, after the last test."""
    yield
    from image2model_desktop.core.workers import shutdown_process_pool

    shutdown_process_pool()


@pytest.fixture
def gated() -> GatedEngine:
    return GatedEngine()


@pytest_asyncio.fixture
async def library(isolated_environment: Path) -> AsyncIterator[Library]:
    """The real offline engine."""
    lib = Library(isolated_environment, None)
    await lib.service.start()
    yield lib
    await lib.close()


@pytest_asyncio.fixture
async def gated_library(isolated_environment: Path, gated: GatedEngine) -> AsyncIterator[Library]:
    """An engine whose files wait until the test opens ``gated.gate``."""
    lib = Library(isolated_environment, gated)
    await lib.service.start()
    yield lib
    gated.gate.set()
    await lib.close()


@pytest_asyncio.fixture
async def client(library: Library) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process_client(library) as c:
        yield c
    close_app(c.app)  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def gated_client(gated_library: Library) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process_client(gated_library) as c:
        yield c
    close_app(c.app)  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def live(library: Library) -> AsyncIterator[EmbeddedApiServer]:
    server = await start_live(library)
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def live_gated(gated_library: Library) -> AsyncIterator[EmbeddedApiServer]:
    server = await start_live(gated_library, heartbeat_interval=0.3)
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def live_client(live: EmbeddedApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as c:
        yield c


@pytest_asyncio.fixture
async def live_gated_client(live_gated: EmbeddedApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_gated.url, timeout=30) as c:
        yield c


@pytest_asyncio.fixture
async def fal_api(
    tmp_path: Path, fake: FakeFal
) -> AsyncIterator[tuple[JobService, httpx.AsyncClient]]:
    """A FAL-engine service on a fresh library and an in-process API client for it."""
    paths = LibraryPaths(tmp_path / "lib")
    paths.root.mkdir(parents=True)
    store = Store.open(paths.database)
    service = JobService(
        store,
        paths,
        Settings(engine="fal"),
        lambda name: FalEngine(key=fake.key),
        has_fal_key=lambda: True,
        inspect_model=model_stats,
    )
    app = create_app(service, api_key=API_KEY, settings=ApiServerSettings(), bound_host="127.0.0.1")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
    yield service, client
    await client.aclose()
    await service.aclose()
    store.close()
