"""Following a FAL request: when to poll next (about once a second, tighter near the
predicted end) and which of its log lines are new."""

from __future__ import annotations

import re
import time
from typing import Any

from .timeouts import FalTimeouts

_PROGRESS = re.compile(r"progress\D{0,3}(\d{1,3}(?:\.\d+)?)\s*%", re.IGNORECASE)


class PollClock:
    """What the poll loop knows of one request's timeline (seconds since polling began)."""

    def __init__(self, timeouts: FalTimeouts) -> None:
        self._origin = time.monotonic()
        self._interval = max(timeouts.poll_interval, timeouts.min_poll_interval)
        self._min_interval = timeouts.min_poll_interval
        #: When the latest poll that found the request unfinished was answered.
        self.last_pending = 0.0
        #: Estimated moment generation started (between the last queued poll and now).
        self.progress_start: float | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self._origin

    def saw_progress(self, now: float) -> None:
        if self.progress_start is None:
            self.progress_start = (self.last_pending + now) / 2

    def finished_at(self, now: float) -> float:
        """It ended between the last pending poll and ``now``: the middle is the best guess."""
        return (self.last_pending + now) / 2

    def next_poll(self, fraction: float | None, mean_generation: float | None) -> float:
        """Wait about a second, but aim the next poll just after the predicted end.

        ``mean_generation`` is the running mean of earlier requests (None: no history).
        """
        elapsed = self.elapsed()
        predicted: float | None = None
        if fraction is not None and fraction > 0.05 and self.progress_start is not None:
            # "Progress: NN%" counts from the start of generation, not from submit.
            start = self.progress_start
            predicted = start + max(elapsed - start, 0.0) / fraction
        elif mean_generation is not None:
            predicted = mean_generation
        if predicted is None:
            return self._interval
        remaining = predicted - elapsed + 0.05
        if remaining <= 0:
            return self._interval
        return min(max(remaining, self._min_interval), self._interval)


def learn(mean: float | None, seconds: float) -> float:
    """Fold one more generation time into the running mean."""
    return seconds if mean is None else 0.7 * mean + 0.3 * seconds


def latest_log(logs: list[Any]) -> tuple[str, float | None]:
    """Return the newest log line and the newest "Progress: NN%" as a fraction."""
    message, fraction = "", None
    for entry in logs:
        text = str(entry.get("message", "") if isinstance(entry, dict) else entry).strip()
        if not text:
            continue
        message = text[:200]
        found = _PROGRESS.search(text)
        if found:
            fraction = min(float(found.group(1)) / 100.0, 1.0)
    return message, fraction


class LogLines:
    """The log lines of one request not seen before, by (timestamp, message).

    Polls answer every line so far; stream events may repeat them or carry only
    new ones (unconfirmed, docs/fal-models.md): either way each line shows once,
    also across a reconnect or a fall-back to polling.
    """

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def new(self, logs: list[Any]) -> list[Any]:
        fresh = []
        for entry in logs:
            if isinstance(entry, dict):
                key = (str(entry.get("timestamp", "")), str(entry.get("message", "")))
            else:
                key = ("", str(entry))
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(entry)
        return fresh
