"""Start the window: QApplication, the qasync loop, the runtime, then the 3D stack.

Order matters for a fast first paint: Qt and the core (~0.3 s) come first, the
window is shown, and only once it is on screen are the model loader's
libraries and the engines imported, in a thread, and the GL view created.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from image2model_desktop.core.errors import StoreLockedError
from image2model_desktop.gui.background import cancel_all, in_thread, shutdown_executor
from image2model_desktop.gui.gc_guard import MainThreadCollector
from image2model_desktop.gui.qt import QApplication, QIcon, QMessageBox, QWidget
from image2model_desktop.gui.style import STYLESHEET
from image2model_desktop.resources import app_icon_path

if TYPE_CHECKING:  # the window's modules load after the first paint is scheduled
    from image2model_desktop.gui.shell.window import MainWindow
    from image2model_desktop.runtime import Runtime

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class Session:
    """Everything one window needs, built by ``bootstrap``."""

    app: QApplication
    loop: asyncio.AbstractEventLoop
    window: MainWindow
    runtime: Runtime
    temp_root: Path | None = None
    collector: MainThreadCollector | None = None


def platform_dialogs() -> None:
    """Ask Qt for the desktop's own file dialogs (and colour scheme) on Linux desktops.

    GNOME already gets GTK's dialog from Qt's gtk3 theme; elsewhere (KDE, Xfce…)
    Qt falls back to its own dialog unless told to use the XDG desktop portal,
    which opens the desktop's dialog and reports its light/dark choice. Without a
    portal running, Qt keeps its own dialog: nothing is lost. A theme the user set
    (QT_QPA_PLATFORMTHEME) is left alone.
    """
    desktop = os.environ.get("XDG_CURRENT_DESKTOP", "")
    if (
        sys.platform.startswith("linux")
        and "QT_QPA_PLATFORMTHEME" not in os.environ
        and desktop
        and "GNOME" not in desktop.upper()
    ):
        os.environ["QT_QPA_PLATFORMTHEME"] = "xdgdesktopportal"


def make_application() -> QApplication:
    existing = QApplication.instance()
    if existing is None:
        platform_dialogs()
    # Qt names the X11 window class after argv[0]; a fixed one keeps it equal to the
    # .desktop file's StartupWMClass whether started from source or the bundle.
    app = existing if isinstance(existing, QApplication) else QApplication(["image2model"])
    app.setApplicationName("Image2Model")
    app.setOrganizationName("Image2Model")
    app.setDesktopFileName("image2model")
    app.setStyleSheet(STYLESHEET)
    # The session coroutine ends the app after cleanup; Qt quitting by itself on
    # the last close would stop the qasync loop mid-cleanup.
    app.setQuitOnLastWindowClosed(False)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256, 512):
        path = app_icon_path(size)
        if path.exists():
            icon.addFile(str(path))
    return icon


def bootstrap(root: Path | None = None, *, self_test: bool = False) -> Session:
    """Build the app, the loop, the runtime and the window (not shown yet).

    Raises ``StoreLockedError`` when another instance holds the library.
    """
    from image2model_desktop.gui.qtloop import QtEventLoop
    from image2model_desktop.gui.shell.window import MainWindow
    from image2model_desktop.runtime import open_runtime

    app = make_application()
    # Worker threads (uploads with their TLS, model parsing) hold the GIL for up
    # to the switch interval each before the Qt thread gets it back (5 ms by
    # default). At 1 ms, bench/gui_lag.py with 25 files in flight measured loop
    # stalls of p99 19-25 ms / max 38-45 ms, against 24-31 / 41-49 ms.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    temp_root = None
    if self_test and root is None:
        # The self-test never touches the user's library: it gets its own, deleted after.
        temp_root = Path(tempfile.mkdtemp(prefix="image2model-selftest-"))
        root = temp_root
    runtime = open_runtime(root)
    loop = QtEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = MainThreadCollector(app)
    collector.start()
    window = MainWindow(runtime, app_icon())
    return Session(app, loop, window, runtime, temp_root, collector)


async def wait_exposed(widget: QWidget, timeout: float = 10.0) -> None:
    """Return once ``widget``'s window is on screen (mapped and exposed) and painted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handle = widget.windowHandle()
        if handle is not None and handle.isExposed():
            break
        await asyncio.sleep(0.01)
    # One more turn of the loop lets the expose event's paint happen.
    await asyncio.sleep(0.01)


#: The GIL switch interval in the window's process (see ``bootstrap``).
GIL_SWITCH_SECONDS = 0.001

#: Imported in a thread: the model loader's Qt-free libraries and PyVista's drawing side
#: (about 1.2 s, which would freeze the window on the Qt thread).
_THREAD_SAFE_3D_MODULES = (
    "image2model_desktop.mesh.scene",
    "trimesh",
    "PIL.Image",
    "pyvista",
    "pyvista.plotting",
    "vtkmodules.vtkRenderingOpenGL2",
    "image2model_desktop.mesh.stage",
)
#: pyvistaqt's Qt side: Shiboken creating Qt types in a thread while the Qt thread
#: runs crashed (segfault, once in ten runs), so these import on the Qt thread, one
#: per turn of the loop (15–35 ms each measured) instead of one 200 ms stall.
_QT_3D_MODULES = (
    "qtpy.QtCore",
    "qtpy.QtGui",
    "qtpy.QtWidgets",
    "pyvistaqt",
    "image2model_desktop.gui.preview.view3d",
)
#: Imported lazily by the engine on the loop thread at the first file (a 0.2–0.3 s
#: stall measured by bench/gui_lag.py); importing them early in a thread avoids it.
_ENGINE_MODULES = (
    "image2model_desktop.engines.fal.engine",
    "image2model_desktop.engines.offline.engine",
    "image2model_desktop.mesh.inspect",
    # The FAL engine imports fal-client at its first upload; PySide's import hook
    # then reads each new module's source on the loop (20–40 ms measured).
    "fal_client",
    # httpx's async client loads anyio's asyncio backend at its first request
    # (35 ms on the loop, measured with bench/gui_lag.py at the first upload).
    "anyio._backends._asyncio",
)
#: How often the 3D set-up checks whether a batch has ended.
_IDLE_POLL_SECONDS = 0.25


async def load_3d_stack(window: MainWindow) -> None:
    """Import PyVista, then create the preview's interactor on the Qt thread and warm it up.

    The heavy, Qt-free imports run in a thread. What must run on the Qt thread
    (pyvistaqt's Qt modules, the interactor, the warm-up draw) waits until no
    batch is running, so it never competes with one. Without OpenGL the
    preview keeps a placeholder saying so, and everything else works.
    """
    for name in (*_THREAD_SAFE_3D_MODULES, *_ENGINE_MODULES):
        try:
            await in_thread(importlib.import_module, name)
        except ImportError as error:  # a build without the FAL engine still runs offline
            if name not in _ENGINE_MODULES:
                raise
            log.info("Not preloading %s: %s", name, error)
    for name in _QT_3D_MODULES:
        await _until_idle(window)
        importlib.import_module(name)
        await asyncio.sleep(0)
    MainThreadCollector.freeze()
    await _until_idle(window)
    try:
        # Its own turn of the loop (the first OpenGL context costs 20–50 ms), then the
        # interactor in the next (it asks again and gets the cached answer).
        from image2model_desktop.gui.preview.glcheck import opengl_renderer

        opengl_renderer()
        await asyncio.sleep(0)
        window.attach_preview()
    except Exception as error:
        log.warning("No 3D preview: %s", error)
        window.preview_unavailable()
        return
    staging = window.runtime.paths.staging
    staging.mkdir(parents=True, exist_ok=True)
    await _until_idle(window)
    try:
        await window.warm_up_preview(staging)
    except Exception:
        log.warning("Preview warm-up failed", exc_info=True)
    # Again with the view and its warm-up: the window's long-lived objects; they are
    # unfrozen when the window closes (``close_session``), so they can be freed then.
    MainThreadCollector.freeze()


async def _until_idle(window: MainWindow) -> None:
    """Return when the window runs no batch (at once when it runs none)."""
    while window.batch_running():
        await asyncio.sleep(_IDLE_POLL_SECONDS)


async def _session(session: Session, args: argparse.Namespace) -> int:
    window = session.window
    try:
        await wait_exposed(window)
        starting = asyncio.ensure_future(window.start(list(args.photos or [])))
        try:
            await load_3d_stack(window)
        except Exception:
            log.exception("The 3D preview could not start")
            window.preview_unavailable(
                "The 3D preview could not start on this computer; models can still be saved."
            )
        await starting
        if args.self_test:
            from image2model_desktop.gui.selftest import run_self_test

            return await run_self_test(window, args.screenshot)
        await window.wait_closed()
        return EXIT_OK
    finally:
        await close_session(session)


async def close_session(session: Session, *, stop_workers: bool = True) -> None:
    """Tear down in dependency order: widgets' 3D view, background work, the engine."""
    from image2model_desktop.core.workers import shutdown_process_pool

    window = session.window
    await window.shutdown()
    window.close()
    MainThreadCollector.unfreeze()
    # Free the widgets now, on the Qt thread, not whenever a collector finds them.
    window.deleteLater()
    await cancel_all()
    await session.runtime.aclose()
    if stop_workers:
        shutdown_process_pool()


#: Exit status of a second Ctrl-C, which leaves at once (the shell's code for SIGINT).
EXIT_INTERRUPTED = 130


def _close_on_interrupt(session: Session) -> None:
    """Ctrl-C (SIGINT) and SIGTERM close the window as its close button does.

    Without a handler, Python's KeyboardInterrupt surfaced wherever the Qt loop
    happened to be: the window either ignored Ctrl-C or stopped on an
    "unexpected error" and crashed in teardown. Closing the window ends
    ``_session`` normally, so running files stay resumable and nothing is left
    half-written. A second signal leaves at once, as the command line does: the
    library keeps every state for the next start.
    """
    closing = False

    def on_signal() -> None:
        nonlocal closing
        if closing:
            os._exit(EXIT_INTERRUPTED)
        closing = True
        print(
            "\nClosing… unfinished files resume on the next start (Ctrl-C again to quit now).",
            file=sys.stderr,
            flush=True,
        )
        session.window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            session.loop.add_signal_handler(sig, on_signal)
        except (NotImplementedError, RuntimeError):  # Windows: the console's Ctrl-C stays Qt's
            log.debug("No %s handler on this platform", sig.name)


def run_gui(args: argparse.Namespace) -> int:
    """Open the window (the CLI's default command); return the exit code.

    When a window already runs on this library, the photos go to it and this exits 0.
    """
    if not args.self_test:
        from image2model_desktop.core.paths import data_dir
        from image2model_desktop.gui.shell.single_instance import hand_over

        make_application()
        if hand_over(data_dir(), list(args.photos or [])):
            return EXIT_OK
    try:
        session = bootstrap(self_test=bool(args.self_test))
    except StoreLockedError as error:
        print(f"image2model: {error.user_message}", file=sys.stderr)
        if not args.self_test:
            QMessageBox.warning(None, "Image2Model", error.user_message)
        return EXIT_USAGE
    session.window.show()
    _close_on_interrupt(session)
    try:
        return session.loop.run_until_complete(_session(session, args))
    except Exception:
        log.exception("The window stopped on an unexpected error")
        print(
            "image2model: the window stopped on an unexpected error; see the log.", file=sys.stderr
        )
        return EXIT_FAILED
    finally:
        session.loop.close()
        shutdown_executor()
        if session.temp_root is not None:
            shutil.rmtree(session.temp_root, ignore_errors=True)
