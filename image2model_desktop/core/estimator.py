"""Progress of generating files that report none, estimated from how long generation takes.

FAL says "queued" and "in progress", rarely a percentage. The estimator
listens to the job events: while a file is generating and its engine has not
reported a fraction of its own, it moves the file through the generating band
by elapsed time against the typical duration (recent completions of that
engine, else the engine's first guess), slowing down so it never reaches the
end before the engine does. It learns the typical duration from completions.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from .events import Event, FileUpdated
from .ledger import Ledger
from .models import EngineName
from .states import FileState, band_progress

#: How often estimated progress of generating files is refreshed.
TICK_SECONDS = 0.5


class ProgressEstimator:
    def __init__(self, ledger: Ledger, expected_seconds: Callable[[EngineName], float]) -> None:
        self._ledger = ledger
        self._expected_seconds = expected_seconds
        #: Generating files: file id → (job id, when generation began).
        self._since: dict[str, tuple[str, float]] = {}
        #: Files whose engine reports its own progress: never estimated.
        self._reported: set[str] = set()
        #: Files seen generating whose completion has not been learnt from yet.
        self._generated: set[str] = set()
        self._mean_seconds: dict[EngineName, float] = {}
        self._ticker: asyncio.Task[None] | None = None
        ledger.bus.subscribe(self.on_event)

    def on_event(self, event: Event) -> None:
        if not isinstance(event, FileUpdated):
            return
        item = event.file
        if item.state == FileState.GENERATING:
            self._generated.add(item.file_id)
            if item.file_id not in self._since:
                self._since[item.file_id] = (event.job_id, time.monotonic())
                if self._ticker is None or self._ticker.done():
                    self._ticker = asyncio.get_running_loop().create_task(self._tick())
            return
        self._since.pop(item.file_id, None)
        # Only a file seen generating teaches the mean, once: later events of a
        # completed file (its billed cost) and reused models say nothing of it.
        if item.state == FileState.COMPLETED and item.file_id in self._generated:
            self._generated.discard(item.file_id)
            if item.output is not None and item.engine:
                self._learn(item.engine, item.output.processing_time)

    def engine_reported(self, file_id: str) -> None:
        """The engine gave a fraction for this file: leave its progress to the engine."""
        self._reported.add(file_id)

    def forget(self, file_id: str) -> None:
        """The file left its engine (ended, or will be run again from the start)."""
        self._since.pop(file_id, None)
        self._reported.discard(file_id)
        self._generated.discard(file_id)

    async def aclose(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)

    async def _tick(self) -> None:
        while self._since:
            await asyncio.sleep(TICK_SECONDS)
            now = time.monotonic()
            for file_id, (job_id, since) in list(self._since.items()):
                if file_id in self._reported:
                    continue
                job = self._ledger.find_job(job_id)
                if job is None:
                    continue
                item = job.file(file_id)
                if item.state != FileState.GENERATING:
                    continue
                fraction = estimated_fraction(now - since, self._typical_seconds(job.engine))
                target = band_progress(FileState.GENERATING, fraction)
                if target >= item.progress + 1:
                    update = {"progress": max(item.progress, target), "updated": time.time()}
                    self._ledger.replace(job_id, item.model_copy(update=update))

    def _typical_seconds(self, engine: EngineName) -> float:
        if engine not in self._mean_seconds:
            recent = self._ledger.store.recent_durations(engine)
            self._mean_seconds[engine] = (
                sum(recent) / len(recent) if recent else self._expected_seconds(engine)
            )
        return max(self._mean_seconds[engine], 0.5)

    def _learn(self, engine: EngineName, seconds: float) -> None:
        mean = self._mean_seconds.get(engine)
        self._mean_seconds[engine] = seconds if mean is None else 0.8 * mean + 0.2 * seconds


def estimated_fraction(elapsed: float, typical: float) -> float:
    """Map elapsed time to a band fraction that slows down but never reaches 1."""
    ratio = elapsed / typical
    if ratio < 1:
        return 0.9 * ratio
    return 0.9 + 0.09 * (1 - math.exp(-(ratio - 1)))
