"""The offline engine: a photo becomes an inflated, textured solid on this computer.

No key, no network, no downloaded model: see ``model`` for the
algorithm. The work runs in the shared process pool so the event loop (and the
window) never waits on it.
"""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun, ModelStats
from image2model_desktop.core.states import FileState
from image2model_desktop.core.workers import run_in_process

from .parameters import PARAMETERS

#: Photos are reduced to this size first; the mesh cannot use more detail.
_MAX_SIDE = 2048

#: The rendered picture of the model (FAL sends one; this engine draws its own).
PREVIEW_SUFFIX, PREVIEW_SIZE = ".preview.png", 512


def build_in_worker(
    input_path: Path, out_glb: Path, face_limit: int, out_preview: Path | None = None
) -> tuple[ModelStats, bool, str | None]:
    """Turn a photo into a GLB, measure it, and draw its picture.

    Return the stats, whether the picture was made, and the builder's warning
    (no clear subject in the photo) for the person.
    """
    from image2model_desktop.core.images import load_rgba_array
    from image2model_desktop.engines.stats import measure

    from .model import build_offline_model

    rgba = load_rgba_array(input_path, max_side=_MAX_SIDE)
    built = build_offline_model(rgba, out_glb, face_limit)
    # Measured and drawn in the same worker call: the numbers and the picture every
    # other engine's models get, without more trips through the process pool.
    stats = measure(out_glb)
    drawn = out_preview is not None and _draw_preview(out_glb, out_preview)
    return stats, drawn, built.warning


def _draw_preview(model: Path, target: Path) -> bool:
    """Draw the API's ``rendered_image`` with PyVista off-screen; a model is kept without one."""
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
        stats, drawn, warning = await run_in_process(
            build_in_worker, run.input_path, out, face_limit, preview
        )
        return EngineOutput(
            model_path=out,
            stats=stats,
            preview_path=preview if drawn else None,
            preview_content_type="image/png" if drawn else None,
            warning=warning,
        )
