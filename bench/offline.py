"""Time per photo of the offline engine on real photographs, and time and memory by photo size.

First table: what a pool worker does with each photo *file* (decode, find the
subject, build, measure; ``+picture`` also draws the API's preview), after a
warm-up, on the bundled samples and scikit-image's photographs (its wheel ships
them: ``pip install scikit-image``, the ``dev`` extra). Median of 3 runs in one
fresh process; ``parts`` is the model's connected parts, ``warned`` whether the
engine said it found no clear subject.

Second table: synthetic 256², 1024² and 4096² photos.

Each size runs in a fresh subprocess, after a warm-up call (as in a pool worker
that has already imported trimesh and scipy). Two measurements per size:

* ``build``: ``build_offline_model`` on the decoded photo; ``build MB`` is
  tracemalloc's peak during the call (numpy buffers included), i.e. what the
  algorithm adds on top of the photo it is given.
* ``worker``: what a mesh worker really does with a photo *file* (JPEG written
  by this script): validate, decode, orient, downscale to 2048 px, build, write
  the GLB, measure it. ``worker MB`` is that process's peak RSS (``VmHWM``),
  imports included: the memory one image costs the machine. Then what the
  picture worker adds: ``picture s`` to draw the model's 512² picture (warm),
  ``+pictures MB`` the peak RSS once it has drawn (VTK and a GL context).

Run: ``.venv/bin/python bench/offline.py`` (the figures depend on the machine's
load: it prints the load average beside them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from benchkit import peak_rss_mb, run_json_child

SIZES = (256, 1024, 4096)
REAL_PHOTOS = ("coffee", "chelsea", "astronaut", "rocket", "stereo_motorcycle", "hubble_deep_field")
SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


def synthetic_photo(size: int) -> object:
    """A red blob with a handle on a light gradient, with sensor noise."""
    import numpy as np

    y, x = np.mgrid[0:size, 0:size] / size
    rgb = (np.array([235.0, 232.0, 228.0]) - 30 * y[..., None]) * np.ones((1, 1, 3))
    body = ((x - 0.45) / 0.25) ** 2 + ((y - 0.55) / 0.35) ** 2 < 1
    handle = np.abs(np.hypot(x - 0.7, y - 0.5) - 0.12) < 0.025
    rgb[body | handle] = (180, 40, 40)
    rgb += np.random.default_rng(0).normal(0, 2, rgb.shape)
    alpha = np.full((size, size, 1), 255.0)
    return np.concatenate([rgb, alpha], axis=2).clip(0, 255).astype(np.uint8)


def run_one(size: int) -> dict[str, float]:
    from image2model_desktop.engines.offline.model import build_offline_model

    with tempfile.TemporaryDirectory() as folder:
        build_offline_model(synthetic_photo(64), Path(folder) / "warm.glb")  # type: ignore[arg-type]
        rgba = synthetic_photo(size)
        tracemalloc.start()
        started = time.perf_counter()
        stats = build_offline_model(rgba, Path(folder) / "m.glb")  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        _, build_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "seconds": seconds,
        "faces": stats.faces,
        "build_mb": build_peak / 2**20,
        "process_mb": peak_rss_mb(),
    }


def run_worker(photo: str) -> dict[str, float]:
    from image2model_desktop.engines.offline.engine import build_in_worker, draw_preview

    with tempfile.TemporaryDirectory() as folder:
        warm = Path(folder) / "warm.jpg"
        _save_jpeg(synthetic_photo(64), warm)
        build_in_worker(warm, Path(folder) / "warm.glb", 20_000)
        started = time.perf_counter()
        stats, _ = build_in_worker(Path(photo), Path(folder) / "m.glb", 20_000)
        seconds = time.perf_counter() - started
        # A mesh worker stops here; the picture is the picture worker's.
        worker_mb = peak_rss_mb()
        draw_preview(Path(folder) / "warm.glb", Path(folder) / "warm.png")
        started = time.perf_counter()
        drawn = draw_preview(Path(folder) / "m.glb", Path(folder) / "m.png")
        picture = time.perf_counter() - started
    return {
        "seconds": seconds,
        "picture_seconds": picture if drawn else float("nan"),
        "faces": stats.faces,
        "worker_mb": worker_mb,
        "with_pictures_mb": peak_rss_mb(),
    }


def run_photos(folder: str) -> dict[str, dict[str, float]]:
    """Time the worker's call on each photo file in ``folder``: median of 3, then with a picture."""
    import statistics

    import trimesh

    from image2model_desktop.engines.offline.engine import build_in_worker

    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as work:
        out = Path(work)
        warm = out / "warm.jpg"
        _save_jpeg(synthetic_photo(64), warm)
        build_in_worker(warm, out / "warm.glb", 20_000, out / "warm.png")
        for photo in sorted(Path(folder).iterdir()):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                stats, _, warning = build_in_worker(photo, out / "m.glb", 20_000)
                times.append(time.perf_counter() - started)
            started = time.perf_counter()
            _, drawn, _ = build_in_worker(photo, out / "p.glb", 20_000, out / "p.png")
            with_picture = time.perf_counter() - started
            mesh = trimesh.load(str(out / "m.glb"), force="mesh")
            rows[photo.name] = {
                "seconds": statistics.median(times),
                "seconds_with_picture": with_picture if drawn else float("nan"),
                "faces": stats.faces,
                "parts": len(mesh.split(only_watertight=False)),
                "warned": float(warning is not None),
            }
    return rows


def _write_photos(folder: Path) -> None:
    import shutil

    import skimage.data
    from PIL import Image

    for sample in sorted(SAMPLES.iterdir()):
        shutil.copy(sample, folder / sample.name)
    for name in REAL_PHOTOS:
        loaded = getattr(skimage.data, name)()
        rgb = loaded[0] if isinstance(loaded, tuple) else loaded  # stereo pair: the left view
        Image.fromarray(rgb).save(folder / f"{name}.png")


def _print_photos() -> None:
    import os

    from PIL import Image

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Real photos (load average {load} on {os.cpu_count()} cores)")
    print(f"{'photo':>22} {'size':>9} {'worker s':>9} {'+picture s':>10} {'faces':>7} parts warned")
    with tempfile.TemporaryDirectory() as folder:
        _write_photos(Path(folder))
        result = subprocess.run(
            [sys.executable, __file__, "--photos", folder],
            check=True,
            capture_output=True,
            text=True,
        )
        rows = json.loads(result.stdout.strip().splitlines()[-1])
        for name, row in rows.items():
            width, height = Image.open(Path(folder) / name).size
            print(
                f"{name:>22} {width:>4}x{height:<4} {row['seconds']:9.2f}"
                f" {row['seconds_with_picture']:10.2f} {row['faces']:7.0f}"
                f" {row['parts']:5.0f} {'yes' if row['warned'] else 'no':>6}"
            )
        seconds = sorted(row["seconds"] for row in rows.values())
        print(f"worker s per photo: {seconds[0]:.2f}–{seconds[-1]:.2f}\n")


def _save_jpeg(rgba: object, path: Path) -> None:
    from PIL import Image

    Image.fromarray(rgba[..., :3]).save(path, quality=90)  # type: ignore[index]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]))))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(run_worker(sys.argv[2])))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--photos":
        print(json.dumps(run_photos(sys.argv[2])))
        return
    _print_photos()
    print(
        f"{'photo':>10} {'build s':>8} {'faces':>7} {'build MB':>9}"
        f" {'worker s':>9} {'picture s':>10} {'worker MB':>10} {'+pictures MB':>13}"
        f" {'jpeg MB':>8}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            build = run_json_child(__file__, "--one", str(size))
            photo = Path(folder) / f"photo{size}.jpg"
            _save_jpeg(synthetic_photo(size), photo)
            worker = run_json_child(__file__, "--worker", str(photo))
            print(
                f"{size:>5}x{size:<4} {build['seconds']:8.2f} {build['faces']:7.0f}"
                f" {build['build_mb']:9.0f} {worker['seconds']:9.2f}"
                f" {worker['picture_seconds']:10.2f} {worker['worker_mb']:10.0f}"
                f" {worker['with_pictures_mb']:13.0f}"
                f" {photo.stat().st_size / 2**20:8.1f}"
            )


if __name__ == "__main__":
    main()
