"""Screenshots of issue 21's print maps and issue 24's warned model (not a test; run under Xvfb).

    xvfb-run -a -s "-screen 0 1700x1100x24" python tests/gui/results_screenshots.py OUT

With the offline engine and a temporary library: the bundled mug, print-checked
at 11 mm for FDM (small enough for thin walls), with the thickness and then the overhang map on
(``print-thickness-1024x700-light.png`` … at 1024×700 and 1600×1000, light and
dark; the print check's dialog beside the window in ``print-check-*.png``, the
whole screen), and scikit-image's ``astronaut``, which the offline engine warns
about (``warned-1024x700-light.png`` …).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit, real_photos
from real_photos import save_real_photo
from testkit import until

from image2model_desktop.gui.app import bootstrap, close_session, load_3d_stack, wait_exposed
from image2model_desktop.resources import sample_photos

SIZES = ((1024, 700), (1600, 1000))
THEMES = ("light", "dark")


async def generate(window, photo: Path) -> None:  # type: ignore[no-untyped-def]
    upload = window.upload
    first = window.current_job_id
    await upload.add_paths([photo])
    await until(upload.generate_button.isEnabled, timeout=120, what="the photo checked")
    upload.generate_button.click()
    await until(lambda: window.current_job_id != first, timeout=60, what="the batch")
    await until(lambda: not window.batch_running(), timeout=300, what="the model")
    window.open_results(window.current_job_id)
    results = window.results
    await until(lambda: results.preview.model is not None, timeout=120, what="the preview")
    grid = results.grid
    await until(
        lambda: all(not grid.item(i).icon().isNull() for i in range(grid.count())),
        timeout=120,
        what="the tiles' pictures",
    )


async def each_look(window, out: Path, name: str, whole_screen: bool = False) -> None:  # type: ignore[no-untyped-def]
    from image2model_desktop.gui import style
    from image2model_desktop.gui.qt import QApplication

    for theme in THEMES:
        for size in SIZES:
            window.resize(*size)
            palette = style.apply_theme(QApplication.instance(), theme)
            window.results.set_dark(palette.dark)
            await asyncio.sleep(0.8)
            QApplication.processEvents()
            target = out / f"{name}-{size[0]}x{size[1]}-{theme}.png"
            screen = window.screen()
            picture = screen.grabWindow(0 if whole_screen else window.winId())
            picture.save(str(target))


async def shoot(window, out: Path) -> None:  # type: ignore[no-untyped-def]
    await wait_exposed(window)
    await window.start([])
    await load_3d_stack(window)
    upload = window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    mug = next(p for p in sample_photos() if p.stem == "mug")
    await generate(window, mug)
    results = window.results
    results.open_print_check()
    dialog = results.print_check
    # Small enough that the handle's walls get thin: the map has something to show.
    dialog.height_edit.setText("11mm")
    dialog.start_check()
    await until(lambda: dialog.report is not None, timeout=120, what="the print check")
    dialog.hide()  # the window's own shots; the dialog gets one of its own below
    toolbar = results.preview.toolbar
    toolbar.action("thickness").trigger()
    await each_look(window, out, "print-thickness")
    toolbar.action("overhang").trigger()
    await each_look(window, out, "print-overhang")
    window.resize(1024, 700)
    dialog.show()
    dialog.move(window.geometry().right() + 12, window.geometry().top())
    await asyncio.sleep(0.8)
    window.screen().grabWindow(0).save(str(out / "print-check-dialog.png"))
    dialog.close()
    toolbar.action("overhang").trigger()

    with tempfile.TemporaryDirectory() as folder:
        astronaut = save_real_photo("astronaut", Path(folder))
        await generate(window, astronaut)
    await each_look(window, out, "warned")


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
