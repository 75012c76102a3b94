"""What each paid request really cost, read from the engine after the request ended.

An engine that bills (FAL) learns the cost of a request some time after it
finished (FAL's billing events are written after the result). So the reading
happens beside the batch, never in it: each ended file with a request id gets a
quiet task that asks its engine, waits and asks again a few times, then commits
``FileItem.spent_usd`` (``Ledger.annotate``: the store first, then an event).
Nothing here can fail or slow a file: a file's model is in the library before
its cost is asked for, and a cost that never comes leaves ``spent_usd`` None.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from image2model_desktop.core.errors import CostUnavailable

from .engine import Engine
from .errors import SetupError, StoreError
from .ledger import Ledger
from .models import EngineName

log = logging.getLogger(__name__)

#: Seconds before each further try: billing lags a finished request by seconds
#: to minutes, and a CLI run waits for the first tries only (``settle``).
COST_READ_DELAYS: tuple[float, ...] = (2.0, 5.0, 15.0, 45.0, 120.0)
#: One question to the engine may take this long before it counts as a failed try.
_ASK_SECONDS = 30.0
#: A restart asks again for files that ended this recently.
RECENT_SECONDS = 2 * 86400.0


class CostReader:
    """Background reads of billed costs, one task per file."""

    def __init__(
        self,
        ledger: Ledger,
        engine_for: Callable[[EngineName], Engine],
        delays: Sequence[float] = COST_READ_DELAYS,
    ) -> None:
        self._ledger = ledger
        self._engine_for = engine_for
        self._delays = tuple(delays)
        #: file id → (job id, its reading task)
        self._tasks: dict[str, tuple[str, asyncio.Task[None]]] = {}
        #: Engines that said they will never tell (a key without billing access).
        self._silent: set[EngineName] = set()

    def schedule(self, job_id: str, file_id: str, engine: EngineName) -> None:
        """Start asking what ``file_id``'s request cost (once; a second call is ignored)."""
        if engine in self._silent or file_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(
            self._read(job_id, file_id, engine), name=f"cost-{file_id}"
        )
        self._tasks[file_id] = (job_id, task)
        task.add_done_callback(lambda _: self._tasks.pop(file_id, None))

    def schedule_recent(self) -> int:
        """Ask again for files that ended recently with their cost unknown (after a restart)."""
        since = time.time() - RECENT_SECONDS
        found = self._ledger.store.awaiting_cost(since)
        for job_id, file_id, engine in found:
            self.schedule(job_id, file_id, engine)  # type: ignore[arg-type]
        return len(found)

    async def settle(self, job_id: str, timeout: float) -> None:
        """Wait until the job's cost reads ended, or ``timeout`` passed (they go on)."""
        tasks = [task for owner, task in self._tasks.values() if owner == job_id]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def aclose(self) -> None:
        tasks = [task for _, task in self._tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self, job_id: str, file_id: str, engine_name: EngineName) -> None:
        for delay in (0.0, *self._delays):
            if delay:
                await asyncio.sleep(delay)
            try:
                item = self._ledger.get_job(job_id).file(file_id)
            except KeyError:
                return  # the job was deleted meanwhile
            if item.spent_usd is not None or item.request_id is None:
                return
            try:
                engine = self._engine_for(engine_name)
                cost = await asyncio.wait_for(engine.billed_cost(item), _ASK_SECONDS)
            except (CostUnavailable, SetupError) as why:
                # A key that may not read billing, or no key at all now: stop asking.
                log.info("The cost of %s cannot be read: %s", file_id, why)
                self._silent.add(engine_name)
                return
            except Exception as exc:  # quiet: the next try may work, the batch never waits
                log.info("Reading the cost of %s failed (%s)", file_id, type(exc).__name__)
                continue
            if cost is not None:
                try:
                    self._ledger.annotate(job_id, file_id, {"spent_usd": cost})
                except (KeyError, StoreError) as error:
                    log.warning("The cost of %s was not kept: %s", file_id, error)
                return
        log.info("The cost of %s was not billed yet after %d tries", file_id, len(self._delays))
