"""Pictures of finished models for the results grid.

FAL sends a rendered image; the offline engine does not, so one is rendered
off-screen in the process pool (``mesh.render``) and kept beside the model,
so reopening a job from the library shows it at once, with no network.
"""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.models import FileItem
from image2model_desktop.core.workers import run_in_process

RENDER_SIZE = 320


def cached_render_path(outputs: Path, item: FileItem) -> Path | None:
    """Where the grid picture of ``item`` is (or will be) kept."""
    if item.output is None:
        return None
    if item.output.preview_filename:
        return outputs / item.output.preview_filename
    return outputs / f"{Path(item.output.model_filename).stem}.render.png"


async def grid_picture(outputs: Path, item: FileItem) -> Path | None:
    """Return a picture of ``item``'s model, rendering one if needed (None on failure)."""
    from image2model_desktop.mesh.render import render_preview

    target = cached_render_path(outputs, item)
    if target is None or item.output is None:
        return None
    if target.exists():
        return target
    model = outputs / item.output.model_filename
    if not model.exists():
        return None
    return await run_in_process(render_preview, model, target, RENDER_SIZE)
