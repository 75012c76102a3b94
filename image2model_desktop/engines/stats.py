"""Measure a model file for ``EngineOutput.stats`` (in the process pool, off the loop)."""

from __future__ import annotations

import logging
from pathlib import Path

from image2model_desktop.core.engine import ModelStats
from image2model_desktop.core.errors import EngineError
from image2model_desktop.core.workers import run_in_process

log = logging.getLogger(__name__)


def measure(path: Path) -> ModelStats:
    """Load and measure ``path`` (blocking: a worker process runs it)."""
    from image2model_desktop.mesh.inspect import inspect_mesh

    stats = inspect_mesh(path)
    return ModelStats(
        faces=stats.faces,
        vertices=stats.vertices,
        extents=stats.extents,
        textured=stats.textured,
    )


async def model_stats(path: Path) -> ModelStats:
    """Measure a downloaded model; a file that cannot be read fails the file (and is removed)."""
    try:
        return await run_in_process(measure, path)
    except (ValueError, EOFError, KeyError, IndexError) as error:
        # trimesh reports unreadable files with a range of plain exceptions.
        log.error("Model %s is unreadable: %s", path.name, error)
        path.unlink(missing_ok=True)
        raise EngineError(
            "The model file that came back is damaged and cannot be opened; retry it.",
            code="BAD_MODEL",
        ) from error
