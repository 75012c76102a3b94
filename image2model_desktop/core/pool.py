"""The engine pool: which engine runs a batch, how many files it takes at once, and holds.

Engines are made on first use (the FAL engine needs a key) and kept; a key
change retires one (files already running keep it). Each engine has two
concurrency limits: files occupying it, and files preparing for it (uploads
that overlap the files ahead). A batch-halting error (a locked FAL account)
puts a hold on the engine until the person says it is fixed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from .engine import Engine
from .errors import EngineError, SetupError
from .limiter import Limiter
from .models import EngineChoice, EngineName, JobParameters
from .parameters import EngineParameters

log = logging.getLogger(__name__)

EngineFactory = Callable[[EngineName], Engine]

#: The code of "fal was asked for but no key is set": each front end adds how to set one.
NO_FAL_KEY = "NO_FAL_KEY"


class EnginePool:
    def __init__(
        self,
        factory: EngineFactory,
        *,
        has_fal_key: Callable[[], bool],
        declared: Mapping[EngineName, EngineParameters],
        concurrency: int,
    ) -> None:
        self._factory = factory
        self._has_fal_key = has_fal_key
        self._declared = dict(declared)
        self._concurrency = concurrency
        self._engines: dict[EngineName, Engine] = {}
        self._retired: list[Engine] = []
        #: Per engine: (engine, False) limits files running, (engine, True) preparing.
        self._limiters: dict[tuple[EngineName, bool], Limiter] = {}
        self._holds: dict[EngineName, EngineError] = {}
        self._hold_released: dict[EngineName, asyncio.Event] = {}

    # -- choosing -------------------------------------------------------------

    def resolve(self, choice: EngineChoice) -> EngineName:
        """Turn ``auto`` into an engine; refuse ``fal`` without a key."""
        if choice == "auto":
            return "fal" if self._has_fal_key() else "offline"
        if choice == "fal" and not self._has_fal_key():
            raise SetupError("No FAL key is set.", code=NO_FAL_KEY)
        return choice

    def policy(self, name: EngineName) -> EngineParameters | None:
        declared = self._declared.get(name)
        return declared if declared is not None else self.engine(name).parameters

    def check(self, parameters: JobParameters) -> EngineName:
        """Resolve the engine and check the parameters against it (``ParameterError``)."""
        name = self.resolve(parameters.engine)
        policy = self.policy(name)
        if policy is not None:
            policy.check(parameters)
        return name

    def engine(self, name: EngineName) -> Engine:
        if name not in self._engines:
            self._engines[name] = self._factory(name)
        return self._engines[name]

    def running_engine(self, name: EngineName) -> Engine | None:
        """The engine if it was made (without making it)."""
        return self._engines.get(name)

    def retire(self, name: EngineName) -> None:
        """Forget an engine (its key changed); files already running keep the old one."""
        engine = self._engines.pop(name, None)
        if engine is not None:
            self._retired.append(engine)
        self.release_hold(name)

    # -- capacity -------------------------------------------------------------

    def limiter(self, name: EngineName, *, preparing: bool = False) -> Limiter:
        key = (name, preparing)
        if key not in self._limiters:
            self._limiters[key] = Limiter(self._concurrency)
        return self._limiters[key]

    def set_concurrency(self, limit: int) -> None:
        self._concurrency = limit
        for limiter in self._limiters.values():
            limiter.set_limit(limit)

    def in_flight(self, name: EngineName) -> int:
        limiter = self._limiters.get((name, False))
        return limiter.active if limiter else 0

    # -- holds ----------------------------------------------------------------

    def hold(self, name: EngineName, error: EngineError) -> None:
        """Keep files away from ``name`` until ``release_hold``."""
        self._holds[name] = error
        self._hold_released.setdefault(name, asyncio.Event())

    def release_hold(self, name: EngineName) -> None:
        self._holds.pop(name, None)
        event = self._hold_released.pop(name, None)
        if event is not None:
            event.set()

    async def wait_for_hold(self, name: EngineName) -> None:
        while name in self._holds:
            await self._hold_released.setdefault(name, asyncio.Event()).wait()

    async def aclose(self) -> None:
        for engine in [*self._engines.values(), *self._retired]:
            try:
                await engine.aclose()
            except Exception:
                log.exception("Engine %s did not close cleanly", engine.name)
        self._engines.clear()
        self._retired.clear()
