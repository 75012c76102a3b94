"""Take the README's screenshots of the three phases (not a test; run it under Xvfb).

    xvfb-run -a -s "-screen 0 1600x1000x24" python tests/gui/screenshots.py docs/screenshots

Uses a temporary library, the offline engine and the bundled sample photos.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from image2model_desktop.core.states import FileState
from image2model_desktop.gui.app import bootstrap, close_session, load_3d_stack, wait_exposed
from image2model_desktop.gui.header import Phase
from image2model_desktop.resources import sample_photos

SIZE = (1320, 860)


async def until(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(condition)
        await asyncio.sleep(0.02)


async def shoot(window, out: Path) -> None:  # type: ignore[no-untyped-def]
    photos = sample_photos()
    await wait_exposed(window)
    await window.start([])
    await load_3d_stack(window)
    upload = window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    upload.parameters.face_limit.set_value(10_000)
    await upload.add_paths(photos)
    await asyncio.sleep(0.3)
    window.grab().save(str(out / "upload.png"))

    window.service.set_concurrency(2)
    upload.generate_button.click()
    await until(lambda: window.header.phase == Phase.PROCESSING)
    rows = window.processing.rows()
    await until(lambda: any(r.item.state == FileState.COMPLETED for r in rows), 120)
    await asyncio.sleep(0.2)
    window.grab().save(str(out / "processing.png"))

    await until(lambda: window.header.phase == Phase.RESULTS, 180)
    results = window.results
    await until(lambda: results.preview.model is not None)
    grid = results.grid
    await until(lambda: all(not grid.item(i).icon().isNull() for i in range(grid.count())), 120)
    await asyncio.sleep(0.3)
    window.grab().save(str(out / "results.png"))


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        session = bootstrap(Path(root))
        window = session.window
        window.resize(*SIZE)
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
