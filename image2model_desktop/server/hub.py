"""Turn the engine's events into per-task SSE messages, once, for every stream.

The hub subscribes to the engine's bus for its whole life. For each task it
keeps the last state it announced (to send events only on change), a bounded
history of messages (to replay after ``Last-Event-ID``) and the streams
listening to it. A message is built and serialized once, however many clients
follow the task.

Message ids are the bus's ``seq``: global and ever-increasing within one run
of the app. Snapshots carry the bus's latest ``seq``, so a client that
reconnects with a snapshot's id gets exactly what happened after it.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from image2model_desktop.core.events import Event, FileUpdated, JobFinished, JobProgress
from image2model_desktop.core.models import Job

from . import payloads

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

log = logging.getLogger(__name__)

#: Messages kept per task for replay; a 25-file batch makes a few hundred (~0.5 KB each).
HISTORY_SIZE = 2048
#: Ended tasks kept (for replay and quick snapshots) before the oldest is dropped.
MAX_ENDED_TASKS = 32
#: A stream that falls this far behind is closed; the client reconnects and replays.
MAX_BACKLOG = 10_000
RETRY_MILLISECONDS = 3000


class SseMessage:
    """One server-sent event, serialized once."""

    __slots__ = ("data", "event", "id", "terminal", "wire")

    def __init__(
        self, event: str, data: dict[str, Any], id: int | None, *, terminal: bool = False
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.terminal = terminal
        head = f"id: {id}\n" if id is not None else ""
        # One-line JSON: json.dumps escapes newlines inside strings.
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self.wire = f"{head}event: {event}\ndata: {body}\n\n".encode()

    @property
    def progress(self) -> float | None:
        value = self.data.get("progress")
        return float(value) if isinstance(value, int | float) else None

    def with_id(self, id: int) -> SseMessage:
        return SseMessage(self.event, self.data, id, terminal=self.terminal)

    def with_progress(self, progress: float) -> SseMessage:
        return SseMessage(
            self.event, {**self.data, "progress": progress}, self.id, terminal=self.terminal
        )

    def with_data(self, data: dict[str, Any]) -> SseMessage:
        return SseMessage(self.event, data, self.id, terminal=self.terminal)


class Listener:
    """One stream's queue of messages; ``None`` means: close the stream."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[SseMessage | None] = asyncio.Queue()
        self.closed = False

    def push(self, message: SseMessage) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= MAX_BACKLOG:
            log.warning("Closing an event stream that fell %d events behind", MAX_BACKLOG)
            self.close()
            return
        self._queue.put_nowait(message)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(None)

    async def get(self) -> SseMessage | None:
        return await self._queue.get()

    def drain(self) -> list[SseMessage | None]:
        """Return what is already queued, without waiting."""
        ready: list[SseMessage | None] = []
        while not self._queue.empty():
            ready.append(self._queue.get_nowait())
        return ready


class _TaskChannel:
    """What the hub knows and announced about one task."""

    def __init__(self, task_id: str, job: Job, file_ids: Sequence[str], seq: int) -> None:
        self.task_id = task_id
        self.job_id = job.job_id
        self.file_ids = tuple(f.file_id for f in payloads.task_files(job, file_ids))
        self.file_set = frozenset(self.file_ids)
        self.files: dict[str, dict[str, Any]] = {}
        self.progress = 0.0
        self.current = 0
        self.terminal: SseMessage | None = None
        self.history: collections.deque[SseMessage] = collections.deque(maxlen=HISTORY_SIZE)
        #: Every message of this task with an id above this one is in ``history``.
        self.covered_since = seq
        self.listeners: set[Listener] = set()
        self.absorb(job, seq)

    @property
    def total(self) -> int:
        return len(self.file_ids)

    def absorb(self, job: Job, seq: int) -> None:
        """Take the job's current state as already announced (no messages)."""
        files = payloads.task_files(job, self.file_ids)
        for item in files:
            self.files[item.file_id] = payloads.file_update_data(item, self.job_id, self.task_id)
        progress, self.current = payloads.task_progress_value(files)
        self.progress = max(self.progress, progress)
        if all(f.state.is_terminal for f in files):
            name, data = payloads.outcome(job, self.task_id, self.file_ids)
            self.terminal = SseMessage(name, data, seq, terminal=True)

    def progress_message(self, seq: int) -> SseMessage:
        data = payloads.task_progress_data(
            self.job_id, self.task_id, self.progress, self.current, self.total
        )
        return SseMessage("task_progress", data, seq)

    def snapshot(self, seq: int) -> list[SseMessage]:
        """The current state as messages, all with id ``seq``."""
        messages = [self.progress_message(seq)]
        messages += [SseMessage("file_update", self.files[f], seq) for f in self.file_ids]
        if self.terminal is not None:
            messages.append(self.terminal.with_id(seq))
        return messages

    def replay(self, last_id: int, newest: int) -> list[SseMessage] | None:
        """Messages after ``last_id``, or None when the history cannot tell."""
        if last_id < self.covered_since or last_id > newest:
            return None
        missed = [m for m in self.history if m.id is not None and m.id > last_id]
        if self.terminal is not None and not (missed and missed[-1].terminal):
            # The client saw the end already (or it was announced before we kept
            # history): repeat it, never with an id below what the client has.
            missed.append(self.terminal.with_id(max(last_id, self.terminal.id or 0)))
        return missed

    def emit(self, message: SseMessage) -> None:
        if len(self.history) == self.history.maxlen and message.id is not None:
            oldest = self.history[0].id
            if oldest is not None:
                self.covered_since = max(self.covered_since, oldest)
        self.history.append(message)
        for listener in list(self.listeners):
            listener.push(message)


class TaskEventHub:
    """Per-task SSE messages for every stream of one app, fed by the engine's bus."""

    def __init__(self, service: JobService) -> None:
        self._service = service
        self._channels: collections.OrderedDict[str, _TaskChannel] = collections.OrderedDict()
        self._by_job: dict[str, list[_TaskChannel]] = {}
        self._ended: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._closed = False
        self._unsubscribe = service.on_event(self._on_event)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop listening to the engine and end every open stream."""
        if self._closed:
            return
        self._closed = True
        self._unsubscribe()
        for channel in self._channels.values():
            for listener in channel.listeners:
                listener.close()
            channel.listeners.clear()

    def open(self, task_id: str, last_event_id: int | None) -> tuple[Listener, list[SseMessage]]:
        """Start a stream: return its listener and the messages to send first.

        Raise KeyError for an unknown task. The listener is registered in the
        same step the first messages are taken, so no event can fall between.
        """
        channel = self._channel(task_id)
        if channel is None:
            raise KeyError(task_id)
        newest = self._service.last_event_seq
        first = None if last_event_id is None else channel.replay(last_event_id, newest)
        if first is None:
            first = channel.snapshot(newest)
        listener = Listener()
        if self._closed:
            listener.close()
        elif not any(m.terminal for m in first):
            channel.listeners.add(listener)
        return listener, first

    def detach(self, task_id: str, listener: Listener) -> None:
        channel = self._channels.get(task_id)
        if channel is not None:
            channel.listeners.discard(listener)

    # -- engine events ----------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if event.task_id not in self._channels:
            self._channel(event.task_id)
        open_channels = [c for c in self._by_job.get(event.job_id, ()) if c.terminal is None]
        if not open_channels:
            return
        if isinstance(event, FileUpdated):
            for channel in open_channels:
                if event.file.file_id in channel.file_set:
                    self._file_changed(channel, event)
        elif isinstance(event, JobProgress):
            job = self._service.find_job(event.job_id)
            if job is not None:
                for channel in open_channels:
                    self._progress_changed(channel, job, event.seq)
        elif isinstance(event, JobFinished):
            for channel in open_channels:
                self._maybe_finished(channel, event.job, event.seq)

    def _file_changed(self, channel: _TaskChannel, event: FileUpdated) -> None:
        data = payloads.file_update_data(event.file, channel.job_id, channel.task_id)
        if channel.files.get(event.file.file_id) == data:
            return  # a change the API does not show (attempt counter, timestamps)
        channel.files[event.file.file_id] = data
        channel.emit(SseMessage("file_update", data, event.seq))

    def _progress_changed(self, channel: _TaskChannel, job: Job, seq: int) -> None:
        files = payloads.task_files(job, channel.file_ids)
        progress, current = payloads.task_progress_value(files)
        progress = max(progress, channel.progress)
        if (progress, current) != (channel.progress, channel.current):
            channel.progress, channel.current = progress, current
            channel.emit(channel.progress_message(seq))
        if not job.is_finished:
            # A task can end before its job does when two retries overlap.
            self._maybe_finished(channel, job, seq)

    def _maybe_finished(self, channel: _TaskChannel, job: Job, seq: int) -> None:
        files = payloads.task_files(job, channel.file_ids)
        if not all(f.state.is_terminal for f in files):
            return
        name, data = payloads.outcome(job, channel.task_id, channel.file_ids)
        channel.terminal = SseMessage(name, data, seq, terminal=True)
        channel.emit(channel.terminal)
        channel.listeners.clear()
        self._mark_ended(channel)

    # -- channels -----------------------------------------------------------------

    def _channel(self, task_id: str) -> _TaskChannel | None:
        channel = self._channels.get(task_id)
        if channel is not None:
            return channel
        found = self._service.find_task(task_id)
        if found is None:
            return None
        job, file_ids = found
        channel = _TaskChannel(task_id, job, file_ids, self._service.last_event_seq)
        self._channels[task_id] = channel
        self._by_job.setdefault(job.job_id, []).append(channel)
        if channel.terminal is not None:
            self._mark_ended(channel)
        return channel

    def _mark_ended(self, channel: _TaskChannel) -> None:
        self._ended[channel.task_id] = None
        while len(self._ended) > MAX_ENDED_TASKS:
            task_id, _ = self._ended.popitem(last=False)
            dropped = self._channels.pop(task_id, None)
            if dropped is None:
                continue
            siblings = self._by_job.get(dropped.job_id, [])
            if dropped in siblings:
                siblings.remove(dropped)
            if not siblings:
                self._by_job.pop(dropped.job_id, None)
