"""Per-client upload rate limit: a sliding window of request times."""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable

#: Forget idle clients once this many are tracked, so the table stays small.
_MAX_CLIENTS = 1024


class RateLimiter:
    """Allow ``limit`` events per ``window`` seconds per client."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, collections.deque[float]] = {}

    def acquire(self, client: str) -> float | None:
        """Count one event; return None if allowed, else seconds until one would be."""
        now = self._clock()
        hits = self._hits.get(client)
        if hits is None:
            if len(self._hits) >= _MAX_CLIENTS:
                self._forget_idle(now)
            hits = self._hits[client] = collections.deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(hits[0] + self.window - now, 0.0)
        hits.append(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for client, hits in list(self._hits.items()):
            if not hits or hits[-1] <= now - self.window:
                del self._hits[client]


def retry_after_header(seconds: float) -> str:
    """Whole seconds, rounded up and at least 1 (``Retry-After`` takes integers)."""
    return str(max(1, math.ceil(seconds)))
