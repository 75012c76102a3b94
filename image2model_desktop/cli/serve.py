"""``image2model serve``: the local API without a window, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

from image2model_desktop.core.errors import Image2ModelError
from image2model_desktop.core.settings import ApiServerSettings

from .batch import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    # The server package imports FastAPI and uvicorn (0.6 s): loaded only to serve.
    from image2model_desktop.server.embedded import EmbeddedApiServer

EXIT_FORCED = 130
ENGINE_ENV = "IMAGE2MODEL_ENGINE"


def add_serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .generate import concurrency

    serve = commands.add_parser("serve", help="run the local HTTP API (no window)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--engine", choices=("auto", "offline", "fal"), default=None)
    serve.add_argument("--concurrency", type=concurrency, default=None, metavar="N")


def run_serve(args: argparse.Namespace) -> int:
    """Run the API on ``args.host``:``args.port`` until interrupted; return the exit code."""
    try:
        return asyncio.run(_serve(args))
    except Image2ModelError as error:
        print(f"image2model: {error.user_message}", file=sys.stderr)
        return EXIT_USAGE


def _console_logging() -> None:
    """Show requests and server notes in the terminal (the file log gets them too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    for name in ("uvicorn.error", "uvicorn.access", "image2model_desktop.server"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)


async def _serve(args: argparse.Namespace) -> int:
    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.runtime import open_runtime
    from image2model_desktop.server.auth import api_key_from_environment
    from image2model_desktop.server.embedded import EmbeddedApiServer

    runtime = open_runtime()
    try:
        service = runtime.service
        engine = args.engine or os.environ.get(ENGINE_ENV) or runtime.settings.engine
        # Only in memory: `serve --engine` must not change the window's saved setting.
        runtime.apply_settings(runtime.settings.model_copy(update={"engine": engine}), save=False)
        resolved = service.resolve_engine(service.settings.engine)
        if args.concurrency:
            service.set_concurrency(args.concurrency)
        # Validated, so a bad --port is a usage error and not a crash.
        settings = ApiServerSettings.model_validate(
            {**runtime.settings.api.model_dump(), "host": args.host, "port": args.port}
        )
        api_key, from_env = api_key_from_environment()
        _console_logging()
        resumed = await service.start()
        server = EmbeddedApiServer(service, settings, api_key, access_log=True)
        await server.start()
        _announce(server, resolved, api_key, from_env, len(resumed))
        await _wait_for_interrupt()
        print("\nStopping… unfinished files resume on the next start.", file=sys.stderr)
        await server.stop()
        return EXIT_OK
    finally:
        await runtime.aclose()
        shutdown_process_pool()


def _announce(
    server: EmbeddedApiServer, engine: str, api_key: str, from_env: bool, resumed: int
) -> None:
    from image2model_desktop.server.auth import API_KEY_ENV
    from image2model_desktop.server.security import is_loopback

    print(f"Image2Model API on {server.url}  (engine: {engine})")
    print(f"Docs:    {server.url}/docs")
    if from_env:
        print(f"API key: the value of {API_KEY_ENV}")
    else:
        # Printed once, here, and never logged: set IMAGE2MODEL_API_KEY to keep one key.
        print(f"API key: {api_key}")
    print(f"Use it as:  Authorization: Bearer <key>   (set {API_KEY_ENV} to choose your own)")
    if resumed:
        print(f"Resuming {resumed} unfinished batch(es).")
    if not is_loopback(server.settings.host) and server.settings.host != "localhost":
        print(
            f"Note: listening on {server.settings.host}; requests must address it by that "
            "host (or a loopback name).",
            file=sys.stderr,
        )
    print("Press Ctrl-C to stop.", flush=True)


async def _wait_for_interrupt() -> None:
    """Wait for the first Ctrl-C (or SIGTERM); a second Ctrl-C leaves at once."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal() -> None:
        if stop.is_set():
            # The library keeps every state: the next start resumes unfinished files.
            os._exit(EXIT_FORCED)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        # asyncio.run closes the loop at the end, which removes these handlers.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal)
    await stop.wait()
