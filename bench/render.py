"""Time and peak memory of the numpy preview renderer on 6k, 50k and 500k-face textured GLBs.

The models are the offline engine's duck at three face limits (it lands a little
under each). Each size runs in a fresh subprocess, like the spawned render
worker, and reports:

* ``import s``: importing the renderer and trimesh (paid once per worker);
* ``load s``: ``scene.load_scene`` (also what the window's viewer pays, in a thread);
* ``render s``: ``render_preview`` at 512², load and PNG write included, after the
  imports; the targets are 0.5 s, 1 s and 4 s;
* ``peak MB``: the process's peak RSS (``VmHWM``), imports included.

Run: ``.venv/bin/python bench/render.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from benchkit import peak_rss_mb, run_json_child

FACE_LIMITS = (6_000, 50_000, 500_000)
TARGET_SECONDS = {6_000: 0.5, 50_000: 1.0, 500_000: 4.0}
SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "duck.png"


def make_model(face_limit: int, out: Path) -> int:
    import numpy as np
    from PIL import Image

    from image2model_desktop.engines.offline_model import build_offline_model

    rgba = np.asarray(Image.open(SAMPLE).convert("RGBA"))
    return build_offline_model(rgba, out, face_limit=face_limit).faces


def run_one(model: str) -> dict[str, float]:
    started = time.perf_counter()
    import trimesh  # noqa: F401  (timed here: a worker pays for it once)

    from image2model_desktop.mesh.render import render_preview
    from image2model_desktop.mesh.scene import load_scene

    imported = time.perf_counter()
    load_started = time.perf_counter()
    scene = load_scene(Path(model))
    loaded = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        render_started = time.perf_counter()
        render_preview(Path(model), Path(folder) / "preview.png", 512)
        rendered = time.perf_counter()
    return {
        "faces": scene.faces,
        "import_s": imported - started,
        "load_s": loaded - load_started,
        "render_s": rendered - render_started,
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2])))
        return
    print(
        f"{'limit':>8} {'faces':>7} {'import s':>9} {'load s':>7} {'render s':>9}"
        f" {'target s':>9} {'peak MB':>8}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for limit in FACE_LIMITS:
            model = Path(folder) / f"duck{limit}.glb"
            make_model(limit, model)
            row = run_json_child(__file__, "--one", str(model))
            print(
                f"{limit:>8} {row['faces']:7.0f} {row['import_s']:9.2f} {row['load_s']:7.3f}"
                f" {row['render_s']:9.2f} {TARGET_SECONDS[limit]:9.1f} {row['peak_mb']:8.0f}"
            )


if __name__ == "__main__":
    main()
