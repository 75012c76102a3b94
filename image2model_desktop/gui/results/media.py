"""What the results page makes from its models besides files: turntables and contact sheets.

The frames are drawn in the process pool a chunk at a time (``mesh.turntable``),
so the page can show progress and the window stays responsive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from image2model_desktop.core.workers import run_in_process

log = logging.getLogger(__name__)

#: ``on_frames(done, total)``: told after each chunk of a turntable's frames.
FrameProgress = Callable[[int, int], None]


async def contact_sheet(models: list[Path], names: list[str], folder: Path) -> Path | None:
    """Write one PNG picturing every model beside them (None if it failed: a nicety)."""
    from image2model_desktop.mesh.turntable import contact_sheet as draw_sheet

    if not models:
        return None
    try:
        return await run_in_process(draw_sheet, models, folder / "contact-sheet.png", names)
    except Exception:
        log.warning("No contact sheet for the batch", exc_info=True)
        return None


async def render_turntable(source: Path, target: Path, on_frames: FrameProgress) -> Path:
    """Render an orbit of ``source`` into ``target`` (GIF or MP4) in the process pool.

    Raises ``TurntableError`` (a sentence) for a request the renderer refuses.
    """
    import tempfile

    from image2model_desktop.mesh import turntable

    frames = turntable.DEFAULT_FRAMES
    size = turntable.DEFAULT_SIZE
    if target.suffix.lower() == ".mp4":
        size = turntable.even(size)
    turntable.check_request(target, frames, size)
    on_frames(0, frames)
    chunk = max(1, frames // 12)
    with tempfile.TemporaryDirectory(prefix="image2model-turntable-") as folder:
        for first in range(0, frames, chunk):
            stop = min(frames, first + chunk)
            await run_in_process(
                turntable.render_frames, source, Path(folder), first, stop, frames, size
            )
            on_frames(stop, frames)
        await run_in_process(turntable.encode, Path(folder), frames, target, turntable.DEFAULT_FPS)
    return target
