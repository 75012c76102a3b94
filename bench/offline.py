"""Time and peak memory of the offline engine on synthetic 256², 1024² and 4096² photos.

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

Run: ``.venv/bin/python bench/offline.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from benchkit import peak_rss_mb, run_json_child

SIZES = (256, 1024, 4096)


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
    from image2model_desktop.engines.offline_model import build_offline_model

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
    from image2model_desktop.engines.offline import build_in_worker, draw_preview

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
