"""Bench: 25 photos through the FAL engine against the loopback fake.

Each fake generation takes 3 s and 5 run at once, so the ideal wall time is
5 waves × 3 s = 15 s. Two runs: the engine following FAL's status stream (goal:
wall ≤ 1.05 × ideal, 0 status polls), then the fake refusing the stream so the
engine falls back to polling. Each prints the wall time, its ratio to the ideal,
the status polls and stream connections of the run, the most requests FAL had
in flight, and (polling) the busiest status-poll rate.

    .venv/bin/python bench/fal_batch.py [--files 25] [--seconds 3] [--concurrency 5]
                                        [--mode both|stream|polling]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]


async def run(files: int, seconds: float, concurrency: int, mode: str) -> None:
    from testkit import make_photo

    from image2model_desktop.core.intake import check_photos
    from image2model_desktop.core.models import JobParameters
    from image2model_desktop.core.paths import LibraryPaths
    from image2model_desktop.core.service import JobService
    from image2model_desktop.core.settings import Settings
    from image2model_desktop.core.store import Store
    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.engines.fal.engine import FalEngine
    from image2model_desktop.engines.stats import model_stats
    from tests.fakefal import FakeFal

    tmp = Path(tempfile.mkdtemp(prefix=f"fal-bench-{mode}-"))
    photos = [make_photo(tmp / f"photo{i:02}.png", 256) for i in range(files)]
    stream = "ok" if mode == "stream" else "refuse_404"
    with (
        FakeFal(generation_seconds=seconds, status_stream=stream) as fake,
        fake.patch_fal_client(max_attempts=2),
    ):
        paths = LibraryPaths(tmp / "lib")
        paths.root.mkdir()
        store = Store.open(paths.database)
        service = JobService(
            store,
            paths,
            Settings(concurrency=concurrency),
            lambda name: FalEngine(key=fake.key),
            has_fal_key=lambda: True,
            inspect_model=model_stats,
        )
        # Checked (and hashed for core.reuse) before the clock starts, as the CLI does.
        entries = check_photos(photos)
        started = time.perf_counter()
        job = await service.submit(entries, JobParameters(engine="fal"))
        job = await service.wait_finished(job.job_id)
        wall = time.perf_counter() - started
        await service.aclose()
        store.close()
        shutdown_process_pool()
        rates = []
        for item in job.files:
            polls = fake.status_polls(item.request_id or "")
            if len(polls) > 1:
                rates.append((len(polls) - 1) / (polls[-1].t - polls[0].t))
        ideal = math.ceil(files / concurrency) * seconds
        goal = "<= 1.05, 0 polls" if mode == "stream" else "about 1 poll/s per request"
        print(f"-- {mode}: files {files}, generation {seconds:.1f} s, concurrency {concurrency}")
        print(f"completed          {job.completed_count}/{files}")
        print(f"submits            {len(fake.submits())}")
        print(f"max in flight      {fake.max_in_flight()}")
        print(f"wall time          {wall:.2f} s (ideal {ideal:.1f} s)")
        print(f"ratio to ideal     {wall / ideal:.3f}  (goal {goal})")
        print(f"status polls       {fake.status_poll_count()}")
        print(f"stream connections {fake.status_stream_count()}")
        if rates:
            print(f"status polls/s     max {max(rates):.2f}, mean {sum(rates) / len(rates):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--mode", choices=("both", "stream", "polling"), default="both")
    args = parser.parse_args()
    modes = ("stream", "polling") if args.mode == "both" else (args.mode,)
    for mode in modes:
        asyncio.run(run(args.files, args.seconds, args.concurrency, mode))


if __name__ == "__main__":
    main()
