"""The shared process pool for CPU work that holds the GIL.

Spawned, not forked: forking a process that has Qt or a running event loop
copies locks in unknown states. Workers start lazily on the first job.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

#: How often a worker checks that the app that started it is still alive.
_ORPHAN_CHECK_SECONDS = 1.0

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def pool_size() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def get_process_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=pool_size(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
        return _pool


def _init_worker(app_pid: int) -> None:
    """Prepare a pool worker: lower priority, and die with the app."""
    # The window's thread must win the CPU over mesh work (it answers in ms).
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(5)
    # A worker blocks on a pipe it also holds, so it never notices a parent that
    # was killed (-9) and would linger forever. Linux's parent-death signal is no
    # help: it fires when the spawning *thread* ends, not the process. The app's
    # pid comes from the app: a worker still starting up when the app died would
    # read its new parent (init) from getppid() and wait for it forever.
    threading.Thread(target=_exit_when_orphaned, args=(app_pid,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_ORPHAN_CHECK_SECONDS)
    os._exit(0)


async def run_in_process(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func(*args)`` in the process pool; restart the pool once if it broke."""
    if kwargs:
        raise TypeError("run_in_process takes positional arguments only")
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(get_process_pool(), func, *args)
    except BrokenProcessPool:
        # A worker died (out of memory, killed): start a fresh pool and try once more.
        _discard_pool()
        return await loop.run_in_executor(get_process_pool(), func, *args)


def _discard_pool() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def shutdown_process_pool() -> None:
    """Stop the workers (on quit); running work is abandoned."""
    _discard_pool()
