"""The runner: one file's life, from its turn at an engine to completed, failed or cancelled.

Each file runs as its own asyncio task: wait while its engine is held, prepare
(an upload overlapping the files ahead), take a slot, run the engine under the
per-file timeout, then record the model. Whatever happens, the file ends in a
state the store has and a sentence a person can act on; a quit (cancellation
that the user did not ask for) leaves it resumable.

Over 400 lines: one file's life is one sequence of awaits whose every exit
(cancel, quit, timeout, each error class, reuse) must end the file the same
careful way; split, the endings would drift apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .costs import CostReader
from .engine import Engine, EngineOutput, ModelStats
from .errors import (
    AuthError,
    EngineError,
    Image2ModelError,
    OutputError,
    SetupError,
    UnconfirmedSubmitError,
)
from .estimator import ProgressEstimator
from .ledger import Ledger
from .models import EngineName, FileItem, JobParameters, OutputInfo
from .paths import LibraryPaths
from .pool import EnginePool
from .reuse import can_reuse, copy_source, find_source, pixel_hash, reused_sentence, same_request
from .states import FileState

log = logging.getLogger(__name__)

#: Measures a model file an engine returned without statistics.
ModelInspector = Callable[[Path], Awaitable[ModelStats]]

_UNSET: Any = object()


class FileRunner:
    def __init__(
        self,
        ledger: Ledger,
        pool: EnginePool,
        estimator: ProgressEstimator,
        paths: LibraryPaths,
        costs: CostReader,
        *,
        file_timeout: Callable[[], float],
        inspect_model: ModelInspector,
        hold_on_balance: bool,
    ) -> None:
        self._ledger = ledger
        self._pool = pool
        self._estimator = estimator
        self._paths = paths
        self._costs = costs
        self._file_timeout = file_timeout
        self._inspect_model = inspect_model
        self._hold_on_balance = hold_on_balance
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cancel_requested: set[str] = set()
        #: Files inside an engine's run() right now (they end on their own).
        self._running: set[str] = set()
        #: Files of a known photo on their way to an engine: (job id, pixel hash,
        #: set when the file ends). A twin waits for it instead of paying again.
        self._generating: dict[str, tuple[str, str, asyncio.Event]] = {}
        #: One photo decoded for its hash at a time, in the order files were
        #: scheduled (asyncio.Lock is FIFO), so files still reach engines in order.
        self._hashing = asyncio.Lock()

    def schedule(self, job_id: str, file_id: str) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run_file(job_id, file_id), name=f"file-{file_id}"
        )
        self._tasks[file_id] = task

    def cancel(self, job_id: str, file_id: str) -> None:
        """Stop one unfinished file at the user's request (its paid request too)."""
        self._cancel_requested.add(file_id)
        task = self._tasks.get(file_id)
        if task is not None:
            task.cancel()
        else:
            self._ledger.apply(job_id, file_id, state=FileState.CANCELLED, changes={})

    async def aclose(self) -> None:
        """Stop every file for now; they stay resumable in the store."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def fail(self, job_id: str, file_id: str, error: Image2ModelError) -> None:
        if self._ledger.get_job(job_id).file(file_id).state.is_terminal:
            return  # already ended (cancelled meanwhile): the first ending stands
        log.info("File %s failed [%s]: %s", file_id, error.code, error.user_message)
        self._ledger.apply(
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

    def unconfirmed(self, job_id: str, file_id: str, error: UnconfirmedSubmitError) -> None:
        """End a file whose paid request was sent and never answered: it waits for the person."""
        if self._ledger.get_job(job_id).file(file_id).state.is_terminal:
            return
        log.warning("File %s: request sent without an answer; not sent again", file_id)
        self._ledger.apply(
            job_id,
            file_id,
            state=FileState.UNCONFIRMED,
            changes={
                "error_code": error.code,
                "error_message": error.user_message,
                "message": error.user_message,
                "finished": time.time(),
            },
        )

    # -- one file -------------------------------------------------------------

    async def _run_file(self, job_id: str, file_id: str) -> None:
        engine_name = self._ledger.get_job(job_id).engine
        run = _FileRun(self._ledger, self._estimator, self._paths, job_id, file_id)
        try:
            if await self._reused(run, engine_name):
                return
            await self._pool.wait_for_hold(engine_name)
            if run.file.state.is_terminal:
                return
            engine = self._pool.engine(engine_name)
            if run.file.request_id is None:
                # Work that takes no engine capacity (an upload) overlaps the files ahead.
                async with self._pool.limiter(engine_name, preparing=True).slot():
                    if run.file.state.is_terminal:
                        return
                    self._begin(run, engine_name)
                    await engine.prepare(run)
            limiter = self._pool.limiter(engine_name)
            await limiter.acquire()
            run.hold_slot(limiter.release)
            await self._pool.wait_for_hold(engine_name)
            if run.file.state.is_terminal:
                return
            if file_id not in self._running:
                self._begin(run, engine_name)
            await self._process(run, engine)
        except asyncio.CancelledError:
            if file_id not in self._cancel_requested:
                raise  # shutting down: the file stays resumable
            await self._cancelled_by_user(job_id, file_id, engine_name)
        except UnconfirmedSubmitError as error:
            self.unconfirmed(job_id, file_id, error)
        except EngineError as error:
            self.fail(job_id, file_id, error)
            if error.halts_batch:
                self._halt_engine(engine_name, error)
        except Image2ModelError as error:
            self.fail(job_id, file_id, error)
        except OSError as error:
            log.error("Saving the model of %s failed: %s", file_id, error)
            reason = error.strerror or type(error).__name__
            self.fail(
                job_id,
                file_id,
                OutputError(
                    f"The model could not be saved ({reason}). Free some disk space or check "
                    "the folder's permissions, then retry."
                ),
            )
        except Exception:
            log.exception("Unexpected failure on file %s", file_id)
            self.fail(
                job_id,
                file_id,
                Image2ModelError(
                    "Image2Model hit an unexpected error on this photo. Retry it; if it "
                    "happens again, send the log file to the developers.",
                    code="INTERNAL",
                ),
            )
        finally:
            generating = self._generating.pop(file_id, None)
            if generating is not None:
                generating[2].set()
            run.release_slot()
            made = self._pool.running_engine(engine_name)
            if made is not None:
                made.forget(file_id)
            self._tasks.pop(file_id, None)
            self._running.discard(file_id)
            self._cancel_requested.discard(file_id)
            self._estimator.forget(file_id)
            self._ask_cost(job_id, file_id)

    def _ask_cost(self, job_id: str, file_id: str) -> None:
        """A file that ended with a paid request: learn what it cost, beside the batch."""
        job = self._ledger.find_job(job_id)
        if job is None:
            return
        item = job.file(file_id)
        if item.state.is_terminal and item.request_id and item.engine and item.spent_usd is None:
            self._costs.schedule(job_id, file_id, item.engine)

    async def _reused(self, run: _FileRun, engine_name: EngineName) -> bool:
        """Complete the file with an earlier model of the same photo; False: generate it.

        Returns True too when the file ended meanwhile (cancelled while waiting).
        A twin of the same photo already on its way to the engine is waited
        for, so duplicates in one batch (or two batches at once) pay once.
        """
        item = run.file
        if item.state.is_terminal:
            return True
        if item.pixel_hash is None and item.input_name is not None and not item.view_names:
            # The window hands photos over without their hash: a decode, in a thread.
            async with self._hashing:
                digest = await asyncio.get_running_loop().run_in_executor(
                    None, pixel_hash, run.input_path
                )
            if run.file.state.is_terminal:
                return True
            item = self._ledger.apply(
                run.job_id, run.file_id, state=None, changes={"pixel_hash": digest}
            )
        if item.pixel_hash is None:
            return False
        job = self._ledger.get_job(run.job_id)
        if item.request_id is None and can_reuse(item):
            made_with = job.parameters_of(item)
            while twin := self._twin_in_flight(item.pixel_hash, job.engine, made_with):
                await twin.wait()
            if run.file.state.is_terminal:
                return True
            source = find_source(
                self._ledger.store, self._paths, item.pixel_hash, job.engine, made_with
            )
            if source is not None:
                output = await asyncio.get_running_loop().run_in_executor(
                    None, copy_source, self._paths, source, run.job_id, item.output_stem
                )
                assert output.reused_from is not None  # copy_source always sets it
                now = time.time()
                log.info("File %s reuses the model of %s", run.file_id, source.item.file_id)
                self._ledger.apply(
                    run.job_id,
                    run.file_id,
                    state=FileState.COMPLETED,
                    changes={
                        "output": output,
                        "engine": engine_name,
                        "model": source.item.model,
                        "started": now,
                        "finished": now,
                        "message": reused_sentence(output.reused_from),
                        # Nothing was submitted: nothing estimated, nothing spent.
                        "estimated_usd": 0.0,
                        "spent_usd": 0.0,
                    },
                )
                return True
        # Registered in the same step as the check above: no twin can slip between.
        self._generating[run.file_id] = (run.job_id, item.pixel_hash, asyncio.Event())
        return False

    def _twin_in_flight(
        self, digest: str, engine: EngineName, parameters: JobParameters
    ) -> asyncio.Event | None:
        """The end-event of a file of the same photo and request on its way to an engine."""
        for file_id, (job_id, other_digest, ended) in self._generating.items():
            if other_digest != digest:
                continue
            other = self._ledger.get_job(job_id)
            made_with = other.parameters_of(other.file(file_id))
            if same_request(engine, parameters, other.engine, made_with):
                return ended
        return None

    def _begin(self, run: _FileRun, engine_name: EngineName) -> None:
        """Mark the file as taken up by its engine (one more attempt)."""
        item = run.file
        self._running.add(item.file_id)
        update = {
            "attempts": item.attempts + 1,
            "started": item.started or time.time(),
            "engine": engine_name,
            "error_code": None,
            "error_message": None,
        }
        self._ledger.replace(run.job_id, item.model_copy(update=update))

    async def _process(self, run: _FileRun, engine: Engine) -> None:
        started = time.monotonic()
        timeout = self._file_timeout()
        try:
            async with asyncio.timeout(timeout) as deadline:
                output = await engine.run(run)
                run.release_slot()
                await self._finish(run, output, started)
        except TimeoutError:
            if not deadline.expired():
                raise
            await _cancel_remote_quietly(engine, run.file)
            minutes = max(1, round(timeout / 60))
            raise EngineError(
                f"Timed out after {minutes} min without a result; retry it later.",
                code="TIMEOUT",
            ) from None

    async def _finish(self, run: _FileRun, output: EngineOutput, started: float) -> None:
        if run.file.state != FileState.DOWNLOADING:
            await run.update(FileState.DOWNLOADING, message="Checking the model")
        stats = output.stats or await self._inspect_model(output.model_path)
        preview = output.preview_path
        elapsed = round(time.monotonic() - started, 2)
        info = OutputInfo(
            model_filename=output.model_path.name,
            model_size=output.model_path.stat().st_size,
            face_count=stats.faces,
            vertex_count=stats.vertices,
            extents=stats.extents,
            textured=stats.textured,
            preview_filename=preview.name if preview else None,
            preview_size=preview.stat().st_size if preview else None,
            preview_content_type=output.preview_content_type if preview else None,
            processing_time=elapsed,
            warning=output.warning,
            real_size=output.real_size,
        )
        self._ledger.apply(
            run.job_id,
            run.file_id,
            state=FileState.COMPLETED,
            changes={"output": info, "finished": time.time(), "message": "Done"},
        )

    async def _cancelled_by_user(self, job_id: str, file_id: str, engine: EngineName) -> None:
        item = self._ledger.get_job(job_id).file(file_id)
        if item.request_id is not None:
            await _cancel_remote_quietly(self._pool.engine(engine), item)
        self._ledger.apply(
            job_id,
            file_id,
            state=FileState.CANCELLED,
            changes={"message": "Cancelled", "finished": time.time()},
        )

    def _halt_engine(self, engine: EngineName, error: EngineError) -> None:
        """Keep the rest of the batch away from an engine that refuses us."""
        hold = self._hold_on_balance and not isinstance(error, AuthError)
        if hold:
            self._pool.hold(engine, error)
        for job in self._ledger.running_jobs():
            if job.engine != engine:
                continue
            for item in job.files:
                if item.state != FileState.PENDING or item.file_id in self._running:
                    continue
                if hold:
                    self._ledger.apply(
                        job.job_id,
                        item.file_id,
                        state=None,
                        changes={"message": f"Waiting: {error.user_message}"},
                    )
                else:
                    self.fail(job.job_id, item.file_id, error)


async def _cancel_remote_quietly(engine: Engine, item: FileItem) -> None:
    try:
        await asyncio.wait_for(engine.cancel_remote(item), 15)
    except Exception as exc:  # best effort: the file is cancelled locally anyway
        log.warning("Remote cancel of %s failed: %s", item.file_id, type(exc).__name__)


class _FileRun:
    """What an engine may see and do for the one file it runs (``core.engine.FileRun``)."""

    def __init__(
        self,
        ledger: Ledger,
        estimator: ProgressEstimator,
        paths: LibraryPaths,
        job_id: str,
        file_id: str,
    ) -> None:
        self._ledger = ledger
        self._estimator = estimator
        self._paths = paths
        self.job_id = job_id
        self.file_id = file_id
        self._release: Callable[[], None] | None = None

    def hold_slot(self, release: Callable[[], None]) -> None:
        self._release = release

    @property
    def file(self) -> FileItem:
        return self._ledger.get_job(self.job_id).file(self.file_id)

    @property
    def parameters(self) -> JobParameters:
        return self._ledger.get_job(self.job_id).parameters

    @property
    def input_path(self) -> Path:
        name = self.file.input_name
        if name is None:
            raise SetupError(f"{self.file.filename} has no stored photo to process.")
        return self._paths.inputs(self.job_id) / name

    @property
    def view_paths(self) -> tuple[Path, ...]:
        inputs = self._paths.inputs(self.job_id)
        return tuple(inputs / name for name in self.file.view_names)

    @property
    def staging_dir(self) -> Path:
        path = self._paths.staging
        path.mkdir(parents=True, exist_ok=True)
        return path

    def output_path(self, suffix: str) -> Path:
        return self._paths.outputs(self.job_id) / f"{self.file.output_stem}{suffix}"

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
        endpoint: str | None = None,
        estimated_usd: float | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if estimated_usd is not None:
            changes["estimated_usd"] = estimated_usd
        if message is not None:
            changes["message"] = message
        if request_id is not None:
            changes["request_id"] = request_id
        if endpoint is not None:
            changes["endpoint"] = endpoint
        if queue_position is not _UNSET:
            changes["queue_position"] = queue_position
        if fraction is not None:
            self._estimator.engine_reported(self.file_id)
        self._ledger.apply(
            self.job_id, self.file_id, state=state, fraction=fraction, changes=changes
        )
