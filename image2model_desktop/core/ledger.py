"""The ledger: the one place that changes a job — commit to the store, then publish.

Every change of a file goes through ``apply`` (a state-machine step) or
``replace`` (a whole new record): the store has it before any subscriber hears
of it, so a crash never leaves a front end believing something the library
does not. Running jobs are kept in memory; finished ones are dropped (the
store has every committed change), so a long session does not grow with its
history (bench/soak.py).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable, Iterator
from typing import Any

from image2model_desktop.core.errors import IllegalTransitionError

from .events import EventBus, FileUpdated, JobCreated, JobFinished, JobProgress, Subscription
from .models import FileItem, Job
from .states import FileState, band_progress, can_transition
from .store import Store


class Ledger:
    """Jobs as the store has them, and the events that say so."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.bus = EventBus()
        self._jobs: dict[str, Job] = {}
        self._finish_waiters: dict[str, list[asyncio.Future[Job]]] = {}
        #: Per job: (task id, progress, files ended) of the last progress event.
        self._last_progress: dict[str, tuple[str, float, int]] = {}

    # -- reading --------------------------------------------------------------

    def get_job(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            job = self.store.load_job(job_id)
            if job is None:
                raise KeyError(job_id)
        return job

    def find_job(self, job_id: str) -> Job | None:
        try:
            return self.get_job(job_id)
        except KeyError:
            return None

    def list_jobs(self, limit: int, offset: int) -> list[Job]:
        return [self._jobs.get(j.job_id, j) for j in self.store.list_jobs(limit, offset)]

    def running_jobs(self) -> Iterator[Job]:
        yield from list(self._jobs.values())

    def job_of_file(self, file_id: str) -> Job | None:
        for job in self._jobs.values():
            if any(f.file_id == file_id for f in job.files):
                return job
        return None

    def adopt(self, job: Job) -> None:
        """Take up a job the store has (resuming after a restart)."""
        self._jobs[job.job_id] = job

    # -- changing -------------------------------------------------------------

    def insert(self, job: Job) -> None:
        """Commit a new job, then announce it (and its end, if every file was refused)."""
        self.store.insert_job(job)
        self._jobs[job.job_id] = job
        self.bus.publish(
            JobCreated(seq=self.bus.next_seq(), job_id=job.job_id, task_id=job.task_id, job=job)
        )
        self._publish_progress(job)
        if job.is_finished:
            self._publish_finished(job)

    def apply(
        self,
        job_id: str,
        file_id: str,
        *,
        state: FileState | None,
        fraction: float | None = None,
        changes: dict[str, Any],
    ) -> FileItem:
        """Commit one state-machine step of a file, then publish it; return the new record."""
        old = self.get_job(job_id).file(file_id)
        new_state = state or old.state
        if state is not None and not can_transition(old.state, state):
            raise IllegalTransitionError(f"{old.state} → {state} for file {file_id}")
        update: dict[str, Any] = {"state": new_state, "updated": time.time(), **changes}
        if new_state != FileState.QUEUED:
            update["queue_position"] = None
        if new_state == FileState.COMPLETED:
            update["progress"] = 100.0
        elif not new_state.is_terminal:
            target = band_progress(new_state, fraction or 0.0)
            update["progress"] = max(old.progress, target)
        new = old.model_copy(update=update)
        self.replace(job_id, new)
        return new

    def replace(self, job_id: str, item: FileItem) -> None:
        """Commit a file's new record, then publish it and the batch's progress."""
        self.store.save_file(item)
        job = self.get_job(job_id)
        was_finished = job.is_finished
        files = tuple(item if f.file_id == item.file_id else f for f in job.files)
        job = job.model_copy(update={"files": files})
        self._jobs[job_id] = job
        self.bus.publish(
            FileUpdated(seq=self.bus.next_seq(), job_id=job_id, task_id=job.task_id, file=item)
        )
        self._publish_progress(job)
        if job.is_finished and not was_finished:
            self._publish_finished(job)

    def annotate(self, job_id: str, file_id: str, changes: dict[str, Any]) -> FileItem:
        """Commit facts learnt about a file after the fact (its billed cost), then publish.

        No state step and no progress: the file may have ended long ago. A
        finished job is not taken back into memory.
        """
        job = self.get_job(job_id)
        new = job.file(file_id).model_copy(update={**changes, "updated": time.time()})
        self.store.save_file(new)
        if job_id in self._jobs:
            files = tuple(new if f.file_id == file_id else f for f in job.files)
            self._jobs[job_id] = job.model_copy(update={"files": files})
        self.bus.publish(
            FileUpdated(seq=self.bus.next_seq(), job_id=job_id, task_id=job.task_id, file=new)
        )
        return new

    def restart(self, job: Job, task_id: str, reset: Iterable[FileItem]) -> Job:
        """Commit a new run (task) of some files of a job, then publish each of them."""
        items = {item.file_id: item for item in reset}
        self.store.save_files(items.values())
        self.store.add_task(job.job_id, task_id, list(items))
        files = tuple(items.get(f.file_id, f) for f in job.files)
        job = job.model_copy(update={"task_id": task_id, "files": files})
        self._jobs[job.job_id] = job
        for item in items.values():
            self.bus.publish(
                FileUpdated(seq=self.bus.next_seq(), job_id=job.job_id, task_id=task_id, file=item)
            )
        self._publish_progress(job)
        return job

    def delete(self, job_id: str) -> None:
        self.store.delete_job(job_id)
        self._jobs.pop(job_id, None)

    # -- following ------------------------------------------------------------

    def subscribe(self, job_id: str | None, *, snapshot: bool) -> Subscription:
        """A subscription; with a job id and ``snapshot``, it first replays the job's state."""
        sub = Subscription()
        if snapshot and job_id is not None:
            job = self.get_job(job_id)
            seq = self.bus.last_seq
            for item in job.files:
                sub.push(FileUpdated(seq=seq, job_id=job_id, task_id=job.task_id, file=item))
            sub.push(self._progress_event(job, seq))
            if job.is_finished:
                sub.push(JobFinished(seq=seq, job_id=job_id, task_id=job.task_id, job=job))
        # Registered in the same step as the snapshot: no event can slip between.
        sub.attach(self.bus.subscribe(sub.push, job_id))
        return sub

    async def wait_finished(self, job_id: str) -> Job:
        job = self.get_job(job_id)
        if job.is_finished:
            return job
        waiter: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self._finish_waiters.setdefault(job_id, []).append(waiter)
        return await waiter

    def _progress_event(self, job: Job, seq: int) -> JobProgress:
        last = self._last_progress.get(job.job_id)
        progress = job.progress
        if last is not None and last[0] == job.task_id:
            progress = max(progress, last[1])
        return JobProgress(
            seq=seq,
            job_id=job.job_id,
            task_id=job.task_id,
            progress=progress,
            current=job.finished_count,
            total=len(job.files),
            message=job.summary_message(),
        )

    def _publish_progress(self, job: Job) -> None:
        event = self._progress_event(job, 0)
        last = self._last_progress.get(job.job_id)
        # Whole percents are enough for any progress bar, and every event fans
        # out to each window row and SSE client.
        if (
            last is not None
            and last[0] == job.task_id
            and last[2] == event.current
            and math.floor(last[1]) == math.floor(event.progress)
        ):
            return
        self._last_progress[job.job_id] = (job.task_id, event.progress, event.current)
        self.bus.publish(event.model_copy(update={"seq": self.bus.next_seq()}))

    def _publish_finished(self, job: Job) -> None:
        self.bus.publish(
            JobFinished(seq=self.bus.next_seq(), job_id=job.job_id, task_id=job.task_id, job=job)
        )
        for waiter in self._finish_waiters.pop(job.job_id, []):
            if not waiter.done():
                waiter.set_result(job)
        self._jobs.pop(job.job_id, None)
        self._last_progress.pop(job.job_id, None)
