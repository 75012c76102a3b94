"""Time and peak memory of exporting a 500k-face textured model with a face budget.

The model is a rippled UV sphere with a 2048² texture and seams (testkit), like
a big Tripo result. Each target runs in a fresh subprocess, as a pool worker
would: load the GLB, decimate to the budget (seam-aware, texture kept), place it
(100 mm high, base at zero) and write it. ``peak MB`` is the process's peak RSS
(``VmHWM``), imports included; ``decimate s`` is ``mesh.decimate.simplify``
alone, the part that holds the GIL; ``export s`` is the whole
``export_with_options`` call (load, decimate, place, encode, write).

Then the game/web profile (``mesh.web``) of a 20k-face model with a 2048² photo
texture stored as PNG, each row in a fresh subprocess:
the plain GLB's size, the LOD chain's files and total, and the time of
``plan_web_export`` (load, four decimations, Draco, JPEG; nothing written) with
no budget and with budgets that make it lower the texture, then the faces.

Run: ``.venv/bin/python bench/export.py`` (``--web`` for the web profile only).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


WEB_FACES = 20_000
WEB_BUDGETS = (None, 200_000, 120_000, 60_000)


def run_web(src: str, dest: str, budget: int) -> dict[str, Any]:
    sys.path.insert(0, str(REPO))
    from image2model_desktop.mesh.web import WebProfile, plan_web_export

    started = time.perf_counter()
    plan = plan_web_export(Path(src), Path(dest), profile=WebProfile(budget=budget or None))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "total": plan.total_bytes,
        "sizes": [file.size for file in plan.files],
        "faces": [file.faces for file in plan.files],
        "texture": plan.files[0].texture_side or 0,
        "quality": plan.texture_quality or 0,
        "fits": plan.fits,
        "peak_mb": peak_rss_mb(),
    }


def bench_web(folder: Path) -> None:
    from testkit import make_textured_sphere_glb

    src = make_textured_sphere_glb(
        folder / "web.glb", WEB_FACES, texture_size=2048, ripple=0.05,
        photo=REPO / "resources" / "samples" / "vase.jpg",
    )  # fmt: skip
    plain = src.stat().st_size
    print(f"\nweb profile of {WEB_FACES:,} faces + 2048² PNG photo texture:", end=" ")
    print(f"plain GLB {plain / 1e6:.2f} MB")
    print(
        f"{'budget':>8} {'LOD0 tex':>9} {'LOD0 faces':>11} {'files (KB)':>24} {'total':>8}"
        f" {'÷ plain':>8} {'plan s':>7} {'peak MB':>8}"
    )
    for budget in WEB_BUDGETS:
        row: dict[str, Any] = run_json_child(
            __file__, "--web", str(src), str(folder / "out.glb"), str(budget or 0)
        )
        files = "/".join(f"{size / 1e3:.0f}" for size in row["sizes"])
        texture = f"{row['texture']}@{row['quality']}"
        label = "none" if budget is None else f"{budget / 1e3:g} KB"
        print(
            f"{label:>8} {texture:>9} {row['faces'][0]:>11,} {files:>24}"
            f" {row['total'] / 1e6:7.2f}M {row['total'] / plain:8.2f} {row['seconds']:7.2f}"
            f" {row['peak_mb']:8.0f}{'' if row['fits'] else '  (over budget)'}"
        )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "--web":
        print(json.dumps(run_web(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from testkit import make_textured_sphere_glb

    if sys.argv[1:] == ["--web"]:
        with tempfile.TemporaryDirectory() as folder:
            bench_web(Path(folder))
        return
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
        bench_web(Path(folder))


if __name__ == "__main__":
    main()
