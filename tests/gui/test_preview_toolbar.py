"""The preview toolbar at 1024×700: every tool reachable by mouse and by keyboard (issue 24).

Real events on the real window under Xvfb: clicks on the bar's buttons, Tab, the
tools' keys, and the bar's own » menu, which opens in a nested event loop, so it is
read and closed from a timer that waits for it to appear.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtTest import QTest
from testkit import until

from image2model_desktop.gui.preview.toolbar import TOOLS
from image2model_desktop.gui.qt import QApplication, QMenu, Qt, QTimer, QToolButton
from image2model_desktop.gui.shell.header import Phase

NAMES = [name for name, _, _ in TOOLS]


@pytest.fixture
def narrow(open_window, run, model_glb):
    """The results page of a 1024×700 window showing a model, in the active window."""
    window = open_window().window
    window.resize(1024, 700)
    window.set_phase(Phase.RESULTS)
    window.activateWindow()
    run(until(window.isActiveWindow, timeout=5, what="the window to be active"))
    preview = window.results.preview
    assert run(preview.show_model(model_glb))
    toolbar = preview.toolbar
    run(until(lambda: toolbar.extension_button().isVisible(), timeout=5, what="the » button"))
    return window, preview, toolbar


def with_popup(open_it: Callable[[], None], read: Callable[[QMenu], object]) -> object:
    """Open a menu (Qt runs it in a nested loop), read it once it shows, then close it."""
    found: list[object] = []
    timer = QTimer()
    timer.setInterval(20)

    def look() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu) and menu.isVisible():
            timer.stop()
            found.append(read(menu))
            menu.close()

    timer.timeout.connect(look)
    timer.start()
    open_it()
    timer.stop()
    assert found, "no menu opened"
    return found[0]


def test_tools_that_do_not_fit_are_in_the_more_menu_and_nothing_is_lost(narrow):
    _, _, toolbar = narrow
    hidden = [name for name in NAMES if not toolbar.on_bar(name)]
    assert hidden, "at 1024 px some tools should sit behind »"
    assert toolbar.on_bar("reset")
    more = toolbar.extension_button()
    assert more.text() == "»" and more.accessibleName() == "More tools"

    def entries(menu: QMenu) -> list[str]:
        return [a.objectName().removesuffix("Tool") for a in menu.actions() if a.isVisible()]

    listed = with_popup(lambda: QTest.mouseClick(more, Qt.MouseButton.LeftButton), entries)
    assert listed == hidden


def test_a_tool_behind_more_works_from_its_menu_entry(narrow, run):
    _, preview, toolbar = narrow
    hidden = [name for name in NAMES if not toolbar.on_bar(name)]
    assert "section" in hidden

    def choose_section(menu: QMenu) -> None:
        entry = next(a for a in menu.actions() if a.objectName() == "sectionTool")
        menu.setActiveAction(entry)
        QTest.keyClick(menu, Qt.Key.Key_Return)

    with_popup(lambda: toolbar.extension_button().click(), choose_section)
    assert toolbar.is_checked("section") and preview.section_bar.isVisible()
    # Switched on, the mode moves onto the bar: the active tool stays in sight.
    run(until(lambda: toolbar.on_bar("section"), timeout=5, what="Section on the bar"))
    QTest.mouseClick(toolbar.widgetForAction(toolbar.action("section")), Qt.MouseButton.LeftButton)
    assert not toolbar.is_checked("section") and not preview.section_bar.isVisible()
    run(until(lambda: not toolbar.on_bar("section"), timeout=5, what="Section back behind »"))


def test_keys_reach_hidden_tools_and_the_measuring_tool_stays_in_sight(narrow, run):
    window, preview, toolbar = narrow
    assert not toolbar.on_bar("measure")
    window.results.setFocus()
    QTest.keyClick(window, Qt.Key.Key_M)
    assert toolbar.is_checked("measure")
    assert preview.measured_text == "Click two points on the model"
    run(until(lambda: toolbar.on_bar("measure"), timeout=5, what="Measure on the bar"))
    before = [name for name in NAMES if toolbar.on_bar(name)]
    # A long status line takes only the room the tools leave.
    preview.status.setText("Loading " + "a-very-long-model-name-" * 8 + ".glb…")
    QApplication.processEvents()
    assert [name for name in NAMES if toolbar.on_bar(name)] == before
    assert window.width() == 1024
    preview.status.setText("Click two points on the model")
    QTest.keyClick(window, Qt.Key.Key_M)
    assert not toolbar.is_checked("measure") and preview.measured_text == ""
    units = toolbar.unit
    QTest.keyClick(window, Qt.Key.Key_U)
    assert toolbar.unit != units and preview.unit == toolbar.unit


def test_tab_reaches_every_tool_on_the_bar_then_more(narrow):
    _, _, toolbar = narrow
    shown = [toolbar.widgetForAction(toolbar.action(n)) for n in NAMES if toolbar.on_bar(n)]
    shown[0].setFocus()
    reached = [QApplication.focusWidget()]
    for _ in range(len(shown)):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
    more = toolbar.extension_button()
    enabled = [b for b in shown if b.isEnabled()]
    assert [w for w in reached if w in shown] == enabled
    assert more in reached
    # Space on » opens its menu, as a click does.
    more.setFocus()
    opened = with_popup(lambda: QTest.keyClick(more, Qt.Key.Key_Space), lambda menu: True)
    assert opened


def test_a_disabled_tool_looks_disabled(narrow):
    _, preview, toolbar = narrow
    assert not preview.model.has_pbr
    pbr = toolbar.widgetForAction(toolbar.action("pbr"))
    wire = toolbar.widgetForAction(toolbar.action("wireframe"))
    assert isinstance(pbr, QToolButton) and not pbr.isEnabled() and wire.isEnabled()

    def darkest(button: QToolButton) -> int:
        image = button.grab().toImage()
        return min(
            image.pixelColor(x, y).lightness()
            for x in range(image.width())
            for y in range(image.height())
        )

    # The enabled label is near black; the disabled one is a faint grey.
    assert darkest(pbr) > darkest(wire) + 60
