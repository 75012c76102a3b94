"""The contract between the job engine and a generator (offline, FAL…)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .models import EngineName, FileItem, JobParameters
from .parameters import EngineParameters
from .states import FileState


@dataclass(frozen=True)
class ModelStats:
    """Facts about a finished model, measured by the engine that made it."""

    faces: int
    vertices: int
    #: (width along X, depth along Z, height along Y), in the file's units.
    extents: tuple[float, float, float]
    textured: bool


@dataclass(frozen=True)
class AccountBalance:
    """The engine account's credit, or why it cannot be told (Settings shows either)."""

    #: Credit left in USD; None when it cannot be read (``reason`` says why).
    usd: float | None
    reason: str | None = None


class CostUnavailable(Exception):
    """The engine will never tell what this file's request cost (free engine,
    a key without permission to read billing): stop asking."""


@dataclass(frozen=True)
class EngineOutput:
    """What a generator leaves in the job's outputs folder for one file."""

    model_path: Path
    preview_path: Path | None = None
    preview_content_type: str | None = None
    #: The model's statistics; None makes the job engine measure the file itself.
    stats: ModelStats | None = None
    #: A sentence for the person about a model made but doubtful (no subject found…).
    warning: str | None = None
    #: The model is in real-world metres (``OutputInfo.real_size``).
    real_size: bool = False


class FileRun(Protocol):
    """One file as an engine sees it while running it."""

    @property
    def file(self) -> FileItem:
        """The file as it is now (state, request id of an earlier run…)."""

    @property
    def parameters(self) -> JobParameters: ...

    @property
    def input_path(self) -> Path: ...

    @property
    def view_paths(self) -> tuple[Path, ...]:
        """Further photos of the same object (left, back, right), after ``input_path``."""

    @property
    def staging_dir(self) -> Path:
        """A folder for temporary copies (re-encoded uploads)."""

    def output_path(self, suffix: str) -> Path:
        """Return ``outputs/<stem><suffix>``, e.g. ``.glb`` → ``chair.glb``."""

    def release_slot(self) -> None:
        """Say the engine's own work is done (only downloads remain).

        The next file of the batch may start at once; the concurrency limit
        counts files that occupy the engine, not local post-processing.
        """

    async def update(
        self,
        state: FileState | None = None,
        *,
        fraction: float | None = None,
        queue_position: int | None = None,
        message: str | None = None,
        request_id: str | None = None,
        endpoint: str | None = None,
        estimated_usd: float | None = None,
    ) -> None:
        """Commit a change of this file to the store, then publish it.

        ``fraction`` is how much of the current state's progress band is done
        (0–1); without it, the job engine estimates progress while generating.
        A ``request_id`` (and the ``endpoint`` it went to, and the price the
        request was estimated at) is committed before this returns: call it the
        moment a paid request is enqueued.
        """


class Engine(abc.ABC):
    """A generator that turns one validated photo into a model file."""

    name: EngineName
    #: A first guess of how long generation takes, before any history exists.
    expected_seconds: float = 60.0
    #: What the engine accepts (face-limit range, texture choices…); None: undeclared.
    parameters: EngineParameters | None = None

    async def prepare(self, run: FileRun) -> None:  # noqa: B027 - optional hook
        """Do work that uses no engine capacity (an upload) before the file's turn.

        Runs for a new file (no request id) while the files ahead of it still
        hold the concurrency slots; ``run`` follows once a slot is free.
        """

    @abc.abstractmethod
    async def run(self, run: FileRun) -> EngineOutput:
        """Make the model of ``run.file``, resuming ``run.file.request_id`` if set.

        Raise an ``EngineError`` subclass with a user sentence on failure.
        Cancellation arrives as ``asyncio.CancelledError``.
        """

    async def cancel_remote(self, item: FileItem) -> None:  # noqa: B027 - optional hook
        """Best effort: stop the engine's remote work for ``item`` (paid requests)."""

    def forget(self, file_id: str) -> None:  # noqa: B027 - optional hook
        """Drop anything kept for a file that has left this engine (run or not)."""

    def estimate_cost(self, parameters: JobParameters, count: int) -> float | None:
        """Return the estimated price in USD of ``count`` files, None when free."""
        return None

    def price_source(self, parameters: JobParameters) -> str | None:
        """Where the estimate's price comes from ("FAL, today", "table of 2026-12-01")."""
        return None

    async def refresh_prices(self) -> None:  # noqa: B027 - optional hook
        """Fetch the engine's current prices if it publishes them (quietly, best effort)."""

    async def billed_cost(self, item: FileItem) -> float | None:
        """What the engine billed for ``item``'s request, in USD; None: not known yet.

        Read after the request ended, retried quietly by ``core.costs``; raise
        ``CostUnavailable`` when it will never be known.
        """
        raise CostUnavailable(f"{self.name} bills nothing")

    async def account_balance(self) -> AccountBalance:
        """The account's credit left, or a sentence saying why it cannot be read."""
        return AccountBalance(None, "This engine has no account.")

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections and workers."""
