"""Bench: 25 photos through the FAL engine against the loopback fake.

Each fake generation takes 3 s and 5 run at once, so the ideal wall time is
5 waves × 3 s = 15 s. Prints the wall time, its ratio to the ideal (goal ≤ 1.10),
the most requests FAL had in flight, and the busiest status-poll rate.

    .venv/bin/python bench/fal_batch.py [--files 25] [--seconds 3] [--concurrency 5]
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


async def run(files: int, seconds: float, concurrency: int) -> None:
    from testkit import make_photo

    from image2model_desktop.core.models import JobParameters
    from image2model_desktop.core.paths import LibraryPaths
    from image2model_desktop.core.service import JobService, StagedInput
    from image2model_desktop.core.settings import Settings
    from image2model_desktop.core.store import Store
    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.engines.fal.engine import FalEngine
    from tests.fakefal import FakeFal

    tmp = Path(tempfile.mkdtemp(prefix="fal-bench-"))
    photos = [make_photo(tmp / f"photo{i:02}.png", 256) for i in range(files)]
    with FakeFal(generation_seconds=seconds) as fake, fake.patch_fal_client(max_attempts=2):
        paths = LibraryPaths(tmp / "lib")
        paths.root.mkdir()
        store = Store.open(paths.database)
        service = JobService(
            store,
            paths,
            Settings(concurrency=concurrency),
            lambda name: FalEngine(key=fake.key),
            has_fal_key=lambda: True,
        )
        entries = [StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos]
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
        print(f"files {files}, generation {seconds:.1f} s, concurrency {concurrency}")
        print(f"completed          {job.completed_count}/{files}")
        print(f"submits            {len(fake.submits())}")
        print(f"max in flight      {fake.max_in_flight()}")
        print(f"wall time          {wall:.2f} s (ideal {ideal:.1f} s)")
        print(f"ratio to ideal     {wall / ideal:.3f}  (goal <= 1.10)")
        print(f"status polls/s     max {max(rates):.2f}, mean {sum(rates) / len(rates):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.files, args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
