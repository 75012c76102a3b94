"""How long the window's event loop stalls while a 25-photo batch runs and results load.

    xvfb-run -a -s "-screen 0 1600x1000x24" python bench/gui_lag.py            # fake FAL, 3 s
    xvfb-run -a -s "-screen 0 1600x1000x24" python bench/gui_lag.py --engine offline

With ``--engine fal`` (default) the real fal-client talks to the loopback fake
(``tests/fakefal``, run as a separate process so its server threads do not
share our GIL) with 3 s generations. A probe sleeps 5 ms at a time on the
qasync loop; each oversleep is a stall the user would feel as a frozen window.
Prints max and p99 for the batch and for loading the results (goal: max < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE_SECONDS = 0.005


class LagProbe:
    """Record how late each 5 ms sleep wakes up, into the current phase's list."""

    def __init__(self, trace_after: float | None = None) -> None:
        self.phase: str | None = None
        self.samples: dict[str, list[float]] = {}
        self._task: asyncio.Task[None] | None = None
        self._beat = time.perf_counter()
        self._trace_after = trace_after
        self.stacks: collections.Counter[str] = collections.Counter()

    def start(self) -> None:
        self._task = asyncio.get_event_loop().create_task(self._run())
        if self._trace_after is not None:
            threading.Thread(target=self._watch, daemon=True).start()

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            self._beat = before
            await asyncio.sleep(PROBE_SECONDS)
            late = time.perf_counter() - before - PROBE_SECONDS
            if self.phase is not None:
                self.samples.setdefault(self.phase, []).append(late)

    def _watch(self) -> None:
        """With --trace-stalls: sample what the Qt thread runs while it is stuck."""
        main = threading.main_thread().ident
        while True:
            time.sleep(0.01)
            if self.phase and time.perf_counter() - self._beat > (self._trace_after or 0):
                frame = sys._current_frames().get(main or 0)
                if frame is not None:
                    where = traceback.format_stack(frame, limit=12)
                    self.stacks[f"[{self.phase}]\n" + "".join(where[-6:])] += 1

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def report(self, phase: str) -> str:
        values = sorted(self.samples.get(phase, [0.0]))
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        return f"max {values[-1] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms ({len(values)} samples)"


def start_fake(seconds: float) -> tuple[subprocess.Popen[str], dict[str, str]]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.fakefal.process import start_fake_process

    return start_fake_process(seconds)


def stage_photos(folder: Path, count: int) -> list[Path]:
    """``count`` different photos: the samples with one pixel changed per copy.

    Identical photos would be generated once and reused (nothing is paid twice),
    which is not the batch this bench measures.
    """
    from PIL import Image

    from image2model_desktop.resources import sample_photos

    samples = sample_photos()
    photos = []
    for number in range(count):
        source = samples[number % len(samples)]
        target = folder / f"{number:02}_{source.stem}.png"
        with Image.open(source) as image:
            pixels = image.convert("RGB")
        pixels.putpixel((number, 0), (number * 9 % 256, 17, 91))
        pixels.save(target)
        photos.append(target)
    return photos


async def drive(window: object, probe: LagProbe, photos: list[Path], engine: str) -> str:
    from image2model_desktop.gui.app import load_3d_stack, wait_exposed
    from image2model_desktop.gui.shell.header import Phase

    w: object = window
    await wait_exposed(w)  # type: ignore[arg-type]
    await w.start([])  # type: ignore[attr-defined]
    await load_3d_stack(w)
    upload = w.upload  # type: ignore[attr-defined]
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData(engine))
    upload.parameters.face_limit.set_value(10_000)
    await upload.add_paths(photos)
    probe.start()
    await asyncio.sleep(0.5)
    probe.phase = "batch"
    started = time.perf_counter()
    upload.generate_button.click()
    while w.current_job_id is None:  # type: ignore[attr-defined]
        await asyncio.sleep(0.01)
    job = await w.service.wait_finished(w.current_job_id)  # type: ignore[attr-defined]
    batch_seconds = time.perf_counter() - started
    probe.phase = "results"
    loaded = time.perf_counter()
    results = w.results  # type: ignore[attr-defined]
    while w.header.phase != Phase.RESULTS or results.preview.model is None:  # type: ignore[attr-defined]
        await asyncio.sleep(0.01)
    grid = results.grid
    while any(grid.item(i).icon().isNull() for i in range(grid.count())):
        await asyncio.sleep(0.01)
    # Then click through a few models, as a person looking at them would.
    for row in range(min(5, grid.count())):
        grid.setCurrentRow(row)
        while results.preview.model is None or results.preview.model.path.name != (
            job.files[row].output.model_filename
        ):
            await asyncio.sleep(0.01)
    probe.phase = None
    return (
        f"{job.completed_count}/{len(job.files)} models in {batch_seconds:.1f} s; "
        f"results loaded in {time.perf_counter() - loaded:.1f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=("fal", "offline"), default="fal")
    parser.add_argument("--photos", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--generation-seconds", type=float, default=3.0)
    parser.add_argument("--trace-stalls", action="store_true", help="print where stalls happen")
    args = parser.parse_args()
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    fake = None
    if args.engine == "fal":
        # fal-client reads its hosts at import: the environment must be set first.
        fake, env = start_fake(args.generation_seconds)
        os.environ.update(env)
    try:
        from image2model_desktop.gui.app import bootstrap, close_session

        with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as folder:
            photos = stage_photos(Path(folder), args.photos)
            session = bootstrap(Path(root))
            session.window.show()  # type: ignore[attr-defined]
            session.runtime.service.set_concurrency(args.concurrency)  # type: ignore[attr-defined]
            probe = LagProbe(0.03 if args.trace_stalls else None)

            async def run() -> str:
                try:
                    return await drive(session.window, probe, photos, args.engine)
                finally:
                    probe.stop()
                    await close_session(session)

            summary = session.loop.run_until_complete(run())
            session.loop.close()
        label = "fake FAL" if args.engine == "fal" else "offline engine"
        print(f"{args.photos} photos, {label}, concurrency {args.concurrency}: {summary}")
        print(f"loop stall during the batch:   {probe.report('batch')}  (goal: max < 50 ms)")
        print(f"loop stall while results load: {probe.report('results')}  (goal: max < 50 ms)")
        for stack, hits in probe.stacks.most_common(8):
            print(f"--- {hits * 10} ms stalled in:\n{stack}")
    finally:
        if fake is not None:
            fake.terminate()
            fake.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
