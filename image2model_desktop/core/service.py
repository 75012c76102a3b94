"""The job service: what every front end calls — submit, cancel, retry, queries, events.

A thin facade over four parts with one direction of use (no cycles):

* ``ledger``    — jobs as the store has them; commits a change, then publishes it
* ``pool``      — engines, their concurrency limits and holds
* ``runner``    — one file's life at an engine (uses ledger and pool)
* ``estimator`` — progress of generating files, from the events (uses ledger)

Photos and parameters arrive through ``core.intake``. One ``JobService`` runs
on one asyncio loop (the Qt loop in the window, plain asyncio in the CLI and
server); nothing here blocks that loop: file copies run in threads, mesh work
in the process pool. See docs/architecture.md.

Over 400 lines: the public surface every front end uses, each command a few
lines over the parts above; what grows it is the number of commands, not logic.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .costs import COST_READ_DELAYS, CostReader
from .engine import AccountBalance
from .errors import OutputError, SetupError, StoreError
from .estimator import ProgressEstimator
from .events import Event, Subscription
from .fsutil import sweep_partials
from .intake import (
    BatchEntry,
    RejectedInput,
    StagedInput,
    entry_models,
    new_files,
    place_inputs,
)
from .ledger import Ledger
from .models import (
    EngineChoice,
    EngineName,
    FalRetention,
    FileItem,
    Job,
    JobParameters,
    PostProcess,
    new_id,
)
from .parameters import EngineParameters
from .paths import LibraryPaths
from .pool import NO_FAL_KEY, EngineFactory, EnginePool
from .reuse import find_source
from .runner import FileRunner, ModelInspector
from .settings import Settings
from .states import FileState
from .store import Store
from .versions import VersionPlan, find_model, new_version, place_version_inputs, plan_version

__all__ = [
    "NO_FAL_KEY",
    "BatchEntry",
    "EngineFactory",
    "JobService",
    "RejectedInput",
    "StagedInput",
]

log = logging.getLogger(__name__)


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
        inspect_model: ModelInspector,
        cost_read_delays: Sequence[float] = COST_READ_DELAYS,
    ) -> None:
        self.paths = paths
        self._settings = settings.with_one_engine()
        self._ledger = Ledger(store)
        self._pool = EnginePool(
            engine_factory,
            has_fal_key=has_fal_key,
            declared=parameters or {},
            concurrency=settings.concurrency,
        )
        self._estimator = ProgressEstimator(
            self._ledger, lambda name: self._pool.engine(name).expected_seconds
        )
        self._costs = CostReader(self._ledger, self._pool.engine, cost_read_delays)
        self._runner = FileRunner(
            self._ledger,
            self._pool,
            self._estimator,
            paths,
            self._costs,
            file_timeout=lambda: self._settings.file_timeout_seconds,
            inspect_model=inspect_model,
            hold_on_balance=hold_on_balance,
        )
        self._closed = False

    # -- settings (owned by Runtime.apply_settings) ----------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    def configure(self, settings: Settings) -> Settings:
        """Take new settings (call ``Runtime.apply_settings``, which also saves them)."""
        self._settings = settings.with_one_engine(self._settings)
        self._pool.set_concurrency(self._settings.concurrency)
        return self._settings

    # -- life cycle -----------------------------------------------------------

    async def start(self) -> list[str]:
        """Sweep half-written files and resume unfinished work; return resumed job ids."""
        await asyncio.get_running_loop().run_in_executor(
            None, sweep_partials, self.paths.root / "jobs"
        )
        store = self._ledger.store
        resumed = []
        for job_id in store.unfinished_job_ids():
            job = store.load_job(job_id)
            if job is None:
                continue
            self._ledger.adopt(job)
            for item in job.files:
                if item.state.is_terminal:
                    continue
                if item.request_id is None and item.state != FileState.PENDING:
                    # Nothing was enqueued (nothing paid): start this file over.
                    self._ledger.replace(
                        job_id, item.model_copy(update={"state": FileState.PENDING})
                    )
                self._runner.schedule(job_id, item.file_id)
            resumed.append(job_id)
            log.info("Resuming job %s", job_id)
        self._costs.schedule_recent()
        return resumed

    async def aclose(self) -> None:
        """Stop work for now; unfinished files stay resumable in the store."""
        self._closed = True
        await self._runner.aclose()
        await self._costs.aclose()
        await self._estimator.aclose()
        await self._pool.aclose()

    # -- engines --------------------------------------------------------------

    def resolve_engine(self, choice: EngineChoice) -> EngineName:
        """Turn ``auto`` into an engine; refuse ``fal`` without a key (code ``NO_FAL_KEY``)."""
        return self._pool.resolve(choice)

    def parameter_policy(self, choice: EngineChoice) -> EngineParameters | None:
        """What the engine ``choice`` resolves to accepts (None: it declares nothing)."""
        return self._pool.policy(self._pool.resolve(choice))

    def check_parameters(self, parameters: JobParameters) -> EngineName:
        """Resolve the engine and check the parameters against it (``ParameterError``)."""
        return self._pool.check(parameters)

    def estimate_cost(self, parameters: JobParameters, count: int) -> float | None:
        """Estimated price in USD of ``count`` files, or None for a free engine."""
        engine = self._pool.engine(self._pool.resolve(parameters.engine))
        return engine.estimate_cost(parameters, count)

    def price_source(self, parameters: JobParameters) -> str | None:
        """Where ``estimate_cost``'s price comes from ("FAL, today", "table of 2026-12-01")."""
        engine = self._pool.engine(self._pool.resolve(parameters.engine))
        return engine.price_source(parameters)

    async def refresh_prices(self, choice: EngineChoice, timeout: float = 10.0) -> None:
        """Ask the engine for its current prices (best effort: on failure the last ones stay)."""
        engine = self._pool.engine(self._pool.resolve(choice))
        try:
            await asyncio.wait_for(engine.refresh_prices(), timeout)
        except Exception as exc:  # the estimate falls back to what is known
            log.info("Prices of %s not refreshed (%s)", engine.name, type(exc).__name__)

    async def account_balance(self, engine: EngineName = "fal") -> AccountBalance:
        """The engine account's credit left, or a sentence saying why it cannot be read."""
        try:
            made = self._pool.engine(engine)
        except SetupError as error:
            return AccountBalance(None, error.user_message)
        return await made.account_balance()

    async def settle_costs(self, job_id: str, timeout: float) -> Job:
        """Wait (at most ``timeout``) for the billed costs of a finished job; return the job.

        The batch never waits for these; a front end about to print a summary
        and exit (the CLI) gives them a moment.
        """
        await self._costs.settle(job_id, timeout)
        return self.get_job(job_id)

    def set_concurrency(self, limit: int) -> None:
        """Files processed at once per engine, for this session (not saved)."""
        self._settings = self._settings.model_copy(update={"concurrency": limit})
        self._pool.set_concurrency(limit)

    def in_flight(self, engine: EngineName) -> int:
        return self._pool.in_flight(engine)

    def reset_engine(self, name: EngineName) -> None:
        """Forget an engine (its key changed); files already running keep the old one."""
        self._pool.retire(name)

    def release_hold(self, engine: EngineName) -> None:
        """Let files held back by a balance error go on (after the user topped up)."""
        self._pool.release_hold(engine)

    # -- queries --------------------------------------------------------------

    def get_job(self, job_id: str) -> Job:
        return self._ledger.get_job(job_id)

    def find_job(self, job_id: str) -> Job | None:
        return self._ledger.find_job(job_id)

    def list_jobs(self, limit: int = 50, offset: int = 0) -> list[Job]:
        return self._ledger.list_jobs(limit, offset)

    def running_job_ids(self) -> list[str]:
        """Jobs with files still to finish (the only ones kept in memory)."""
        return [job.job_id for job in self._ledger.running_jobs()]

    def count_jobs(self) -> int:
        return self._ledger.store.count_jobs()

    def unconfirmed_jobs(self) -> list[str]:
        """Jobs holding a file sent without an answer, oldest first (``resend`` them)."""
        return self._ledger.store.jobs_with_unconfirmed()

    def jobs_with_output(self, filename: str) -> list[str]:
        """Ids of jobs holding an output file of that name."""
        return self._ledger.store.jobs_with_output(filename)

    def find_task(self, task_id: str) -> tuple[Job, list[str]] | None:
        """Return the job of a task and the file ids the task covers."""
        found = self._ledger.store.find_task(task_id)
        if found is None:
            return None
        job_id, file_ids = found
        job = self.find_job(job_id)
        return (job, file_ids) if job is not None else None

    # -- events ---------------------------------------------------------------

    def on_event(
        self, callback: Callable[[Event], None], job_id: str | None = None
    ) -> Callable[[], None]:
        """Call ``callback`` for every event (of ``job_id`` only); return the unsubscribe."""
        return self._ledger.bus.subscribe(callback, job_id)

    @property
    def last_event_seq(self) -> int:
        return self._ledger.bus.last_seq

    def subscribe(self, job_id: str | None = None, *, snapshot: bool = True) -> Subscription:
        """Return a subscription; with a job id, it first replays the job's current state."""
        return self._ledger.subscribe(job_id, snapshot=snapshot)

    async def wait_finished(self, job_id: str) -> Job:
        """Wait until every file of the job's current run ended."""
        return await self._ledger.wait_finished(job_id)

    # -- commands -------------------------------------------------------------

    def planned_submissions(
        self, entries: Sequence[BatchEntry], parameters: JobParameters, *, reuse: bool = True
    ) -> int:
        """How many of ``entries`` would really reach the engine (what a cost estimate counts).

        Photos with a finished model of the same request, and repeats of a photo
        earlier in the batch, are not submitted (``core.reuse``). Photos whose
        hash is not known yet count as submitted.
        """
        staged = [e for e in entries if isinstance(e, StagedInput)]
        if not reuse:
            return len(staged)
        engine = self._pool.resolve(parameters.engine)
        seen: set[str] = set()
        count = 0
        for entry in staged:
            digest = entry.pixel_hash
            if digest is None:
                count += 1
                continue
            if digest in seen:
                continue
            seen.add(digest)
            if find_source(self._ledger.store, self.paths, digest, engine, parameters) is None:
                count += 1
        return count

    async def generate_again(self, job_id: str, file_id: str) -> Job:
        """A new batch of one file's photo that asks the engine anew, with a new seed."""
        job = self.get_job(job_id)
        item = job.file(file_id)
        if item.input_name is None:
            raise SetupError(f"{item.filename} has no stored photo to generate again.")
        if item.parent_file_id is not None:
            raise SetupError(
                f"Version {item.version} of {item.filename} was made from a model, not a "
                "photo; generate again from its first version."
            )
        entry = StagedInput(
            source=self.paths.inputs(job_id) / item.input_name,
            display_name=item.filename,
            file_size=item.input_size,
            content_type=item.content_type or "image/jpeg",
            pixel_hash=item.pixel_hash,
        )
        parameters = job.parameters
        policy = self._pool.policy(job.engine)
        if policy is not None:
            policy = policy.for_model(parameters.model)
        if policy is None or policy.seed:
            # A new seed: the same seed would ask for the same model again.
            seed_max = policy.seed_max if policy is not None else 2**31 - 1
            parameters = parameters.model_copy(update={"seed": secrets.randbelow(seed_max + 1)})
        return await self.submit([entry], parameters, reuse=False)

    async def submit(
        self, entries: Sequence[BatchEntry], parameters: JobParameters, *, reuse: bool = True
    ) -> Job:
        """Create a job from checked photos (and refused ones) and start it.

        ``reuse`` False asks the engine for every photo, even one already made
        with the same parameters ("Generate again", ``--no-reuse``).
        """
        if self._closed:
            raise SetupError("Image2Model is shutting down; try again after it restarts.")
        if not entries:
            raise SetupError("No photos were given.")
        engine_name = self._pool.check(parameters)
        model = self._check_models(engine_name, entries, parameters)
        job_id, task_id, now = new_id(), new_id(), time.time()
        items, placements = new_files(job_id, entries, engine_name, now, reuse=reuse, model=model)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, place_inputs, self.paths, job_id, placements
            )
        except OSError as error:
            log.error("Copying photos into the library failed: %s", error)
            raise OutputError(
                f"The photos could not be copied into the library ({error.strerror}). "
                "Free some disk space and try again."
            ) from error
        job = Job(
            job_id=job_id,
            task_id=task_id,
            created=now,
            parameters=parameters,
            engine=engine_name,
            files=tuple(items),
        )
        try:
            self._ledger.insert(job)
        except StoreError:
            shutil.rmtree(self.paths.job_dir(job_id), ignore_errors=True)
            raise
        for item in items:
            if item.state == FileState.PENDING:
                self._runner.schedule(job_id, item.file_id)
        return job

    def _check_models(
        self, engine: EngineName, entries: Sequence[BatchEntry], parameters: JobParameters
    ) -> str | None:
        """Check each model the entries ask for, and their views; return the batch's model.

        None when the engine has no choice of models (its files record none).
        """
        policy = self._pool.policy(engine)
        if policy is None or not policy.models:
            return None
        for name in entry_models(entries, parameters.model):
            policy.check(parameters.model_copy(update={"model": name}))
        for entry in entries:
            if isinstance(entry, StagedInput) and entry.views:
                policy.check_views(entry.model or parameters.model, 1 + len(entry.views))
        return parameters.model

    # -- versions (remesh, retexture) -------------------------------------------

    def find_model(self, ref: str) -> tuple[Job, FileItem]:
        """A finished model of the library by reference (``core.versions.find_model``)."""
        return find_model(self._ledger.store, self.paths, ref)

    def versions(self, file_id: str) -> list[FileItem]:
        """Every version of the library entry ``file_id`` belongs to, oldest first."""
        return self._ledger.store.versions(file_id)

    async def plan_version(
        self, job_id: str, file_id: str, post: PostProcess, style: Path | None = None
    ) -> tuple[VersionPlan, PostProcess]:
        """Hash the parent model and the style photo, and check the request against FAL's
        service (``ParameterError``; ``NO_FAL_KEY`` without a key)."""
        _, source = find_model(self._ledger.store, self.paths, f"{job_id}/{file_id}")
        plan = await asyncio.get_running_loop().run_in_executor(
            None, plan_version, self.paths, source, style
        )
        post = post.model_copy(
            update={
                "source_job_id": job_id,
                "source_file_id": file_id,
                "style_image_hash": plan.style_hash,
            }
        )
        engine = self._pool.engine(self._pool.resolve("fal"))
        engine.check_post(post, plan.source_model.suffix.lower().lstrip("."))
        return plan, post

    def estimate_version(
        self, plan: VersionPlan, post: PostProcess, *, reuse: bool = True
    ) -> float | None:
        """What the version will cost: 0 when an earlier one answers it (``core.reuse``)."""
        parameters = JobParameters(engine="fal", model=post.service, post=post)
        if reuse and find_source(
            self._ledger.store, self.paths, plan.model_hash, "fal", parameters
        ):
            return 0.0
        return self._pool.engine("fal").estimate_cost(parameters, 1)

    def price_source_of(self, post: PostProcess) -> str | None:
        return self._pool.engine("fal").price_source(
            JobParameters(engine="fal", model=post.service, post=post)
        )

    async def submit_version(
        self,
        plan: VersionPlan,
        post: PostProcess,
        *,
        fal_retention: FalRetention | None = None,
        reuse: bool = True,
    ) -> Job:
        """Start a remesh or retexture of ``plan.source``: a new version of its entry."""
        if self._closed:
            raise SetupError("Image2Model is shutting down; try again after it restarts.")
        existing = self._ledger.store.versions(plan.source.file_id)
        version = max((v.version for v in existing), default=1) + 1
        retention = fal_retention or self._settings.job_defaults().fal_retention
        parameters = JobParameters(engine="fal", fal_retention=retention)
        job, placements = new_version(plan, post, parameters, version, time.time(), reuse=reuse)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, place_version_inputs, self.paths, job.job_id, placements
            )
        except OSError as error:
            log.error("Copying the model into the library failed: %s", error)
            raise OutputError(
                f"The model could not be copied for its new version ({error.strerror}). "
                "Free some disk space and try again."
            ) from error
        try:
            self._ledger.insert(job)
        except StoreError:
            shutil.rmtree(self.paths.job_dir(job.job_id), ignore_errors=True)
            raise
        self._runner.schedule(job.job_id, job.files[0].file_id)
        return job

    def cancel_file(self, file_id: str) -> bool:
        """Cancel one file (and its paid request); return False if it had ended."""
        job = self._ledger.job_of_file(file_id)
        if job is None or job.file(file_id).state.is_terminal:
            return False
        self._runner.cancel(job.job_id, file_id)
        return True

    def cancel_job(self, job_id: str) -> int:
        """Cancel every unfinished file of the job; return how many."""
        job = self.get_job(job_id)
        return sum(self.cancel_file(f.file_id) for f in job.files if not f.state.is_terminal)

    async def retry(self, job_id: str, file_ids: Sequence[str] | None = None) -> str | None:
        """Run the failed/cancelled files of a job again; return the new task id."""
        job = self.get_job(job_id)
        # Retrying is how a person says "I fixed it" (topped up the balance).
        self._pool.release_hold(job.engine)
        targets = [
            f
            for f in job.files
            if f.state in (FileState.FAILED, FileState.CANCELLED)
            and f.input_name is not None
            and (file_ids is None or f.file_id in file_ids)
        ]
        if not targets:
            return None
        return self._restart(job, targets, keep_request=True)

    async def resend(self, job_id: str, file_ids: Sequence[str] | None = None) -> str | None:
        """Send again the files whose request went out without an answer; return the task id.

        Only on the person's word: the engine may have received (and billed)
        the first request, so this may pay twice. Files in other states are
        left alone (``retry`` runs failed and cancelled ones).
        """
        job = self.get_job(job_id)
        self._pool.release_hold(job.engine)
        targets = [
            f
            for f in job.files
            if f.state == FileState.UNCONFIRMED
            and f.input_name is not None
            and (file_ids is None or f.file_id in file_ids)
        ]
        if not targets:
            return None
        log.warning("Resending %d file(s) of job %s on the user's word", len(targets), job_id)
        return self._restart(job, targets, keep_request=False)

    def _restart(self, job: Job, targets: Sequence[FileItem], *, keep_request: bool) -> str:
        """Reset ``targets`` to pending as a new task of ``job`` and schedule them."""
        task_id = new_id()
        reset = []
        for f in targets:
            request = _resumable_request(f) if keep_request else None
            kept = request is not None
            reset.append(
                f.model_copy(
                    update={
                        "state": FileState.PENDING,
                        "progress": 0.0,
                        "queue_position": None,
                        "message": "",
                        "error_code": None,
                        "error_message": None,
                        "request_id": request,
                        # A re-attached request keeps its price and bill; a new one has its own.
                        "estimated_usd": f.estimated_usd if kept else None,
                        "spent_usd": f.spent_usd if kept else None,
                        "output": None,
                        "started": None,
                        "finished": None,
                        "updated": time.time(),
                    }
                )
            )
        self._ledger.restart(job, task_id, reset)
        for item in reset:
            self._runner.schedule(job.job_id, item.file_id)
        return task_id

    def delete_job(self, job_id: str) -> None:
        """Remove a finished job and its files from the library."""
        job = self.get_job(job_id)
        if not job.is_finished:
            raise SetupError("This batch is still running; cancel it before deleting it.")
        self._ledger.delete(job_id)
        shutil.rmtree(self.paths.job_dir(job_id), ignore_errors=True)


#: Failures that happened after the engine took the request, while its paid
#: result is still there to fetch (a full disk, a download that kept failing).
_RESUMABLE_FAILURES = frozenset({"OUTPUT", "TRANSIENT"})


def _resumable_request(item: FileItem) -> str | None:
    """The request a retry of ``item`` re-attaches to, instead of paying for a new one."""
    if item.state == FileState.FAILED and item.error_code in _RESUMABLE_FAILURES:
        return item.request_id
    return None
