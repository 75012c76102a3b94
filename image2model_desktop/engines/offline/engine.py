"""The offline engine: a photo becomes an inflated, textured solid on this computer.

No key, no network, no downloaded model: see ``model`` for the
algorithm. The work runs in the shared process pool so the event loop (and the
window) never waits on it.
"""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun, ModelStats
from image2model_desktop.core.states import FileState
from image2model_desktop.core.workers import draws_pictures, run_in_process

from .parameters import PARAMETERS

#: Photos are reduced to this size first; the mesh cannot use more detail.
_MAX_SIDE = 2048

#: The rendered picture of the model (FAL sends one; this engine draws its own).
PREVIEW_SUFFIX, PREVIEW_SIZE = ".preview.png", 512


def build_in_worker(
    input_path: Path, out_glb: Path, face_limit: int
) -> tuple[ModelStats, str | None]:
    """Turn a photo into a GLB and measure it (mesh pool).

    Return the stats and the builder's warning (no clear subject in the photo) for the
    person.
    """
    from image2model_desktop.core.images import load_rgba_array
    from image2model_desktop.engines.stats import measure

    from .model import build_offline_model

    rgba = load_rgba_array(input_path, max_side=_MAX_SIDE)
    built = build_offline_model(rgba, out_glb, face_limit)
    del rgba  # the photo is in the GLB's texture now: not held while measuring
    return measure(out_glb), built.warning


@draws_pictures
def draw_preview(model: Path, target: Path) -> bool:
    """Draw the API's ``rendered_image`` off-screen; a model is kept without one."""
    import logging

    from image2model_desktop.mesh.render import render_preview

    try:
        render_preview(model, target, PREVIEW_SIZE)
    except Exception:  # no OpenGL/EGL here: the model is what matters
        logging.getLogger(__name__).warning("No picture of %s", model.name, exc_info=True)
        return False
    return True


class OfflineEngine(Engine):
    name = "offline"
    expected_seconds = 3.0
    parameters = PARAMETERS

    async def run(self, run: FileRun) -> EngineOutput:
        await run.update(FileState.GENERATING, message="Building the model on this computer")
        out = run.output_path(".glb")
        preview = run.output_path(PREVIEW_SUFFIX)
        face_limit = run.parameters.face_limit or PARAMETERS.face_limit.default or 0
        stats, warning = await run_in_process(build_in_worker, run.input_path, out, face_limit)
        # Drawn in the picture worker, not here: a mesh worker that drew would keep
        # VTK and a GL context (about 200 MB) for the rest of its life.
        drawn = await run_in_process(draw_preview, out, preview)
        return EngineOutput(
            model_path=out,
            stats=stats,
            preview_path=preview if drawn else None,
            preview_content_type="image/png" if drawn else None,
            warning=warning,
        )
