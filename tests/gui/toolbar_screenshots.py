"""Screenshots of the results page's preview toolbar (issue 24: every tool reachable).

Not a test; run it under Xvfb:

    xvfb-run -a -s "-screen 0 1700x1100x24" python tests/gui/toolbar_screenshots.py OUT

Makes one model of a bundled sample photo with the offline engine (no PBR maps, so
the PBR tool is disabled), then saves ``toolbar-1024x700.png``, the same with the
» menu open (``toolbar-1024x700-more.png``, the whole screen: the menu is its own
window), with Measure switched on from the keyboard while it sat behind »
(``toolbar-1024x700-measuring.png``) and ``toolbar-1600x1000.png``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit, as bench/ does
from testkit import until

from image2model_desktop.gui.app import bootstrap, close_session, load_3d_stack, wait_exposed
from image2model_desktop.gui.shell.header import Phase
from image2model_desktop.resources import sample_photos


async def shoot(window, out: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    from image2model_desktop.gui.qt import QApplication, QMenu, Qt, QTimer

    def grab(name: str, whole_screen: bool = False) -> None:
        QApplication.processEvents()
        screen = window.screen()
        screen.grabWindow(0 if whole_screen else window.winId()).save(str(out / name))

    await wait_exposed(window)
    await window.start([])
    await load_3d_stack(window)
    upload = window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    photo = next(p for p in sample_photos() if p.stem == "mug")
    await upload.add_paths([photo])
    await until(
        lambda: upload.generate_button.isEnabled(),
        timeout=120,
        what="upload.generate_button.isEnabled()",
    )
    upload.generate_button.click()
    await until(
        lambda: window.header.phase == Phase.RESULTS,
        timeout=120,
        what="window.header.phase == Phase.RESULTS",
    )
    preview = window.results.preview
    await until(lambda: preview.model is not None, timeout=120, what="preview.model is not None")
    toolbar = preview.toolbar

    window.resize(1024, 700)
    window.activateWindow()  # the tools' keys work in the active window
    await until(window.isActiveWindow, timeout=120, what="window.isActiveWindow")
    await asyncio.sleep(0.8)
    grab("toolbar-1024x700.png")
    more = toolbar.extension_button()
    more.setFocus()
    # The menu runs in a nested event loop: a timer grabs the screen once it shows.
    timer = QTimer()

    def grab_menu() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu) and menu.isVisible():
            timer.stop()
            grab("toolbar-1024x700-more.png", whole_screen=True)
            menu.close()

    timer.timeout.connect(grab_menu)
    timer.start(300)
    QTest.keyClick(more, Qt.Key.Key_Space)
    await asyncio.sleep(0.3)
    QTest.keyClick(window, Qt.Key.Key_M)  # Measure sits behind » at this width
    await until(lambda: toolbar.on_bar("measure"), timeout=120, what='toolbar.on_bar("measure")')
    window.update()  # (issue 24 point 4: the closed menu is not repainted by itself)
    await asyncio.sleep(0.6)
    grab("toolbar-1024x700-measuring.png")
    QTest.keyClick(window, Qt.Key.Key_M)
    window.resize(1600, 1000)
    await asyncio.sleep(0.8)
    grab("toolbar-1600x1000.png")


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "shots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        session = bootstrap(Path(root))
        window = session.window
        window.move(0, 0)
        window.show()

        async def run() -> None:
            try:
                await shoot(window, out)
            finally:
                await close_session(session)

        session.loop.run_until_complete(run())
        session.loop.close()
    print(f"Screenshots saved in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
