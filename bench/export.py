"""Time and peak memory of exporting a 500k-face textured model with a face budget.

The model is a rippled UV sphere with a 2048² texture and seams (testkit), like
a big Tripo result. Each target runs in a fresh subprocess, as a pool worker
would: load the GLB, decimate to the budget (seam-aware, texture kept), place it
(100 mm high, base at zero) and write it. ``peak MB`` is the process's peak RSS
(``VmHWM``), imports included; ``decimate s`` is ``mesh.decimate.simplify``
alone, the part that holds the GIL; ``export s`` is the whole
``export_with_options`` call (load, decimate, place, encode, write).

Run: ``.venv/bin/python bench/export.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from benchkit import peak_rss_mb, run_json_child

REPO = Path(__file__).resolve().parent.parent
SOURCE_FACES = 500_000
TARGETS = (("10k.glb", 10_000), ("10k.3mf", 10_000), ("100k.glb", 100_000), ("1k.obj.zip", 1_000))


def run_one(src: str, dest: str, faces: int) -> dict[str, float]:
    sys.path.insert(0, str(REPO))
    from image2model_desktop.mesh import decimate
    from image2model_desktop.mesh.export import export_with_options
    from image2model_desktop.mesh.options import ExportOptions, Pivot
    from image2model_desktop.mesh.scene import load_single_mesh
    from image2model_desktop.mesh.units import Length

    started = time.perf_counter()
    mesh = load_single_mesh(Path(src))
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    decimate.simplify(mesh, faces)
    simplify_seconds = time.perf_counter() - started
    del mesh
    options = ExportOptions(faces=faces, height=Length(100, "mm"), pivot=Pivot.BOTTOM)
    started = time.perf_counter()
    report = export_with_options(Path(src), Path(dest), options)
    total = time.perf_counter() - started
    return {
        "load": loaded,
        "simplify": simplify_seconds,
        "total": total,
        "faces": report.faces,
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from testkit import make_textured_sphere_glb

    with tempfile.TemporaryDirectory() as folder:
        src = make_textured_sphere_glb(
            Path(folder) / "big.glb", SOURCE_FACES, texture_size=2048, ripple=0.05
        )
        print(f"source: {SOURCE_FACES:,} faces, {src.stat().st_size / 2**20:.1f} MB GLB")
        print(
            f"{'target':>11} {'faces':>7} {'load s':>7} {'decimate s':>11}"
            f" {'export s':>9} {'peak MB':>8}"
        )
        for name, faces in TARGETS:
            row = run_json_child(__file__, "--one", str(src), str(Path(folder) / name), str(faces))
            print(
                f"{name:>11} {row['faces']:7.0f} {row['load']:7.2f} {row['simplify']:11.2f}"
                f" {row['total']:9.2f} {row['peak_mb']:8.0f}"
            )


if __name__ == "__main__":
    main()
