"""The app's worker processes: the mesh pool, and the one picture worker.

CPU work that holds the GIL runs in other processes, never forked from the app:
forking a process that has Qt or a running event loop copies locks in unknown
states. On Linux they are forked from a *fork server* (a fresh interpreter the
app starts, which imports numpy, scipy, Pillow and trimesh once, then forks a
worker per request), so the workers share those modules' memory instead of
each importing its own (measured with ``bench/memory.py``: about 60 MB of
imports per worker). Elsewhere (Windows has no fork; macOS frameworks are not
fork-safe) each worker is spawned.

* The **mesh pool** (up to :func:`pool_size` workers) builds, measures,
  simplifies and exports models: numpy, scipy and trimesh.
* The **picture worker** (one process) runs every function marked
  :func:`draws_pictures`: grid pictures, the offline engine's rendered image,
  turntable frames, contact sheets. A process that has drawn holds VTK and an
  OpenGL (llvmpipe) context: measured with ``bench/memory.py`` (25 photos,
  offline engine, a pool of 4), each worker that had drawn held 290–330 MB
  PSS, and the app 1.56 GB in all. One process draws everything instead.

Both start lazily on the first job and end once they have had no work for
:data:`IDLE_EXIT_SECONDS` (a worker's memory only grows while it lives, and
an idle app should hold none of it); the next job starts them again, which
costs a spawn and the job's imports (about 1–2 s) once per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])

#: How often a worker checks that the app that started it is still alive.
_ORPHAN_CHECK_SECONDS = 1.0

#: Seconds without work after which a pool's processes exit (read when its
#: last job ends). Long enough to stay warm between the jobs of a batch and
#: the pictures of its results, short enough that an idle app is small again
#: within a minute (issue 23).
IDLE_EXIT_SECONDS = 15.0

_PICTURES = "_image2model_draws_pictures"

#: Held while a pool starts and while the fork server is being stopped, so a
#: pool never forks its workers from a server that is on its way out.
_server_lock = threading.Lock()
#: Pools shutting down whose workers may still be running (under ``_server_lock``).
_retiring = 0

#: What the fork server imports before it forks workers: the heavy libraries
#: every mesh job uses (their own imports are lazy, so a worker pays for them once).
_PRELOAD = ("numpy", "PIL.Image", "scipy.ndimage", "scipy.sparse", "scipy.spatial", "trimesh")


def pool_size() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def draws_pictures(func: F) -> F:
    """Mark ``func`` (it draws with VTK) to run in the one picture worker."""
    setattr(func, _PICTURES, True)
    return func


class _Pool:
    """A spawned process pool that starts on its first job and ends when idle."""

    def __init__(self, size: Callable[[], int]) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._busy = 0
        self._timer: threading.Timer | None = None

    def _acquire(self) -> ProcessPoolExecutor:
        with _server_lock, self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._executor is None:
                context = _context()
                self._executor = ProcessPoolExecutor(
                    max_workers=self._size(),
                    mp_context=context,
                    initializer=_init_worker,
                    initargs=(os.getpid(), context.get_start_method() == "forkserver"),
                )
            self._busy += 1
            return self._executor

    def _release(self) -> None:
        with self._lock:
            self._busy -= 1
            if self._busy == 0 and self._executor is not None:
                self._timer = threading.Timer(
                    IDLE_EXIT_SECONDS, self._retire_if_idle, args=(self._executor,)
                )
                self._timer.daemon = True
                self._timer.start()

    def _retire_if_idle(self, executor: ProcessPoolExecutor) -> None:
        global _retiring
        with _server_lock, self._lock:
            if self._busy or self._executor is not executor:
                return
            self._executor, self._timer = None, None
            _retiring += 1
        # This timer thread waits for the workers to exit (a job whose caller was
        # cancelled may still be finishing), so the fork server stops only once no
        # worker of ours holds it, and nothing waits while holding a lock.
        executor.shutdown(wait=True)
        with _server_lock:
            _retiring -= 1
        _stop_fork_server_if_idle()

    def discard(self, executor: ProcessPoolExecutor | None = None) -> None:
        """Stop ``executor`` (or the current one); running work is abandoned."""
        with self._lock:
            if executor is None or executor is self._executor:
                executor, self._executor = self._executor, None
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def running(self) -> bool:
        with self._lock:
            return self._executor is not None

    async def run(self, func: Callable[..., T], args: tuple[object, ...]) -> T:
        try:
            return await self._run_once(func, args)
        except BrokenProcessPool:
            # A worker died (out of memory, killed): a fresh pool gets one more try.
            return await self._run_once(func, args)

    async def _run_once(self, func: Callable[..., T], args: tuple[object, ...]) -> T:
        loop = asyncio.get_running_loop()
        executor = self._acquire()
        try:
            return await loop.run_in_executor(
                executor, functools.partial(_call_and_trim, func), *args
            )
        except BrokenProcessPool:
            self.discard(executor)
            raise
        finally:
            self._release()


_mesh_pool = _Pool(lambda: pool_size())
_picture_pool = _Pool(lambda: 1)


def _context() -> multiprocessing.context.BaseContext:
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(_PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def _stop_fork_server_if_idle() -> None:
    """End the fork server once no pool is up (it holds the preloaded libraries: ~100 MB)."""
    from multiprocessing import forkserver

    # No public way to stop it; ``_stop`` (Python's own tests use it) closes its pipe
    # and waits for it, which is quick here: the retired workers have no work left.
    # The next job starts a new one.
    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    with _server_lock:
        idle = not (_retiring or _mesh_pool.running() or _picture_pool.running())
        if stop is not None and idle:
            stop()


def _init_worker(app_pid: int, forked_by_server: bool) -> None:
    """Prepare a pool worker: lower priority, and die with the app."""
    # The window's thread must win the CPU over mesh work (it answers in ms).
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(5)
    # A worker blocks on a pipe it also holds, so it never notices an app that
    # was killed (-9) and would linger forever. Linux's parent-death signal is no
    # help: it fires when the spawning *thread* ends, not the process.
    threading.Thread(
        target=_exit_when_orphaned, args=(app_pid, forked_by_server), daemon=True
    ).start()


def _exit_when_orphaned(app_pid: int, forked_by_server: bool) -> None:
    # Spawned, the app is the parent: the pid comes from the app, because a worker
    # still starting up when the app died would read its new parent (init) from
    # getppid() and wait for it forever. Forked, the parent is the fork server,
    # which outlives the app while workers hold its pipe: ask for the app itself.
    while _running(app_pid) if forked_by_server else os.getppid() == app_pid:
        time.sleep(_ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _call_and_trim(func: Callable[..., T], *args: object) -> T:
    """Run one job in a worker, then hand the memory it freed back to the system."""
    try:
        return func(*args)
    finally:
        _trim_heap()


def _trim_heap() -> None:
    # glibc keeps freed memory in the process (a job's photo, grids and mesh are tens of
    # MB) and raises its mmap threshold after large frees, so later large arrays come
    # from the heap and stay there; malloc_trim returns the free pages. Elsewhere: no-op.
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None)  # the process's own symbols: glibc's, or musl's (no malloc_trim)
    return libc if hasattr(libc, "malloc_trim") else None


async def run_in_process(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func(*args)`` in a worker process; restart the pool once if it broke.

    Functions marked :func:`draws_pictures` run in the picture worker, the rest
    in the mesh pool.
    """
    if kwargs:
        raise TypeError("run_in_process takes positional arguments only")
    pool = _picture_pool if getattr(func, _PICTURES, False) else _mesh_pool
    return await pool.run(func, args)


def workers_running() -> bool:
    """Tell whether any worker process is up (tests, benches)."""
    return _mesh_pool.running() or _picture_pool.running()


def shutdown_process_pool() -> None:
    """Stop every worker (on quit); running work is abandoned."""
    _mesh_pool.discard()
    _picture_pool.discard()
