"""Time and peak memory of the off-screen PyVista pictures on 6k, 50k and 500k-face models.

The models are the offline engine's duck at three face limits (it lands a little
under each). Each size runs in a fresh subprocess, like a spawned pool worker
with no display (VTK draws through EGL on Mesa's llvmpipe), and reports:

* ``cold s``: the worker's first picture, 512², imports, GL context, load and
  PNG write included (what the first grid picture of a session costs);
* ``warm s``: the next pictures in the same worker (its plotter is kept), median of 3;
* ``peak MB``: the process's peak RSS (``VmHWM``).

Run: ``.venv/bin/python bench/render.py``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchkit import peak_rss_mb, run_json_child

FACE_LIMITS = (6_000, 50_000, 500_000)
SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "duck.png"


def make_model(face_limit: int, out: Path) -> int:
    import numpy as np
    from PIL import Image

    from image2model_desktop.engines.offline.model import build_offline_model

    rgba = np.asarray(Image.open(SAMPLE).convert("RGBA"))
    return build_offline_model(rgba, out, face_limit=face_limit).faces


def run_one(model: str) -> dict[str, float]:
    started = time.perf_counter()
    from image2model_desktop.mesh.render import render_preview
    from image2model_desktop.mesh.scene import load_scene

    with tempfile.TemporaryDirectory() as folder:
        render_preview(Path(model), Path(folder) / "cold.png", 512)
        cold = time.perf_counter() - started
        warm = []
        for index in range(3):
            begun = time.perf_counter()
            render_preview(Path(model), Path(folder) / f"warm{index}.png", 512)
            warm.append(time.perf_counter() - begun)
    return {
        "faces": load_scene(Path(model)).faces,
        "cold_s": cold,
        "warm_s": statistics.median(warm),
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2])))
        return
    os.environ.pop("DISPLAY", None)  # like a worker of the CLI or `serve`: no display
    print(f"{'limit':>8} {'faces':>7} {'cold s':>7} {'warm s':>7} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for limit in FACE_LIMITS:
            model = Path(folder) / f"duck{limit}.glb"
            make_model(limit, model)
            row = run_json_child(__file__, "--one", str(model))
            print(
                f"{limit:>8} {row['faces']:7.0f} {row['cold_s']:7.2f} {row['warm_s']:7.2f}"
                f" {row['peak_mb']:8.0f}"
            )
    print("(PLATFORM figures for PyVista pictures: cold 1.6 s at 9k / 2.0–2.2 s at 500k;")
    print(" warm 0.21 s / 0.5–0.8 s; peak 360 / 530–650 MB)")


if __name__ == "__main__":
    main()
