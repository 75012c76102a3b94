"""Fixtures of the API tests: an engine on a real library, the app in process, a live server."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parent))

from api_helpers import GatedEngine  # noqa: E402

from image2model_desktop.core.engine import Engine  # noqa: E402
from image2model_desktop.core.models import EngineName  # noqa: E402
from image2model_desktop.core.paths import LibraryPaths  # noqa: E402
from image2model_desktop.core.service import JobService  # noqa: E402
from image2model_desktop.core.settings import ApiServerSettings, Settings  # noqa: E402
from image2model_desktop.core.store import Store  # noqa: E402
from image2model_desktop.engines import create_engine  # noqa: E402
from image2model_desktop.server import EmbeddedApiServer, close_app, create_app  # noqa: E402

API_KEY = "test-key-7Rq2xv9LmZ"


@pytest.fixture(scope="session", autouse=True)
def _process_pool() -> Iterator[None]:
    """The offline engine's worker processes: stopped once, after the last test."""
    yield
    from image2model_desktop.core.workers import shutdown_process_pool

    shutdown_process_pool()


class Library:
    """A job engine on this test's own data directory."""

    def __init__(self, root: Path, engine: Engine | None) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.paths = LibraryPaths(root)
        self.store = Store.open(self.paths.database, lock_path=self.paths.lock_file)

        def factory(name: EngineName) -> Engine:
            return engine if engine is not None else create_engine(name, data_dir=root)

        self.service = JobService(
            self.store, self.paths, Settings(engine="offline"), factory, has_fal_key=lambda: False
        )

    async def close(self) -> None:
        await self.service.aclose()
        self.store.close()


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


AUTH = {"Authorization": f"Bearer {API_KEY}"}


def in_process_client(library: Library, **settings: object) -> httpx.AsyncClient:
    app = create_app(
        library.service,
        api_key=API_KEY,
        settings=ApiServerSettings(**settings),  # type: ignore[arg-type]
        bound_host="127.0.0.1",
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
    client.app = app  # type: ignore[attr-defined]
    return client


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


async def start_live(library: Library, **options: object) -> EmbeddedApiServer:
    heartbeat = float(options.pop("heartbeat_interval", 15.0))  # type: ignore[arg-type]
    access_log = bool(options.pop("access_log", False))
    settings = ApiServerSettings(port=0, **options)  # type: ignore[arg-type]
    server = EmbeddedApiServer(
        library.service, settings, API_KEY, heartbeat_interval=heartbeat, access_log=access_log
    )
    await server.start()
    return server


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
