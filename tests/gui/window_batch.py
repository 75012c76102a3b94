"""Run one batch through the real window in this process, as a person would, then quit.

    python -m tests.gui.window_batch LIBRARY PHOTO…

The app's own start (``gui.app.bootstrap``: the library, its log file, the loop,
the window), the 3D stack loaded as at launch, the photos queued as from the
command line, Generate clicked, the results page waited for, then the window
closed and torn down as ``run_gui`` does. FAL is whatever the environment points
at (the tests' fake). Prints one JSON line: the batch's outcome. Used by
tests/gui/test_window_stderr.py, which reads this process's stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

BATCH_TIMEOUT = 240.0


async def drive(session, photos: list[Path]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    from image2model_desktop.gui.app import load_3d_stack, wait_exposed
    from image2model_desktop.gui.qt import Qt
    from image2model_desktop.gui.shell.header import Phase

    window = session.window
    await wait_exposed(window)
    await window.start(photos)
    await load_3d_stack(window)
    upload = window.upload
    while not upload.generate_button.isEnabled():
        await asyncio.sleep(0.05)
    QTest.mouseClick(upload.generate_button, Qt.MouseButton.LeftButton)
    while window.current_job_id is None:
        await asyncio.sleep(0.05)
    job = await window.service.wait_finished(window.current_job_id)
    while window.header.phase != Phase.RESULTS or window.results.preview.model is None:
        await asyncio.sleep(0.05)
    job = await window.service.settle_costs(job.job_id, 15)
    window.close()
    return {
        "engine": job.engine,
        "completed": job.completed_count,
        "files": len(job.files),
        "spent_usd": sum(f.spent_usd or 0 for f in job.files),
    }


def main() -> int:
    from image2model_desktop.gui.app import bootstrap, close_session
    from image2model_desktop.gui.background import shutdown_executor

    root, photos = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    session = bootstrap(root)
    session.window.show()

    async def run() -> dict[str, object]:
        try:
            return await asyncio.wait_for(drive(session, photos), BATCH_TIMEOUT)
        finally:
            await close_session(session)

    try:
        outcome = session.loop.run_until_complete(run())
    finally:
        session.loop.close()
        shutdown_executor()
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
