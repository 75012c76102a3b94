"""Take the README's screenshots of the three phases (not a test; run it under Xvfb).

    xvfb-run -a -s "-screen 0 1600x1000x24" python tests/gui/screenshots.py docs/screenshots

With ``--all`` each phase is taken at 1024×700, 1600×1000 and 2560×1440, light
and dark, as ``upload-1600x1000-dark.png`` and so on (the screen must be larger:
``-screen 0 2600x1500x24``). Uses a temporary library, the offline engine and
the bundled sample photos. The window is grabbed from the screen, so the 3D
view's own native window is in the picture.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from image2model_desktop.core.states import FileState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit, as bench/ does
from testkit import until

from image2model_desktop.gui.app import bootstrap, close_session, load_3d_stack, wait_exposed
from image2model_desktop.gui.shell.header import Phase
from image2model_desktop.resources import sample_photos

SIZE = (1320, 860)
ALL_SIZES = ((1024, 700), (1600, 1000), (2560, 1440))
THEMES = ("light", "dark")


async def grab(window, out: Path, phase: str, combos) -> None:  # type: ignore[no-untyped-def]
    """Save ``phase`` in every (size, theme) of ``combos``; None size keeps the old names."""
    from image2model_desktop.gui import style
    from image2model_desktop.gui.qt import QApplication

    for size, theme in combos:
        if size is not None:
            window.resize(*size)
        palette = style.apply_theme(QApplication.instance(), theme)
        window.results.preview.set_dark(palette.dark)
        await asyncio.sleep(0.6)
        if phase == "processing" and window.header.phase != Phase.PROCESSING:
            window.open_processing(window.current_job_id)  # the batch ended meanwhile
            await asyncio.sleep(0.2)
        QApplication.processEvents()
        name = f"{phase}.png" if size is None else f"{phase}-{size[0]}x{size[1]}-{theme}.png"
        picture = window.screen().grabWindow(window.winId())
        picture.save(str(out / name))


async def shoot(window, out: Path, combos) -> None:  # type: ignore[no-untyped-def]
    photos = sample_photos()
    await wait_exposed(window)
    await window.start([])
    await load_3d_stack(window)
    upload = window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    upload.parameters.face_limit.set_value(10_000)
    await upload.add_paths(photos)
    await asyncio.sleep(0.3)
    await grab(window, out, "upload", combos)

    window.service.set_concurrency(1)
    upload.generate_button.click()
    await until(
        lambda: window.header.phase == Phase.PROCESSING,
        timeout=60,
        what="window.header.phase == Phase.PROCESSING",
    )
    rows = window.processing.rows()
    await until(
        lambda: any(r.item.state == FileState.COMPLETED for r in rows),
        timeout=120,
        what="any(r.item.state == FileState.COMPLETED for r in rows)",
    )
    await grab(window, out, "processing", combos)

    await until(lambda: not window.batch_running(), timeout=180, what="not window.batch_running()")
    window.open_results(window.current_job_id)
    results = window.results
    await until(
        lambda: results.preview.model is not None,
        timeout=60,
        what="results.preview.model is not None",
    )
    grid = results.grid
    await until(
        lambda: all(not grid.item(i).icon().isNull() for i in range(grid.count())),
        timeout=120,
        what="all(not grid.item(i).icon().isNull() for i in range(grid.count()))",
    )
    await asyncio.sleep(0.3)
    await grab(window, out, "results", combos)


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--all"]
    out = Path(args[0] if args else "docs/screenshots")
    every = "--all" in sys.argv[1:]
    combos = (
        [(size, theme) for theme in THEMES for size in ALL_SIZES] if every else [(None, "light")]
    )
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        session = bootstrap(Path(root))
        window = session.window
        window.resize(*SIZE)
        window.show()

        async def run() -> None:
            try:
                await shoot(window, out, combos)
            finally:
                await close_session(session)

        session.loop.run_until_complete(run())
        session.loop.close()
    print(f"Screenshots saved in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
