"""Time of the print check on a 9k- and a 500k-face model, and which stage dominates.

The models are rippled UV spheres with a texture and seams (testkit), like
Tripo results, checked at 80 mm tall for FDM. Two ways per size:

* ``in-process``: ``check_print`` in a fresh interpreter (the CLI's way), with
  each stage's time (load = read + place + weld; topology; overhangs =
  overhangs + orientation search; walls = Embree rays) and peak RSS;
* ``pool``: ``check_print_in_pool`` through ``core.workers``' process pool
  from an asyncio loop (the window's and the API's way), cold (the pool's
  workers start and import trimesh) and warm (workers already up).

Then the fixes on the 500k-face model, each an ``export_with_options`` to 3MF
at 80 mm in a fresh interpreter (load, place, fix, write): ``--fill-holes``
(repair), ``--orient``, ``--hollow 2mm --drain 4mm``, ``--colors 4``.

Run: ``.venv/bin/python bench/print_check.py``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from benchkit import peak_rss_mb, run_json_child

REPO = Path(__file__).resolve().parent.parent
SIZES = (9_000, 500_000)


FIXES = {
    "repair": {"fill_holes": True},
    "orient": {"orient": True},
    "hollow 2mm, drain 4mm": {"hollow": "2mm", "drain": "4mm"},
    "colours 4": {"colors": 4},
}


def run_fix(src: str, dest: str, name: str) -> dict[str, float]:
    sys.path.insert(0, str(REPO))
    from image2model_desktop.mesh.export import export_with_options
    from image2model_desktop.mesh.options import ExportOptions
    from image2model_desktop.mesh.units import Length

    given = {
        key: Length.parse(value) if key in ("hollow", "drain") else value
        for key, value in FIXES[name].items()
    }
    options = ExportOptions(height=Length(80, "mm"), **given)  # type: ignore[arg-type]
    started = time.perf_counter()
    report = export_with_options(Path(src), Path(dest), options)
    return {
        "seconds": time.perf_counter() - started,
        "faces": report.faces,
        "peak_mb": peak_rss_mb(),
    }


def run_one(src: str) -> dict[str, float]:
    sys.path.insert(0, str(REPO))
    from image2model_desktop.mesh.printing.check import build_report, measure_shape, measure_walls
    from image2model_desktop.mesh.printing.profiles import PrintSettings

    settings = PrintSettings(height_mm=80)
    started = time.perf_counter()
    facts = measure_shape(Path(src), settings)
    walls_started = time.perf_counter()
    thickness = measure_walls(facts)
    walls = time.perf_counter() - walls_started
    report = build_report(facts, thickness, settings)
    total = time.perf_counter() - started
    return {
        **report.timings,
        "walls": walls,
        "total": total,
        "faces": report.faces,
        "peak_mb": peak_rss_mb(),
    }


async def in_pool(src: Path) -> tuple[float, float]:
    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.mesh.printing.check import check_print_in_pool
    from image2model_desktop.mesh.printing.profiles import PrintSettings

    settings = PrintSettings(height_mm=80)
    try:
        started = time.perf_counter()
        await check_print_in_pool(src, settings)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        await check_print_in_pool(src, settings)
        return cold, time.perf_counter() - started
    finally:
        shutdown_process_pool()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2])))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "--fix":
        print(json.dumps(run_fix(sys.argv[2], sys.argv[3], sys.argv[4])))
        return
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from testkit import make_textured_sphere_glb

    stages = ("load", "topology", "overhangs", "walls", "report")
    print(f"{'faces':>8} {'total s':>8} " + " ".join(f"{s:>9}" for s in stages) + "  peak MB")
    with tempfile.TemporaryDirectory() as folder:
        models = {}
        for faces in SIZES:
            src = make_textured_sphere_glb(
                Path(folder) / f"{faces}.glb", faces, texture_size=1024, ripple=0.05
            )
            models[faces] = src
            row = run_json_child(__file__, "--one", str(src))
            dominant = max(stages, key=lambda s: row[s])
            print(
                f"{int(row['faces']):>8,} {row['total']:>8.2f} "
                + " ".join(f"{row[s]:>9.2f}" for s in stages)
                + f"  {row['peak_mb']:>7.0f}   (most: {dominant})"
            )
        for faces, src in models.items():
            cold, warm = asyncio.run(in_pool(src))
            print(f"pool {faces:>8,} faces: cold {cold:.2f} s (workers start), warm {warm:.2f} s")
        big = models[SIZES[-1]]
        for name in FIXES:
            dest = str(Path(folder) / "fixed.3mf")
            row = run_json_child(__file__, "--fix", str(big), dest, name)
            print(
                f"export {SIZES[-1]:,} faces, {name}: {row['seconds']:.2f} s, "
                f"{int(row['faces']):,} faces written, {row['peak_mb']:.0f} MB peak"
            )


if __name__ == "__main__":
    main()
