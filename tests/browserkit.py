"""Debian's Chromium driven by Playwright, and a static site on loopback: for the browser tests.

Nothing is downloaded for the browser itself (bootstrap.sh installs Debian's
``chromium``); the three.js test installs its npm package at test time into a
cache under the system's temporary folder (``npm_package``).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: WebGL without a GPU: ANGLE on SwiftShader. Chromium 156 still falls back to it by
#: itself (measured: WebGL 2 answers "SwiftShader driver" with --disable-gpu), but
#: Chromium has announced that the automatic fallback goes; this flag keeps it.
WEBGL_ARGS = ["--enable-unsafe-swiftshader"]


def require_playwright_driver() -> None:
    """Fail with the driver's own words when Playwright's Node.js cannot start.

    Otherwise ``sync_playwright()`` reports only that its pipe closed: on a fresh
    Debian 12 the real cause ("libatomic.so.1: cannot open shared object file")
    was never shown.
    """
    from playwright._impl._driver import compute_driver_executable, get_driver_env

    node, cli = compute_driver_executable()
    ran = subprocess.run(
        [node, cli, "--version"], capture_output=True, text=True, env=get_driver_env(), timeout=60
    )
    if ran.returncode != 0:
        pytest.fail(
            f"Playwright's driver ({node}) does not start (exit {ran.returncode}): "
            f"{(ran.stderr or ran.stdout).strip()}"
        )


def require_browser() -> None:
    """Skip only on a developer's machine without Chromium; in CI the test must run."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: bootstrap.sh installs Debian's chromium.")
    pytest.skip(f"{CHROMIUM} is missing: run ./bootstrap.sh (installs Debian's chromium).")


def require_playwright() -> None:
    """Skip without Playwright on a developer's machine; in CI its absence fails at import."""
    if not os.environ.get("CI"):
        pytest.importorskip("playwright", reason="playwright is a dev extra: run ./bootstrap.sh")
    require_playwright_driver()


def require_node_tool(tool: str) -> str:
    """The path of ``node`` or ``npm``; without it: skipped on a developer machine, failed in CI."""
    found = shutil.which(tool)
    if found is not None:
        return found
    message = f"{tool} is missing: bootstrap.sh installs Debian's nodejs and npm for this test."
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def npm_package(name: str, version: str) -> Path:
    """Install ``name@version`` from the npm registry once; return its folder.

    Cached in the system's temporary folder, so repeated runs reuse it. Installed
    into a folder of its own and renamed into place, so two runs at once never
    see half a package.
    """
    npm = require_node_tool("npm")
    cache = Path(tempfile.gettempdir()) / "image2model-test-npm"
    final = cache / f"{name}-{version}"
    package = final / "node_modules" / name
    if (package / "package.json").is_file():
        return package
    cache.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{name}-{version}-", dir=cache))
    try:
        ran = subprocess.run(
            [npm, "install", "--prefix", str(partial), "--no-audit", "--no-fund",
             "--ignore-scripts", "--no-save", "--no-package-lock", f"{name}@{version}"],
            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if ran.returncode != 0:
            pytest.fail(f"npm install {name}@{version} failed: {ran.stderr.strip()[-2000:]}")
        with contextlib.suppress(OSError):  # another run got there first: use its copy
            partial.rename(final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return package


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on its own loopback port; yield its origin."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
