"""The window repaints what a dialog, a menu or another window covered, once it closes.

Without a window manager (Xvfb alone, as here and as ``./bootstrap.sh`` runs the
window on a machine without a display) the X server keeps no copy of a covered
window: it asks the window to draw the uncovered part again. The pixels compared
are what the X server shows (``QScreen.grabWindow(0, …)``), not what the window
would draw if asked (``QWidget.grab()``): the bug was a window that was not asked.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np
import pytest
from testkit import until

from image2model_desktop.gui.qt import QApplication, QDialog, QMenu, QPoint, QRect, Qt, QWidget
from image2model_desktop.gui.shell.header import Phase

MAGENTA = (255, 0, 255)


@pytest.fixture(params=["no window manager", "openbox"])
def window_manager(request, tmp_path, run):
    """Run the test with no window manager, then under openbox (skipped when not installed).

    A menu over the window's right edge left pieces behind only under openbox.
    """
    if request.param == "no window manager":
        yield None
        return
    if shutil.which("openbox") is None:
        pytest.skip("openbox is not installed")
    ready = tmp_path / "openbox-ready"
    manager = subprocess.Popen(
        ["openbox", "--startup", f"touch {ready}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run(until(lambda: ready.exists() or manager.poll() is not None, timeout=10, what="openbox"))
        assert manager.poll() is None, "openbox did not start"
        yield manager
    finally:
        manager.terminate()
        manager.wait(timeout=10)


def on_screen(window: QWidget) -> np.ndarray:
    """What the screen shows where ``window`` is, as an RGB array."""
    corner = window.mapToGlobal(QPoint(0, 0))
    grabbed = QApplication.primaryScreen().grabWindow(
        0, corner.x(), corner.y(), window.width(), window.height()
    )
    image = grabbed.toImage().convertToFormat(grabbed.toImage().Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), np.uint8, stride * height).reshape(height, stride)
    return rows[:, : width * 3].reshape(height, width, 3).copy()


def differing(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ between two pictures of the window."""
    return float((np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 24).mean())


def settled(run, window: QWidget) -> np.ndarray:
    """The window's pixels once two grabs in a row agree (it has finished drawing)."""
    last = [on_screen(window)]

    def same_twice() -> bool:
        now = on_screen(window)
        same = differing(now, last[0]) == 0.0
        last[0] = now
        return same

    run(until(same_twice, timeout=10, what="the window to finish drawing"))
    return last[0]


def shows_magenta(window: QWidget, spot: QPoint) -> bool:
    pixels = on_screen(window)
    return tuple(int(v) for v in pixels[spot.y(), spot.x()]) == MAGENTA


def cover_and_uncover(run, window: QWidget, show, close, spot: QPoint) -> None:
    """Show a cover over ``window`` at ``spot``, close it; fail unless the window is whole again."""
    before = settled(run, window)
    show()
    run(until(lambda: shows_magenta(window, spot), timeout=10, what="the cover on screen"))
    close()
    run(until(lambda: not shows_magenta(window, spot), timeout=10, what="the cover gone"))
    run(
        until(
            lambda: differing(on_screen(window), before) < 0.001,
            timeout=5,
            what="the window to draw again what the cover hid",
        )
    )


def test_a_closed_dialog_leaves_nothing_on_the_window(open_window, run):
    window = open_window().window  # with the 3D view made (it waits behind the upload page)
    middle = QPoint(window.width() // 2, window.height() // 2)
    dialog = QDialog(window)
    dialog.setStyleSheet("background: #ff00ff;")
    corner = window.mapToGlobal(middle - QPoint(150, 100))
    dialog.setGeometry(QRect(corner.x(), corner.y(), 300, 200))
    cover_and_uncover(run, window, dialog.show, dialog.close, middle)


def test_a_closed_menu_leaves_nothing_on_the_3d_view(open_window, run, model_glb):
    window = open_window().window
    window.set_phase(Phase.RESULTS)
    preview = window.results.preview
    assert run(preview.show_model(model_glb))
    view = preview.view
    centre = view.mapTo(window, QPoint(view.width() // 2, view.height() // 2))
    menu = QMenu(window)
    menu.setStyleSheet("QMenu { background: #ff00ff; } QMenu::item { color: #ff00ff; }")
    for name in ("Copy", "Save picture", "Reset view", "Wireframe", "Measure"):
        menu.addAction(name)

    spot = window.mapToGlobal(centre - QPoint(20, 20))
    cover_and_uncover(run, window, lambda: menu.popup(spot), menu.close, centre)


@pytest.mark.parametrize("close", ["escape", "click on the view", "an entry"])
def test_the_closed_more_menu_leaves_nothing_on_the_3d_view(
    window_manager, open_window, run, model_glb, close
):
    """The preview toolbar's » menu opens over the view; however it closes, the view shows again.

    The guihouse run saw the closed » menu stay painted over the view until something
    forced a repaint; this drives the menu as a person would at 1024×700. Under
    openbox it failed (pieces over the card's and the page's right margins) until
    ``view3d.UncoverRepaint``.
    """
    from PySide6.QtTest import QTest

    from image2model_desktop.gui.qt import QTimer

    window = open_window().window
    window.resize(1024, 700)
    window.set_phase(Phase.RESULTS)
    preview = window.results.preview
    assert run(preview.show_model(model_glb))
    view = preview.view
    more = preview.toolbar.extension_button()
    run(until(more.isVisible, timeout=5, what="the » button"))
    menu = more.menu()
    assert menu is not None
    menu.setStyleSheet("QMenu { background: #ff00ff; } QMenu::item { color: #ff00ff; }")
    before = settled(run, window)
    spots: list[QPoint] = []
    deadline = time.monotonic() + 10

    def look() -> None:
        if time.monotonic() > deadline:
            menu.close()  # stuck: end the nested loop, the asserts below fail
            return
        if spots or not menu.isVisible():
            return
        # A spot of the menu over the 3D view (the menu drops below », at the right edge).
        top = view.mapTo(window, QPoint(0, 0)).y()
        corner = window.mapFromGlobal(menu.mapToGlobal(QPoint(8, menu.height() - 8)))
        spot = QPoint(corner.x(), max(corner.y(), top + 4))
        if not shows_magenta(window, spot):
            return
        spots.append(spot)
        if close == "escape":
            QTest.keyClick(menu, Qt.Key.Key_Escape)
        elif close == "an entry":
            QTest.keyClick(menu, Qt.Key.Key_Down)
            QTest.keyClick(menu, Qt.Key.Key_Return)
        else:
            # An open menu takes every click; one outside it closes it, as on a real screen.
            away = menu.mapFromGlobal(window.mapToGlobal(QPoint(40, window.height() - 80)))
            QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=away)

    timer = QTimer()
    timer.setInterval(30)
    timer.timeout.connect(look)
    timer.start()
    more.click()  # the menu runs in a nested loop until it closes
    timer.stop()
    timer.timeout.disconnect(look)  # the slot holds the view, out of the collector's sight
    assert spots, "the » menu never showed over the view"
    assert spots[0].y() > view.mapTo(window, QPoint(0, 0)).y()
    run(until(lambda: not shows_magenta(window, spots[0]), timeout=5, what="the menu gone"))
    after = settled(run, window)
    assert not (after == MAGENTA).all(axis=2).any(), "a piece of the menu stayed on the window"
    if close != "an entry":  # an entry (Dimensions) changes the picture on purpose
        # » itself may look focused or hovered now: compare all but its own square.
        x, y = more.mapTo(window, QPoint(0, 0)).toTuple()
        for picture in (before, after):
            picture[y : y + more.height(), x : x + more.width()] = 0
        assert differing(after, before) < 0.001
