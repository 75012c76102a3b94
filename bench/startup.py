"""Startup and big-model benchmarks of the window.

    xvfb-run -a -s "-screen 0 1600x1000x24" python bench/startup.py

Prints:
* launch → window visible: from starting a fresh Python process (as the
  ``image2model`` command does) to the window being exposed on screen.
  Goal < 1 s.
* result → textured preview visible: from asking the preview to show a
  procedurally made, textured 500,000-face GLB to the first rendered frame.
  Goal < 1.5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import sys, time, asyncio, tempfile
from pathlib import Path
import image2model_desktop.cli  # the console script imports this first
from image2model_desktop.gui.app import bootstrap, close_session, wait_exposed
root = Path(tempfile.mkdtemp())
session = bootstrap(root)
session.window.show()
async def main():
    await wait_exposed(session.window)
    print(f"VISIBLE {time.time():.6f}", flush=True)
    await close_session(session)
session.loop.run_until_complete(main())
session.loop.close()
"""


def launch_to_visible(runs: int = 5) -> list[float]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    times = []
    for _ in range(runs):
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120
        ).stdout
        visible = next(
            float(line.split()[1]) for line in out.splitlines() if line.startswith("VISIBLE")
        )
        times.append(visible - start)
    return times


def make_big_glb(path: Path, faces: int = 500_000) -> Path:
    """Write a rippled, textured 500k-face sphere (what a detailed FAL model weighs)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from testkit import make_textured_sphere_glb

    return make_textured_sphere_glb(path, faces, texture_size=1024, ripple=0.05)


def result_to_preview(glb: Path, runs: int = 3) -> list[tuple[float, float, float]]:
    """Seconds to the first frame, and the Qt thread's upload and frame seconds, per run."""
    from image2model_desktop.gui.app import bootstrap, close_session, load_3d_stack, wait_exposed
    from image2model_desktop.gui.selftest import model_pixel_share

    times: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory() as root:
        session = bootstrap(Path(root))
        window = session.window
        window.show()

        async def main() -> None:
            await wait_exposed(window)
            await load_3d_stack(window)
            window.set_phase(window.header.phase.RESULTS)
            preview = window.results.preview
            try:
                for _ in range(runs):
                    start = time.perf_counter()
                    assert await preview.show_model(glb)
                    view = preview.view
                    times.append(
                        (time.perf_counter() - start, view.upload_seconds, view.frame_seconds)
                    )
                    share = model_pixel_share(preview.screenshot())
                    assert preview.model.textured and share > 0.05, share
                    preview.clear()
            finally:
                await close_session(session)

        session.loop.run_until_complete(main())
        session.loop.close()
    return times


def main() -> int:
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    launch = launch_to_visible()
    print(
        f"launch → window visible: median {statistics.median(launch):.2f} s, "
        f"best {min(launch):.2f} s, worst {max(launch):.2f} s "
        f"over {len(launch)} launches (goal < 1 s)"
    )
    with tempfile.TemporaryDirectory() as folder:
        glb = make_big_glb(Path(folder) / "big.glb")
        preview = result_to_preview(glb)
    print(
        "result → textured preview visible (500,000 faces): "
        + ", ".join(f"{t:.2f} s" for t, _, _ in preview)
        + " (goal < 1.5 s); on the Qt thread: upload "
        + ", ".join(f"{u * 1000:.0f}" for _, u, _ in preview)
        + " ms, first frame "
        + ", ".join(f"{f * 1000:.0f}" for _, _, f in preview)
        + " ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
