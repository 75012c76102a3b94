"""The window repaints what a dialog, a menu or another window covered, once it closes.

Without a window manager (Xvfb alone, as here and as ``./bootstrap.sh`` runs the
window on a machine without a display) the X server keeps no copy of a covered
window: it asks the window to draw the uncovered part again. The pixels compared
are what the X server shows (``QScreen.grabWindow(0, …)``), not what the window
would draw if asked (``QWidget.grab()``): the bug was a window that was not asked.
"""

from __future__ import annotations

import numpy as np
from testkit import until

from image2model_desktop.gui.qt import QApplication, QDialog, QMenu, QPoint, QRect, QWidget
from image2model_desktop.gui.shell.header import Phase

MAGENTA = (255, 0, 255)


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
