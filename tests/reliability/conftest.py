"""Fixtures of the reliability suite: the fake FAL with quick backoff, and the headless app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from faultrig import FalRig

from image2model_desktop.engines.fal.timeouts import FalTimeouts
from tests.fakefal import FakeFal


@pytest.fixture(scope="session", autouse=True)
def _process_pool() -> Iterator[None]:
    """Mesh inspection's worker processes: stopped once, after the last test."""
    yield
    from image2model_desktop.core.workers import shutdown_process_pool

    shutdown_process_pool()


#: The engine's retry schedule (5 tries, doubling) but in milliseconds.
QUICK_RETRIES = FalTimeouts(backoff_base=0.02)


@pytest_asyncio.fixture
async def rig(fake: FakeFal, isolated_environment: Path) -> AsyncIterator[FalRig]:
    r = FalRig(isolated_environment, fake, QUICK_RETRIES, concurrency=4)
    yield r
    await r.close()
