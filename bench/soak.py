"""Soak: 10 batches of 25 photos in a row through the FAL engine, in one process.

The fake FAL runs as its own process (``python -m tests.fakefal``), so the RSS
printed is the app's alone: the headless job engine (``JobService`` with the
real ``FalEngine`` and fal-client), its SQLite library and its files.
After each batch it prints RSS, open file descriptors, threads, asyncio tasks
and leftovers (partial files, staging files). Goal: RSS after the last batch
within 10 % of RSS after the second, and nothing left over.

    .venv/bin/python bench/soak.py [--batches 10] [--files 25] [--seconds 0.7] [--concurrency 8]

Exit code 0 when the goal is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

GROWTH_GOAL = 0.10


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def leftovers(library: Path) -> list[Path]:
    found = [p for p in library.rglob("*") if p.is_file() and p.name.endswith(".part")]
    staging = library / "staging"
    if staging.exists():
        found += [p for p in staging.iterdir()]
    return found


def start_fake(seconds: float) -> tuple[subprocess.Popen[str], dict[str, str]]:
    from tests.fakefal.process import start_fake_process

    return start_fake_process(seconds)


async def soak(batches: int, files: int, concurrency: int, work: Path, key: str) -> bool:
    # Imported after the fake's hosts are in the environment: fal-client reads them at import.
    from testkit import make_photo

    from image2model_desktop.core.models import JobParameters
    from image2model_desktop.core.paths import LibraryPaths
    from image2model_desktop.core.service import JobService, StagedInput
    from image2model_desktop.core.settings import Settings
    from image2model_desktop.core.store import Store
    from image2model_desktop.engines.fal.client import FalHosts
    from image2model_desktop.engines.fal.engine import FalEngine
    from image2model_desktop.engines.stats import model_stats

    photos = [make_photo(work / f"photo{i:02}.png", 160 + 4 * i) for i in range(files)]
    paths = LibraryPaths(work / "library")
    paths.root.mkdir()
    store = Store.open(paths.database, lock_path=paths.lock_file)
    service = JobService(
        store,
        paths,
        Settings(concurrency=concurrency),
        lambda name: FalEngine(key=key, hosts=FalHosts.from_env()),
        has_fal_key=lambda: True,
        hold_on_balance=False,
        inspect_model=model_stats,
    )
    entries = [StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos]
    print(f"{batches} batches × {files} photos, concurrency {concurrency}, pid {os.getpid()}")
    print(f"before: RSS {rss_mib():.1f} MiB, fds {open_fds()}, threads {threading.active_count()}")
    print("batch  seconds  completed  RSS MiB  fds  threads  tasks  leftovers")
    rss: list[float] = []
    completed_all = True
    try:
        for number in range(1, batches + 1):
            started = time.perf_counter()
            job = await service.submit(entries, JobParameters(engine="fal"))
            job = await asyncio.wait_for(service.wait_finished(job.job_id), 600)
            seconds = time.perf_counter() - started
            await asyncio.sleep(0)  # let finished tasks be reaped
            gc.collect()
            rss.append(rss_mib())
            tasks = len(asyncio.all_tasks()) - 1  # minus this coroutine's own task
            left = leftovers(paths.root)
            completed_all = completed_all and job.completed_count == files
            print(
                f"{number:5}  {seconds:7.1f}  {job.completed_count:6}/{files}  {rss[-1]:7.1f}"
                f"  {open_fds():3}  {threading.active_count():7}  {tasks:5}  {len(left):9}"
            )
    finally:
        await service.aclose()
        store.close()
        from image2model_desktop.core.workers import shutdown_process_pool

        shutdown_process_pool()
    growth = (rss[-1] - rss[1]) / rss[1] if len(rss) > 1 else 0.0
    left = leftovers(paths.root)
    tasks = len(asyncio.all_tasks()) - 1
    print(
        f"after close: fds {open_fds()}, threads {threading.active_count()}, tasks {tasks}, "
        f"leftovers {len(left)}"
    )
    print(f"RSS growth from batch 2 to batch {len(rss)}: {growth:+.1%} (goal < {GROWTH_GOAL:.0%})")
    ok = completed_all and growth < GROWTH_GOAL and not left and tasks == 0
    print("PASS" if ok else "FAIL")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--files", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=0.7, help="fake generation time")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    fake, env = start_fake(args.seconds)
    work = Path(tempfile.mkdtemp(prefix="image2model-soak-"))
    try:
        os.environ.update(env)
        ok = asyncio.run(soak(args.batches, args.files, args.concurrency, work, env["FAL_KEY"]))
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
