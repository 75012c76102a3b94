"""The offline engine: a photo becomes an inflated, textured solid on this computer.

No key, no network, no downloaded model: see ``offline_model`` for the
algorithm. The work runs in the shared process pool so the event loop (and the
window) never waits on it.
"""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
from image2model_desktop.core.models import DEFAULT_FACE_LIMIT
from image2model_desktop.core.states import FileState
from image2model_desktop.core.workers import run_in_process

#: Photos are reduced to this size first; the mesh cannot use more detail.
_MAX_SIDE = 2048


def build_in_worker(input_path: Path, out_glb: Path, face_limit: int) -> int:
    """Load, normalize and turn a photo into a GLB; return the face count."""
    from image2model_desktop.core.images import load_rgba_array

    from .offline_model import build_offline_model

    rgba = load_rgba_array(input_path, max_side=_MAX_SIDE)
    return int(build_offline_model(rgba, out_glb, face_limit).faces)


class OfflineEngine(Engine):
    name = "offline"
    expected_seconds = 3.0

    async def run(self, run: FileRun) -> EngineOutput:
        await run.update(FileState.GENERATING, message="Building the model on this computer")
        out = run.output_path(".glb")
        face_limit = run.parameters.face_limit or DEFAULT_FACE_LIMIT
        await run_in_process(build_in_worker, run.input_path, out, face_limit)
        return EngineOutput(model_path=out)
