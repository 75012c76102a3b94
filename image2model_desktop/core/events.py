"""Events the job engine publishes, and the in-process bus that carries them.

Every event is published *after* the change it reports was committed to the
store, so a subscriber that reacts by reading the store sees the change.
Subscribers run on the event loop's thread, synchronously and in order; one
that raises is logged and skipped, never allowed to break the engine.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .models import FileItem, Job

log = logging.getLogger(__name__)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: Position in the bus's single, ever-increasing sequence (SSE event ids).
    seq: int
    job_id: str
    task_id: str
    timestamp: float = Field(default_factory=time.time)


class JobCreated(_Event):
    """A batch was accepted (from any front end)."""

    kind: Literal["job_created"] = "job_created"
    job: Job


class FileUpdated(_Event):
    """One file changed state, progress, queue position or message."""

    kind: Literal["file_updated"] = "file_updated"
    file: FileItem


class JobProgress(_Event):
    """The batch's overall progress changed."""

    kind: Literal["job_progress"] = "job_progress"
    progress: float
    #: Files that ended (completed, failed or cancelled).
    current: int
    total: int
    message: str


class JobFinished(_Event):
    """Every file of the batch's current run ended."""

    kind: Literal["job_finished"] = "job_finished"
    job: Job


Event = JobCreated | FileUpdated | JobProgress | JobFinished
Subscriber = Callable[[Event], None]


class EventBus:
    """Fan events out to callbacks and async queues on one event loop."""

    def __init__(self) -> None:
        # Start from the clock (ms) so ids keep growing across restarts: an SSE
        # client reconnecting with a Last-Event-ID from before a restart must not
        # be ahead of the new ids.
        self._seq = int(time.time() * 1000)
        self._subscribers: list[tuple[Subscriber, str | None]] = []

    @property
    def last_seq(self) -> int:
        return self._seq

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def subscribe(self, callback: Subscriber, job_id: str | None = None) -> Callable[[], None]:
        """Call ``callback`` for every event (of ``job_id`` only, if given).

        Return a function that unsubscribes.
        """
        entry = (callback, job_id)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for callback, job_id in list(self._subscribers):
            if job_id is not None and job_id != event.job_id:
                continue
            try:
                callback(event)
            except Exception:
                log.exception("An event subscriber failed on %s", event.kind)


class Subscription:
    """An async iterator of events, fed by the bus; close it when done."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._unsubscribe: Callable[[], None] | None = None
        self.closed = False

    def attach(self, unsubscribe: Callable[[], None]) -> None:
        self._unsubscribe = unsubscribe

    def push(self, event: Event) -> None:
        if not self.closed:
            self._queue.put_nowait(event)

    async def get(self, timeout: float | None = None) -> Event | None:
        """Return the next event, or None on timeout or once closed."""
        if self.closed and self._queue.empty():
            return None
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event
