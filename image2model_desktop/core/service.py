"""The job engine: accepts batches, runs each file through a generator, keeps the store true.

One ``JobService`` runs on one asyncio loop (the Qt loop in the window, plain
asyncio in the CLI and server). Nothing here blocks that loop: file copies run
in threads, mesh inspection in the process pool. Every change of a file is
committed to the store, then published on the bus.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import Engine, EngineOutput
from .errors import (
    AuthError,
    EngineError,
    Image2ModelError,
    OutputError,
    SetupError,
    StoreError,
)
from .events import EventBus, FileUpdated, JobCreated, JobFinished, JobProgress, Subscription
from .fsutil import sweep_partials
from .limiter import Limiter
from .models import EngineChoice, EngineName, FileItem, Job, JobParameters, OutputInfo, new_id
from .parameters import EngineParameters
from .paths import LibraryPaths
from .settings import Settings
from .states import FileState, IllegalTransitionError, band_progress, can_transition
from .store import Store
from .workers import run_in_process

log = logging.getLogger(__name__)

EngineFactory = Callable[[EngineName], Engine]

#: How often estimated progress of generating files is refreshed.
_TICK_SECONDS = 0.5
_UNSET: Any = object()


@dataclass(frozen=True)
class StagedInput:
    """A photo that passed validation and may join a batch."""

    source: Path
    display_name: str
    file_size: int
    content_type: str
    #: Move instead of copy (a temporary upload already in the data folder).
    move: bool = False


@dataclass(frozen=True)
class RejectedInput:
    """A photo refused by validation; it joins the batch as a failed file."""

    display_name: str
    #: The full sentence, naming the file and the reason.
    reason: str


BatchEntry = StagedInput | RejectedInput


class _FileRun:
    """What an engine may see and do for the one file it runs."""

    def __init__(self, service: JobService, job_id: str, file_id: str) -> None:
        self._service = service
        self._job_id = job_id
        self._file_id = file_id
        self._release: Callable[[], None] | None = None

    def hold_slot(self, release: Callable[[], None]) -> None:
        self._release = release

    @property
    def file(self) -> FileItem:
        return self._service.get_job(self._job_id).file(self._file_id)

    @property
    def parameters(self) -> JobParameters:
        return self._service.get_job(self._job_id).parameters

    @property
    def input_path(self) -> Path:
        name = self.file.input_name
        if name is None:
            raise SetupError(f"{self.file.filename} has no stored photo to process.")
        return self._service.paths.inputs(self._job_id) / name

    @property
    def staging_dir(self) -> Path:
        path = self._service.paths.staging
        path.mkdir(parents=True, exist_ok=True)
        return path

    def output_path(self, suffix: str) -> Path:
        return self._service.paths.outputs(self._job_id) / f"{self.file.output_stem}{suffix}"

    def release_slot(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()

    async def update(
        self,
        state: FileState | None = None,
        *,
        fraction: float | None = None,
        queue_position: int | None = _UNSET,
        message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if message is not None:
            changes["message"] = message
        if request_id is not None:
            changes["request_id"] = request_id
        if queue_position is not _UNSET:
            changes["queue_position"] = queue_position
        self._service._apply(
            self._job_id, self._file_id, state=state, fraction=fraction, changes=changes
        )


class JobService:
    """Run batches of photos through engines; the one engine behind every front end."""

    def __init__(
        self,
        store: Store,
        paths: LibraryPaths,
        settings: Settings,
        engine_factory: EngineFactory,
        *,
        has_fal_key: Callable[[], bool] = lambda: False,
        hold_on_balance: bool = True,
        parameters: Mapping[EngineName, EngineParameters] | None = None,
    ) -> None:
        self.store = store
        self.paths = paths
        self.settings = settings
        self.bus = EventBus()
        self._engine_factory = engine_factory
        self._declared = dict(parameters or {})
        self._has_fal_key = has_fal_key
        self._hold_on_balance = hold_on_balance
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._engines: dict[EngineName, Engine] = {}
        self._retired_engines: list[Engine] = []
        #: Per engine: (engine, False) limits files running, (engine, True) preparing.
        self._limiters: dict[tuple[EngineName, bool], Limiter] = {}
        self._cancel_requested: set[str] = set()
        #: Files inside an engine's run() right now (they end on their own).
        self._running: set[str] = set()
        self._finish_waiters: dict[str, list[asyncio.Future[Job]]] = {}
        self._last_progress: dict[str, tuple[str, float, int]] = {}
        self._generating_since: dict[str, tuple[str, float]] = {}
        self._explicit_progress: set[str] = set()
        self._mean_seconds: dict[EngineName, float] = {}
        self._holds: dict[EngineName, EngineError] = {}
        self._hold_released: dict[EngineName, asyncio.Event] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False

    # -- life cycle -----------------------------------------------------------

    async def start(self) -> list[str]:
        """Sweep half-written files and resume unfinished work; return resumed job ids."""
        await asyncio.get_running_loop().run_in_executor(
            None, sweep_partials, self.paths.root / "jobs"
        )
        resumed = []
        for job_id in self.store.unfinished_job_ids():
            job = self.store.load_job(job_id)
            if job is None:
                continue
            self._jobs[job_id] = job
            for item in job.files:
                if item.state.is_terminal:
                    continue
                if item.request_id is None and item.state != FileState.PENDING:
                    # Nothing was enqueued (nothing paid): start this file over.
                    self._replace(job_id, item.model_copy(update={"state": FileState.PENDING}))
                self._schedule(job_id, item.file_id)
            resumed.append(job_id)
            log.info("Resuming job %s", job_id)
        return resumed

    async def aclose(self) -> None:
        """Stop work for now; unfinished files stay resumable in the store."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        for engine in [*self._engines.values(), *self._retired_engines]:
            try:
                await engine.aclose()
            except Exception:
                log.exception("Engine %s did not close cleanly", engine.name)
        self._engines.clear()
        self._retired_engines.clear()

    # -- engines --------------------------------------------------------------

    def resolve_engine(self, choice: EngineChoice) -> EngineName:
        """Turn ``auto`` into an engine; refuse ``fal`` without a key."""
        if choice == "auto":
            return "fal" if self._has_fal_key() else "offline"
        if choice == "fal" and not self._has_fal_key():
            raise SetupError(
                "No FAL key is set. Run `image2model config set-key` (or set FAL_KEY), "
                "or use --engine offline."
            )
        return choice

    def parameter_policy(self, choice: EngineChoice) -> EngineParameters | None:
        """What the engine ``choice`` resolves to accepts (None: it declares nothing)."""
        name = self.resolve_engine(choice)
        declared = self._declared.get(name)
        return declared if declared is not None else self.engine(name).parameters

    def check_parameters(self, parameters: JobParameters) -> EngineName:
        """Resolve the engine and check the parameters against it (``ParameterError``)."""
        name = self.resolve_engine(parameters.engine)
        policy = self.parameter_policy(name)
        if policy is not None:
            policy.check(parameters)
        return name

    def engine(self, name: EngineName) -> Engine:
        if name not in self._engines:
            self._engines[name] = self._engine_factory(name)
        return self._engines[name]

    def reset_engine(self, name: EngineName) -> None:
        """Forget an engine (its key changed); files already running keep the old one."""
        engine = self._engines.pop(name, None)
        if engine is not None:
            self._retired_engines.append(engine)
        self.release_hold(name)

    def estimate_cost(self, parameters: JobParameters, count: int) -> float | None:
        """Estimated price in USD of ``count`` files, or None for a free engine."""
        engine = self.engine(self.resolve_engine(parameters.engine))
        return engine.estimate_cost(parameters, count)

    def set_concurrency(self, limit: int) -> None:
        self.settings = self.settings.model_copy(update={"concurrency": limit})
        for limiter in self._limiters.values():
            limiter.set_limit(limit)

    def in_flight(self, engine: EngineName) -> int:
        limiter = self._limiters.get((engine, False))
        return limiter.active if limiter else 0

    # -- queries --------------------------------------------------------------

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

    def list_jobs(self, limit: int = 50, offset: int = 0) -> list[Job]:
        jobs = self.store.list_jobs(limit, offset)
        return [self._jobs.get(j.job_id, j) for j in jobs]

    def find_task(self, task_id: str) -> tuple[Job, list[str]] | None:
        """Return the job of a task and the file ids the task covers."""
        found = self.store.find_task(task_id)
        if found is None:
            return None
        job_id, file_ids = found
        job = self.find_job(job_id)
        return (job, file_ids) if job is not None else None

    def subscribe(self, job_id: str | None = None, *, snapshot: bool = True) -> Subscription:
        """Return a subscription; with a job id, it first replays the job's current state."""
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
        """Wait until every file of the job's current run ended."""
        job = self.get_job(job_id)
        if job.is_finished:
            return job
        waiter: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self._finish_waiters.setdefault(job_id, []).append(waiter)
        return await waiter

    # -- commands -------------------------------------------------------------

    async def submit(self, entries: Sequence[BatchEntry], parameters: JobParameters) -> Job:
        """Create a job from validated photos (and refused ones) and start it."""
        if self._closed:
            raise SetupError("Image2Model is shutting down; try again after it restarts.")
        if not entries:
            raise SetupError("No photos were given.")
        engine_name = self.check_parameters(parameters)
        job_id, task_id, now = new_id(), new_id(), time.time()
        stems = _unique_stems([e.display_name for e in entries])
        items: list[FileItem] = []
        placements: list[tuple[StagedInput, str]] = []
        for position, (entry, stem) in enumerate(zip(entries, stems, strict=True)):
            file_id = new_id()
            common: dict[str, Any] = {
                "file_id": file_id,
                "job_id": job_id,
                "position": position,
                "filename": entry.display_name,
                "output_stem": stem,
                "engine": engine_name,
                "created": now,
                "updated": now,
            }
            if isinstance(entry, RejectedInput):
                # Refused photos stay in the batch, so every front end reports them.
                common.update(
                    input_name=None,
                    state=FileState.FAILED,
                    error_code="INVALID_IMAGE",
                    error_message=entry.reason,
                    message=entry.reason,
                    finished=now,
                )
            else:
                suffix = ".png" if entry.content_type == "image/png" else ".jpg"
                common.update(
                    input_name=f"{file_id}{suffix}",
                    input_size=entry.file_size,
                    content_type=entry.content_type,
                )
                placements.append((entry, common["input_name"]))
            items.append(FileItem(**common))
        await self._place_inputs(job_id, placements)
        job = Job(
            job_id=job_id,
            task_id=task_id,
            created=now,
            parameters=parameters,
            engine=engine_name,
            files=tuple(items),
        )
        try:
            self.store.insert_job(job)
        except StoreError:
            shutil.rmtree(self.paths.job_dir(job_id), ignore_errors=True)
            raise
        self._jobs[job_id] = job
        self.bus.publish(
            JobCreated(seq=self.bus.next_seq(), job_id=job_id, task_id=task_id, job=job)
        )
        self._publish_progress(job)
        for item in items:
            if item.state == FileState.PENDING:
                self._schedule(job_id, item.file_id)
        if job.is_finished:
            self._publish_finished(job)
        return job

    def cancel_file(self, file_id: str) -> bool:
        """Cancel one file (and its paid request); return False if it had ended."""
        job = self._job_of_file(file_id)
        if job is None or job.file(file_id).state.is_terminal:
            return False
        self._cancel_requested.add(file_id)
        task = self._tasks.get(file_id)
        if task is not None:
            task.cancel()
        else:
            self._apply(job.job_id, file_id, state=FileState.CANCELLED, changes={})
        return True

    def cancel_job(self, job_id: str) -> int:
        """Cancel every unfinished file of the job; return how many."""
        job = self.get_job(job_id)
        return sum(self.cancel_file(f.file_id) for f in job.files if not f.state.is_terminal)

    async def retry(self, job_id: str, file_ids: Sequence[str] | None = None) -> str | None:
        """Run the failed/cancelled files of a job again; return the new task id."""
        job = self.get_job(job_id)
        # Retrying is how a person says "I fixed it" (topped up the balance).
        self.release_hold(job.engine)
        targets = [
            f
            for f in job.files
            if f.state in (FileState.FAILED, FileState.CANCELLED)
            and f.input_name is not None
            and (file_ids is None or f.file_id in file_ids)
        ]
        if not targets:
            return None
        task_id = new_id()
        reset = {
            f.file_id: f.model_copy(
                update={
                    "state": FileState.PENDING,
                    "progress": 0.0,
                    "queue_position": None,
                    "message": "",
                    "error_code": None,
                    "error_message": None,
                    "request_id": _resumable_request(f),
                    "output": None,
                    "started": None,
                    "finished": None,
                    "updated": time.time(),
                }
            )
            for f in targets
        }
        self.store.save_files(reset.values())
        self.store.add_task(job_id, task_id, list(reset))
        files = tuple(reset.get(f.file_id, f) for f in job.files)
        job = job.model_copy(update={"task_id": task_id, "files": files})
        self._jobs[job_id] = job
        for item in reset.values():
            self.bus.publish(
                FileUpdated(seq=self.bus.next_seq(), job_id=job_id, task_id=task_id, file=item)
            )
        self._publish_progress(job)
        for file_id in reset:
            self._schedule(job_id, file_id)
        return task_id

    def release_hold(self, engine: EngineName) -> None:
        """Let files held back by a balance error go on (after the user topped up)."""
        self._holds.pop(engine, None)
        event = self._hold_released.pop(engine, None)
        if event is not None:
            event.set()

    def delete_job(self, job_id: str) -> None:
        """Remove a finished job and its files from the library."""
        job = self.get_job(job_id)
        if not job.is_finished:
            raise SetupError("This batch is still running; cancel it before deleting it.")
        self.store.delete_job(job_id)
        self._jobs.pop(job_id, None)
        shutil.rmtree(self.paths.job_dir(job_id), ignore_errors=True)

    # -- running one file -----------------------------------------------------

    def _schedule(self, job_id: str, file_id: str) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run_file(job_id, file_id), name=f"file-{file_id}"
        )
        self._tasks[file_id] = task

    def _limiter(self, engine: EngineName, *, preparing: bool = False) -> Limiter:
        key = (engine, preparing)
        if key not in self._limiters:
            self._limiters[key] = Limiter(self.settings.concurrency)
        return self._limiters[key]

    async def _run_file(self, job_id: str, file_id: str) -> None:
        engine_name = self.get_job(job_id).engine
        run = _FileRun(self, job_id, file_id)
        try:
            await self._wait_for_hold(engine_name)
            if run.file.state.is_terminal:
                return
            engine = self.engine(engine_name)
            if run.file.request_id is None:
                # Work that takes no engine capacity (an upload) overlaps the files ahead.
                async with self._limiter(engine_name, preparing=True).slot():
                    if run.file.state.is_terminal:
                        return
                    self._begin(run, engine_name)
                    await engine.prepare(run)
            limiter = self._limiter(engine_name)
            await limiter.acquire()
            run.hold_slot(limiter.release)
            await self._wait_for_hold(engine_name)
            if run.file.state.is_terminal:
                return
            if run.file.file_id not in self._running:
                self._begin(run, engine_name)
            await self._process(run, engine)
        except asyncio.CancelledError:
            if file_id not in self._cancel_requested:
                raise  # shutting down: the file stays resumable
            await self._cancelled_by_user(job_id, file_id, engine_name)
        except EngineError as error:
            self._fail(job_id, file_id, error)
            if error.halts_batch:
                self._halt_engine(engine_name, error)
        except Image2ModelError as error:
            self._fail(job_id, file_id, error)
        except OSError as error:
            log.error("Saving the model of %s failed: %s", file_id, error)
            reason = error.strerror or type(error).__name__
            self._fail(
                job_id,
                file_id,
                OutputError(
                    f"The model could not be saved ({reason}). Free some disk space or check "
                    "the folder's permissions, then retry."
                ),
            )
        except Exception:
            log.exception("Unexpected failure on file %s", file_id)
            self._fail(
                job_id,
                file_id,
                Image2ModelError(
                    "Image2Model hit an unexpected error on this photo. Retry it; if it "
                    "happens again, send the log file to the developers.",
                    code="INTERNAL",
                ),
            )
        finally:
            run.release_slot()
            held = self._engines.get(engine_name)
            if held is not None:
                held.forget(file_id)
            self._tasks.pop(file_id, None)
            self._running.discard(file_id)
            self._cancel_requested.discard(file_id)
            self._generating_since.pop(file_id, None)
            self._explicit_progress.discard(file_id)

    def _begin(self, run: _FileRun, engine_name: EngineName) -> None:
        """Mark the file as taken up by its engine (one more attempt)."""
        item = run.file
        self._running.add(item.file_id)
        self._replace(
            run._job_id,
            item.model_copy(
                update={
                    "attempts": item.attempts + 1,
                    "started": item.started or time.time(),
                    "engine": engine_name,
                    "error_code": None,
                    "error_message": None,
                }
            ),
        )

    async def _process(self, run: _FileRun, engine: Engine) -> None:
        started = time.monotonic()
        timeout = self.settings.file_timeout_seconds
        try:
            async with asyncio.timeout(timeout) as deadline:
                output = await engine.run(run)
                run.release_slot()
                await self._finish(run, output, started)
        except TimeoutError:
            if not deadline.expired():
                raise
            await self._cancel_remote_quietly(engine, run.file)
            minutes = max(1, round(timeout / 60))
            raise EngineError(
                f"Timed out after {minutes} min without a result; retry it later.",
                code="TIMEOUT",
            ) from None

    async def _finish(self, run: _FileRun, output: EngineOutput, started: float) -> None:
        from image2model_desktop.mesh.inspect import inspect_mesh

        if run.file.state != FileState.DOWNLOADING:
            await run.update(FileState.DOWNLOADING, message="Checking the model")
        try:
            stats = await run_in_process(inspect_mesh, output.model_path)
        except (ValueError, EOFError, KeyError, IndexError) as error:
            # trimesh reports unreadable files with a range of plain exceptions.
            log.error("Model %s is unreadable: %s", output.model_path.name, error)
            output.model_path.unlink(missing_ok=True)
            raise EngineError(
                "The model file that came back is damaged and cannot be opened; retry it.",
                code="BAD_MODEL",
            ) from error
        preview = output.preview_path
        elapsed = round(time.monotonic() - started, 2)
        info = OutputInfo(
            model_filename=output.model_path.name,
            model_size=output.model_path.stat().st_size,
            face_count=stats.faces,
            vertex_count=stats.vertices,
            extents=tuple(float(x) for x in stats.extents),  # type: ignore[arg-type]
            textured=stats.textured,
            preview_filename=preview.name if preview else None,
            preview_size=preview.stat().st_size if preview else None,
            preview_content_type=output.preview_content_type if preview else None,
            processing_time=elapsed,
        )
        self._apply(
            run._job_id,
            run._file_id,
            state=FileState.COMPLETED,
            changes={"output": info, "finished": time.time(), "message": "Done"},
        )
        self._learn_duration(self.get_job(run._job_id).engine, elapsed)

    async def _cancelled_by_user(self, job_id: str, file_id: str, engine: EngineName) -> None:
        item = self.get_job(job_id).file(file_id)
        if item.request_id is not None:
            await self._cancel_remote_quietly(self.engine(engine), item)
        self._apply(
            job_id,
            file_id,
            state=FileState.CANCELLED,
            changes={"message": "Cancelled", "finished": time.time()},
        )

    async def _cancel_remote_quietly(self, engine: Engine, item: FileItem) -> None:
        try:
            await asyncio.wait_for(engine.cancel_remote(item), 15)
        except Exception as exc:  # best effort: the file is cancelled locally anyway
            log.warning("Remote cancel of %s failed: %s", item.file_id, type(exc).__name__)

    def _fail(self, job_id: str, file_id: str, error: Image2ModelError) -> None:
        if self.get_job(job_id).file(file_id).state.is_terminal:
            return  # already ended (cancelled meanwhile): the first ending stands
        log.info("File %s failed [%s]: %s", file_id, error.code, error.user_message)
        self._apply(
            job_id,
            file_id,
            state=FileState.FAILED,
            changes={
                "error_code": error.code,
                "error_message": error.user_message,
                "message": error.user_message,
                "finished": time.time(),
            },
        )

    def _halt_engine(self, engine: EngineName, error: EngineError) -> None:
        """Keep the rest of the batch away from an engine that refuses us."""
        hold = self._hold_on_balance and not isinstance(error, AuthError)
        if hold:
            self._holds[engine] = error
            self._hold_released.setdefault(engine, asyncio.Event())
        for job in list(self._jobs.values()):
            if job.engine != engine:
                continue
            for item in job.files:
                if item.state != FileState.PENDING or item.file_id in self._running:
                    continue
                if hold:
                    self._apply(
                        job.job_id,
                        item.file_id,
                        state=None,
                        changes={"message": f"Waiting: {error.user_message}"},
                    )
                else:
                    self._fail(job.job_id, item.file_id, error)

    async def _wait_for_hold(self, engine: EngineName) -> None:
        while engine in self._holds:
            await self._hold_released.setdefault(engine, asyncio.Event()).wait()

    # -- state changes --------------------------------------------------------

    def _apply(
        self,
        job_id: str,
        file_id: str,
        *,
        state: FileState | None,
        fraction: float | None = None,
        changes: dict[str, Any],
    ) -> None:
        """Commit one change of a file, then publish it (and the batch's progress)."""
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
            if fraction is not None:
                self._explicit_progress.add(file_id)
            target = band_progress(new_state, fraction or 0.0)
            update["progress"] = max(old.progress, target)
        self._track_generation(job_id, file_id, old.state, new_state)
        self._replace(job_id, old.model_copy(update=update))

    def _replace(self, job_id: str, item: FileItem) -> None:
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
        # The store has every committed change: keep only running jobs in memory,
        # so a long session does not grow with its history (bench/soak.py).
        self._jobs.pop(job.job_id, None)
        self._last_progress.pop(job.job_id, None)

    def _job_of_file(self, file_id: str) -> Job | None:
        for job in self._jobs.values():
            if any(f.file_id == file_id for f in job.files):
                return job
        return None

    # -- progress estimates while generating ----------------------------------

    def _track_generation(self, job_id: str, file_id: str, old: FileState, new: FileState) -> None:
        if new == FileState.GENERATING and old != FileState.GENERATING:
            self._generating_since[file_id] = (job_id, time.monotonic())
            if self._ticker is None or self._ticker.done():
                self._ticker = asyncio.get_running_loop().create_task(self._tick())
        elif new != FileState.GENERATING:
            self._generating_since.pop(file_id, None)

    async def _tick(self) -> None:
        """Advance the progress of generating files by elapsed time vs typical duration."""
        while self._generating_since:
            await asyncio.sleep(_TICK_SECONDS)
            now = time.monotonic()
            for file_id, (job_id, since) in list(self._generating_since.items()):
                if file_id in self._explicit_progress:
                    continue
                job = self.find_job(job_id)
                if job is None:
                    continue
                item = job.file(file_id)
                if item.state != FileState.GENERATING:
                    continue
                fraction = _estimated_fraction(now - since, self._typical_seconds(job.engine))
                if band_progress(FileState.GENERATING, fraction) >= item.progress + 1:
                    self._apply_estimate(job_id, file_id, fraction)

    def _apply_estimate(self, job_id: str, file_id: str, fraction: float) -> None:
        old = self.get_job(job_id).file(file_id)
        progress = max(old.progress, band_progress(FileState.GENERATING, fraction))
        self._replace(job_id, old.model_copy(update={"progress": progress, "updated": time.time()}))

    def _typical_seconds(self, engine: EngineName) -> float:
        if engine not in self._mean_seconds:
            recent = self.store.recent_durations(engine)
            self._mean_seconds[engine] = (
                sum(recent) / len(recent) if recent else self.engine(engine).expected_seconds
            )
        return max(self._mean_seconds[engine], 0.5)

    def _learn_duration(self, engine: EngineName, seconds: float) -> None:
        mean = self._mean_seconds.get(engine)
        self._mean_seconds[engine] = seconds if mean is None else 0.8 * mean + 0.2 * seconds

    async def _place_inputs(self, job_id: str, placements: list[tuple[StagedInput, str]]) -> None:
        inputs = self.paths.inputs(job_id)

        def place() -> None:
            inputs.mkdir(parents=True, exist_ok=True)
            self.paths.outputs(job_id).mkdir(parents=True, exist_ok=True)
            for entry, name in placements:
                if entry.move:
                    shutil.move(entry.source, inputs / name)
                else:
                    shutil.copyfile(entry.source, inputs / name)

        try:
            await asyncio.get_running_loop().run_in_executor(None, place)
        except OSError as error:
            shutil.rmtree(self.paths.job_dir(job_id), ignore_errors=True)
            log.error("Copying photos into the library failed: %s", error)
            raise OutputError(
                f"The photos could not be copied into the library ({error.strerror}). "
                "Free some disk space and try again."
            ) from error


#: Failures that happened after the engine took the request, while its paid
#: result is still there to fetch (a full disk, a download that kept failing).
_RESUMABLE_FAILURES = frozenset({"OUTPUT", "TRANSIENT"})


def _resumable_request(item: FileItem) -> str | None:
    """The request a retry of ``item`` re-attaches to, instead of paying for a new one."""
    if item.state == FileState.FAILED and item.error_code in _RESUMABLE_FAILURES:
        return item.request_id
    return None


def _estimated_fraction(elapsed: float, typical: float) -> float:
    """Map elapsed time to a band fraction that slows down but never reaches 1."""
    ratio = elapsed / typical
    if ratio < 1:
        return 0.9 * ratio
    return 0.9 + 0.09 * (1 - math.exp(-(ratio - 1)))


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_stem(display_name: str) -> str:
    """Derive a harmless file stem from a display name (never trusted as a path)."""
    base = display_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80]
    return stem or "model"


def _unique_stems(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    stems = []
    for name in names:
        stem = base = _safe_stem(name)
        counter = 2
        while stem.lower() in seen:
            stem = f"{base}_{counter}"
            counter += 1
        seen.add(stem.lower())
        stems.append(stem)
    return stems
