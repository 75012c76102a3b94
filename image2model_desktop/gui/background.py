"""Run work away from the Qt thread and coroutines from slots, without losing errors.

Qt slots are plain functions; the engine is async. ``spawn`` starts a coroutine
on the qasync loop and keeps a reference (asyncio only holds tasks weakly), so
a slot can fire-and-forget. ``in_thread`` runs blocking code in the loop's
executor so the window keeps painting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_tasks: set[asyncio.Task[Any]] = set()
# A plain thread pool: qasync's default QThreadExecutor aborts the process
# ("QThread: Destroyed while thread is still running") if it is not shut down
# before interpreter exit, which an exception path can easily skip.
_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="image2model-gui")
    return _executor


def shutdown_executor() -> None:
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=True, cancel_futures=True)
        _executor = None


async def in_thread(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func(*args)`` in a worker thread and await its result."""
    if kwargs:
        raise TypeError("in_thread takes positional arguments only")
    return await asyncio.get_running_loop().run_in_executor(executor(), func, *args)


def spawn(
    coro: Coroutine[Any, Any, T],
    *,
    on_error: Callable[[BaseException], None] | None = None,
) -> asyncio.Task[T]:
    """Start ``coro`` on the running loop; report a failure to ``on_error`` (or the log)."""
    task = asyncio.get_event_loop().create_task(coro)
    _tasks.add(task)

    def done(finished: asyncio.Task[T]) -> None:
        _tasks.discard(finished)
        if finished.cancelled():
            return
        error = finished.exception()
        if error is None:
            return
        if on_error is not None:
            on_error(error)
        else:
            log.error("Background task failed", exc_info=error)

    task.add_done_callback(done)
    return task


async def cancel_all() -> None:
    """Cancel every task started with ``spawn`` and wait for them (on quit)."""
    pending = list(_tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
