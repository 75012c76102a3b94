"""Time and peak memory of the offline engine on synthetic 256², 1024² and 4096² photos.

Each size runs in a fresh subprocess. ``build MB`` is tracemalloc's peak during
the call (numpy buffers included), i.e. what the engine adds on top of the
photo it is given; ``process MB`` is ``ru_maxrss``, which for 4096² is set by
synthesising the test photo. Timings are after a warm-up call, as in a pool
worker that has already imported trimesh and scipy.
Run: ``.venv/bin/python bench/offline.py``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

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
        "process_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]))))
        return
    print(f"{'photo':>10} {'seconds':>8} {'faces':>7} {'build MB':>9} {'process MB':>11}")
    for size in SIZES:
        result = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"{size:>5}x{size:<4} {row['seconds']:8.2f} {row['faces']:7d}"
            f" {row['build_mb']:9.0f} {row['process_mb']:11.0f}"
        )


if __name__ == "__main__":
    main()
