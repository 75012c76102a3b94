"""``image2model watch DIR [--out DIR]``: queue photos that appear in a folder until Ctrl-C.

Each group of photos that become complete together is one batch with the
default parameters, shown with the same progress display as ``generate``; the
models are copied to ``--out`` (else they stay in the library, whose path is
printed). The first Ctrl-C cancels the running batch (finished models are
kept) and stops; a second quits at once, as in ``generate``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

from image2model_desktop.core.errors import SetupError

from .batch import EXIT_FAILED, EXIT_OK, check_out_dir, engine_line, print_summary


def add_watch_parser(commands: Any) -> None:
    watch = commands.add_parser(
        "watch", help="turn photos that appear in a folder into models, until Ctrl-C"
    )
    watch.add_argument("folder", type=Path, metavar="DIR", help="the folder to watch")
    watch.add_argument("--out", type=Path, help="copy the models into this folder")
    watch.add_argument("--engine", choices=("auto", "offline", "fal"), default=None)


def run_watch(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if not folder.is_dir():
        raise SetupError(f"{folder} is not a folder; give the folder to watch.")
    if args.out is not None:
        check_out_dir(args.out)
    return asyncio.run(_watch(folder, args.out, args.engine))


async def _watch(folder: Path, out: Path | None, engine: str | None) -> int:
    from image2model_desktop.core.intake import check_photos, merge_parameters
    from image2model_desktop.core.watch import POLL_SECONDS, FolderWatcher, batches, copy_models
    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.runtime import open_runtime

    from .console import ProgressDisplay

    loop = asyncio.get_running_loop()
    runtime = open_runtime(hold_on_balance=False)
    stop = asyncio.Event()
    running: list[str] = []
    failed = False

    def on_interrupt() -> None:
        if stop.is_set():
            os._exit(EXIT_FAILED)  # the library keeps every state for `image2model resume`
        stop.set()
        print("\nStopping… finished models are kept (Ctrl-C again to quit now).", flush=True)
        for job_id in running:
            runtime.service.cancel_job(job_id)

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        service = runtime.service
        parameters = merge_parameters(service.settings, {"engine": engine})
        service.check_parameters(parameters)
        print(engine_line(parameters, service.resolve_engine(parameters.engine)))
        await service.start()
        watcher = FolderWatcher(folder)
        target = f"models go to {out}" if out else "models stay in the library"
        print(f"Watching {folder} for new photos; {target}. Ctrl-C to stop.", flush=True)
        while not stop.is_set():
            ready = await loop.run_in_executor(None, watcher.poll)
            for batch in batches(ready):
                if stop.is_set():
                    break
                entries = await loop.run_in_executor(None, check_photos, batch)
                job = await service.submit(entries, parameters)
                running.append(job.job_id)
                display = ProgressDisplay(job, sys.stdout)
                unsubscribe = service.on_event(display.on_event, job.job_id)
                try:
                    final = await service.wait_finished(job.job_id)
                finally:
                    unsubscribe()
                    display.close()
                    running.remove(job.job_id)
                outputs = runtime.paths.outputs(final.job_id)
                if out is not None:
                    for problem in copy_models(final, outputs, out)[1]:
                        print(problem)
                print_summary(final, outputs, sys.stdout)
                failed = failed or final.completed_count < len(final.files)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
        return EXIT_FAILED if failed else EXIT_OK
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await runtime.aclose()
        shutdown_process_pool()
