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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

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
                initializer=_lower_priority,
            )
        return _pool


def _lower_priority() -> None:
    """Let the window's thread win the CPU over mesh work (it must answer in ms)."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(5)


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
