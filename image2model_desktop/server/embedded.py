"""Run the API inside an app that owns the event loop (the window's qasync loop, or ``serve``).

uvicorn is a guest here, as Anki's media server is in Anki: it binds
127.0.0.1 by default, takes an OS-picked port when asked for port 0, reports
when it is ready, and stops on request. Three things keep it polite (see
docs/architecture.md): it installs no signal handlers (the host app owns Ctrl-C),
open event streams are ended before shutdown, and a graceful-shutdown timeout
bounds how long a stuck client can hold the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from image2model_desktop.core.errors import SetupError
from image2model_desktop.core.settings import ApiServerSettings

from .app import close_app, create_app
from .logs import KeyScrubFilter, install_key_scrubber, remove_key_scrubber

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

log = logging.getLogger(__name__)

#: Seconds uvicorn waits for open requests before cancelling them on stop.
GRACEFUL_SHUTDOWN_SECONDS = 3


class _GuestServer(uvicorn.Server):
    """A uvicorn server that leaves signals to its host and says when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn would replace the host's SIGINT handler and re-raise the signal
        # after shutdown, which ends a Qt app in a storm of tracebacks.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves: errors surface here, and port 0 is resolved."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SetupError(
            f"The local API cannot listen on {host}:{port} ({error.strerror or error}). "
            "Pick another port in Settings (0 lets the system choose)."
        ) from error
    sock.set_inheritable(False)
    return sock


class EmbeddedApiServer:
    """Switch the local API on and off on the running event loop."""

    def __init__(
        self,
        service: JobService,
        settings: ApiServerSettings,
        api_key: str,
        *,
        heartbeat_interval: float = 15.0,
        access_log: bool = False,
    ) -> None:
        self.service = service
        self.settings = settings
        self.api_key = api_key
        self.heartbeat_interval = heartbeat_interval
        self.access_log = access_log
        self.port: int | None = None
        self.app: FastAPI | None = None
        self._server: _GuestServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._scrubber: KeyScrubFilter | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def url(self) -> str:
        """The base URL clients use (``http://127.0.0.1:8000``)."""
        if self.port is None:
            raise RuntimeError("the API server is not running")
        host = self.settings.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    async def start(self) -> int:
        """Start serving; return the port actually bound. Raise SetupError if it cannot."""
        if self.running:
            assert self.port is not None
            return self.port
        await asyncio.to_thread(self._sweep_staging)
        sock = _bind(self.settings.host, self.settings.port)
        port = int(sock.getsockname()[1])
        app = create_app(
            self.service,
            api_key=self.api_key,
            settings=self.settings,
            bound_host=self.settings.host,
            heartbeat_interval=self.heartbeat_interval,
        )
        config = uvicorn.Config(
            app,
            host=self.settings.host,
            port=port,
            # A guest: the host app owns logging (and the file log); no dictConfig here.
            log_config=None,
            access_log=self.access_log,
            lifespan="off",
            ws="none",
            server_header=False,
            # Links are built from how the client reached us; a loopback client must not
            # rewrite that (or its address, which the upload rate limit counts) with X-Forwarded-*.
            proxy_headers=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        server = _GuestServer(config)
        self._scrubber = install_key_scrubber(self.api_key)
        task = asyncio.get_running_loop().create_task(
            server.serve(sockets=[sock]), name="image2model-api"
        )
        ready = asyncio.ensure_future(server.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            sock.close()
            close_app(app)
            self._drop_scrubber()
            error = None if task.cancelled() else task.exception()
            log.error("The local API did not start: %r", error)
            raise SetupError("The local API could not start; the log file has the details.")
        self.app, self._server, self._task, self.port = app, server, task, port
        log.info("Local API listening on %s", self.url)
        return port

    async def stop(self) -> None:
        """Stop serving: end event streams, let requests finish (bounded), release the port."""
        task, server, app = self._task, self._server, self.app
        self._task = self._server = self.app = None
        if app is not None:
            close_app(app)
        if task is not None and server is not None:
            server.should_exit = True
            try:
                await asyncio.wait_for(asyncio.shield(task), GRACEFUL_SHUTDOWN_SECONDS + 5)
            except TimeoutError:
                server.force_exit = True
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._drop_scrubber()
        if self.port is not None:
            log.info("Local API stopped")
        self.port = None

    def _drop_scrubber(self) -> None:
        if self._scrubber is not None:
            remove_key_scrubber(self._scrubber)
            self._scrubber = None

    def _sweep_staging(self) -> None:
        # Uploads half-read when a previous server stopped or crashed.
        shutil.rmtree(self.service.paths.staging / "api-uploads", ignore_errors=True)
