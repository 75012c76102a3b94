"""Ctrl-C closes the window cleanly, headless (its own virtual screen) and on a display.

The window runs as a real process. Headless, it runs under tools/virtual-screen.sh
(what ``./bootstrap.sh`` uses on a machine without a display) and the signal goes
to the whole process group, as a terminal's Ctrl-C does; on a display (this
test's Xvfb) it goes to the window's process alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import subprocess_env, until

from image2model_desktop.gui.shell.single_instance import server_name

REPO = Path(__file__).resolve().parents[2]
#: What a clean close may print: the one line saying what happens.
CLOSING = "Closing… unfinished files resume on the next start (Ctrl-C again to quit now)."


def socket_path(library: Path) -> Path:
    """The running window's single-instance socket: it exists once the window is up."""
    from PySide6.QtCore import QDir

    return Path(QDir.tempPath()) / server_name(library)


def start_window(library: Path, command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )


def close_with_ctrl_c(run, window: subprocess.Popen[str], library: Path, *, group: bool) -> str:
    """Wait until the window is up, send SIGINT, and return what it printed on stderr."""
    try:

        def up() -> bool:
            return socket_path(library).exists() or window.poll() is not None

        # On the suite's Qt loop: asyncio.run would leave the thread with no current loop.
        run(until(up, timeout=60, what="the window to open"))
        assert window.poll() is None, window.communicate()[1]
        if group:
            os.killpg(window.pid, signal.SIGINT)
        else:
            window.send_signal(signal.SIGINT)
        _out, err = window.communicate(timeout=60)
    finally:
        if window.poll() is None:
            os.killpg(window.pid, signal.SIGKILL)
    assert window.returncode == 0, err
    return err


def assert_clean(err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [CLOSING], err


@pytest.mark.slow
def test_ctrl_c_closes_the_headless_window_cleanly(run, tmp_path: Path) -> None:
    library = tmp_path / "library"
    env = subprocess_env(IMAGE2MODEL_DATA_DIR=str(library))
    env.pop("DISPLAY", None)
    screen = str(REPO / "tools" / "virtual-screen.sh")
    window = start_window(library, [screen, sys.executable, "-m", "image2model_desktop"], env)
    assert_clean(close_with_ctrl_c(run, window, library, group=True))
    assert not socket_path(library).exists()


@pytest.mark.slow
def test_ctrl_c_closes_the_window_on_a_display(run, tmp_path: Path) -> None:
    library = tmp_path / "library"
    env = subprocess_env(IMAGE2MODEL_DATA_DIR=str(library))
    assert env.get("DISPLAY"), "pytest-xvfb gives this test a display"
    window = start_window(library, [sys.executable, "-m", "image2model_desktop"], env)
    assert_clean(close_with_ctrl_c(run, window, library, group=False))
