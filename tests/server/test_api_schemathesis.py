"""Property-based: every operation of the OpenAPI, fed generated input, never answers 5xx."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

from .api_helpers import API_KEY, AUTH, Library, start_live

STARTUP_SECONDS = 30.0
#: Examples per operation: enough to vary every field, bounded to keep the suite quick.
EXAMPLES = 15


class ThreadedServer:
    """The API on its own loop in a thread, since schemathesis calls it synchronously."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        if not self._ready.wait(STARTUP_SECONDS):
            raise RuntimeError("the API server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(STARTUP_SECONDS)

    async def _main(self) -> None:
        library = Library(self.root, None)
        await library.service.start()
        # Generated uploads come fast: lift the per-minute limit for this run.
        server = await start_live(library, upload_rate_per_minute=1_000_000)
        self.url, self._loop, self._stop = server.url, asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await server.stop()
            await library.close()


def check(case: schemathesis.Case) -> None:
    # Always the right key, so generation reaches past the 403 into parameters and
    # bodies (the refusals have their own tests).
    case.headers = {
        **{k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"},
        **AUTH,
    }
    if "stream" in case.path:
        case.query = {**(case.query or {}), "timeout": 1}
    response = case.call(timeout=30)
    assert response.status_code < 500, (case.as_curl_command(), response.text[:300])
    assert API_KEY not in response.text


def test_no_server_errors(isolated_environment: Path) -> None:
    # schemathesis' pytest plugin does not run under pytest 9, so drive hypothesis directly.
    with ThreadedServer(isolated_environment) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 12
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                check(case)

            run()
