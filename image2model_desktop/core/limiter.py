"""A FIFO concurrency limit whose size can change while work is running."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator


class Limiter:
    """Let at most ``limit`` holders in at once, first come first served."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._active = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def active(self) -> int:
        return self._active

    def set_limit(self, limit: int) -> None:
        """Change the limit; a larger one lets waiters in at once."""
        self._limit = max(1, limit)
        self._wake()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    def release(self) -> None:
        self._active -= 1
        self._wake()

    async def acquire(self) -> None:
        if self._active < self._limit and not self._waiters:
            self._active += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # We were let in just as we were cancelled: pass the slot on.
                self._active -= 1
                self._wake()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def _wake(self) -> None:
        while self._waiters and self._active < self._limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._active += 1
                waiter.set_result(None)
