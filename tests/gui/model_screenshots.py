"""Screenshots of the upload page's model picker and its multiview slots (issue 16).

Not a test; run it under Xvfb:

    FAL_KEY=x xvfb-run -a -s "-screen 0 1600x1000x24" python tests/gui/model_screenshots.py OUT

Saves ``models-picker.png`` (the picker open), ``models-trellis.png`` (TRELLIS.2
chosen: no face limit, no PBR) and ``models-views.png`` (four views of one object).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from image2model_desktop.gui.app import bootstrap, close_session, wait_exposed
from image2model_desktop.gui.upload.model_choice import MODEL_ROLE
from image2model_desktop.resources import sample_photos

SIZE = (1320, 900)


async def shoot(window, out: Path) -> None:  # type: ignore[no-untyped-def]
    from image2model_desktop.gui.qt import QApplication

    def grab(name: str, widget=None) -> None:  # type: ignore[no-untyped-def]
        QApplication.processEvents()
        screen = window.screen()
        target = widget if widget is not None else window
        screen.grabWindow(target.winId()).save(str(out / name))

    def pick(model: str) -> None:
        combo = window.upload.parameters.engine
        for index in range(combo.count()):
            if combo.itemData(index, MODEL_ROLE) == model:
                combo.setCurrentIndex(index)

    await wait_exposed(window)
    await window.start([])
    upload = window.upload
    photos = sample_photos()
    pick("tripo-v2.5")
    await upload.add_paths(photos[:2])
    await asyncio.sleep(0.5)
    combo = upload.parameters.engine
    combo.showPopup()
    await asyncio.sleep(0.6)
    QApplication.processEvents()
    # The popup is its own window: grab the whole screen to see it over the page.
    window.screen().grabWindow(0).save(str(out / "models-picker.png"))
    combo.hidePopup()
    pick("trellis-2")
    await asyncio.sleep(0.4)
    grab("models-trellis.png")
    pick("tripo-v2.5")
    upload.views.mode.setChecked(True)
    for index, photo in enumerate((photos * 4)[:4]):
        await upload.views.set_view(index, photo)
    await asyncio.sleep(0.5)
    grab("models-views.png")


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "shots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        session = bootstrap(Path(root))
        window = session.window
        window.resize(*SIZE)
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
