"""Switch the embedded local HTTP API on and off from the window.

The server module (and FastAPI/uvicorn, 0.6 s of imports) is imported only
when the user turns the API on. If this build has no server module, the
Settings dialog says so instead of failing. It follows the settings itself:
a change of the API's settings brings the server in line.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
from collections.abc import Callable
from typing import Any

from image2model_desktop.core.errors import Image2ModelError
from image2model_desktop.core.settings import ApiServerSettings, Settings
from image2model_desktop.gui.background import spawn
from image2model_desktop.runtime import Runtime

log = logging.getLogger(__name__)


class ApiController:
    """Own the embedded server: start, stop, and describe it in one sentence."""

    def __init__(self, runtime: Runtime) -> None:
        self._service = runtime.service
        self._server: Any = None
        self._unsubscribe: Callable[[], None] | None = runtime.subscribe_settings(self._on_settings)
        #: The per-launch key (or IMAGE2MODEL_API_KEY), shown in Settings.
        self.api_key = os.environ.get("IMAGE2MODEL_API_KEY") or secrets.token_urlsafe(24)
        self.status = "Off."
        #: Whether the last attempt to start failed (the status then says why).
        self.failed = False
        #: The settings the server was last brought in line with (None: never).
        self.applied: ApiServerSettings | None = None

    @property
    def running(self) -> bool:
        return bool(self._server is not None and getattr(self._server, "running", False))

    @staticmethod
    def available() -> bool:
        try:
            import importlib.util

            return importlib.util.find_spec("image2model_desktop.server.embedded") is not None
        except (ImportError, ValueError):
            return False

    async def apply(self, settings: ApiServerSettings) -> str:
        """Bring the server in line with ``settings``; return the status sentence."""
        self.applied = settings
        self.failed = False
        if not settings.enabled:
            await self.stop()
            self.status = "Off."
            return self.status
        if self.running:
            await self.stop()
        try:
            from image2model_desktop.server.embedded import EmbeddedApiServer
        except ImportError as error:
            log.info("Local API unavailable: %s", error)
            self.status = "Not available in this build."
            self.failed = True
            return self.status
        server = EmbeddedApiServer(self._service, settings, self.api_key)
        try:
            port = await server.start()
        except (Image2ModelError, OSError) as error:
            # The server raises SetupError wrapping the OSError of bind(); both end here.
            log.warning("The local API did not start: %s", error)
            self.status = _start_failure(settings.port, error)
            self.failed = True
            return self.status
        self._server = server
        self.status = f"Running at {getattr(server, 'url', f'http://127.0.0.1:{port}')}"
        return self.status

    def _on_settings(self, old: Settings, new: Settings) -> None:
        # Against what the server was last brought in line with: a port tried (and
        # kept) from the Settings dialog is not applied twice.
        if new.api != (self.applied or old.api):
            spawn(self.apply(new.api))

    def detach(self) -> None:
        """Stop following the settings (the window is closing)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                await server.stop()
            except Exception:
                log.exception("The local API did not stop cleanly")


def _start_failure(port: int, error: BaseException) -> str:
    """One sentence for a server that did not start: a taken port is the usual case."""
    cause = error if isinstance(error, OSError) else error.__cause__
    if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
        return (
            f"Not running: port {port} is already used by another program; "
            "pick another port (0 lets the system choose)."
        )
    if isinstance(error, Image2ModelError):
        return f"Not running: {error.user_message}"
    reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else error
    return f"Not running: port {port} could not be opened ({reason})."
