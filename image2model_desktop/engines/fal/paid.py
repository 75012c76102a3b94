"""One paid FAL request, for any endpoint and arguments: priced before, submitted once,
followed, fetched, and what it really cost read after.

``PaidRequests`` is the money path every FAL feature goes through (image-to-3D
today, remesh and retexture next): nothing here knows about photos, models or
files. The caller gives an endpoint id and its arguments, and says how to
commit the request id (``commit``: the store, before anything else happens)
and what to do with each status (``on_update``). docs/architecture.md,
"Nothing is paid for twice", has the rules this module keeps:

* **Priced before**: ``quote`` / ``unit_price`` read the price book (FAL's own
  answer when known, else the table, each saying which).
* **Submitted once**: ``submit`` sends the POST once. A failure before the
  request left (no connection) or FAL's refusal of it (429, 5xx answered) is
  retried; a request whose answer never came is never resent:
  ``UnconfirmedSubmitError``, and the person decides. The commit is shielded
  from quit and cancel, with a grace period, so an id FAL gave is always kept.
* **Followed**: the status stream, or polling about once a second when the
  stream is refused or cut twice.
* **Fetched**: ``result`` (retried: a GET).
* **Cost read after**: ``billed_usd`` asks FAL's billing events by request id
  (``core.costs`` retries it quietly, beside the batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from image2model_desktop.core.engine import AccountBalance
from image2model_desktop.core.errors import (
    CostUnavailable,
    EngineError,
    PlatformRefused,
    StreamUnavailable,
    SubmitUnconfirmed,
    UnconfirmedSubmitError,
)

from .client import Completed, FalClient, FalHosts, InProgress, Queued, Status
from .errors import classify
from .platform import FalPlatform
from .polling import LogLines, PollClock, latest_log, learn
from .postprocess import PostEndpoint
from .pricing import PRICES_FILE, PriceBook, Quote
from .registry import Generator, Texture
from .retry import backoff, retrying, submit_not_taken
from .timeouts import FalTimeouts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Update:
    """What a followed request showed that is new: its queue place, or its progress."""

    status: Queued | InProgress
    #: The newest log line not shown before ("" when none came).
    message: str = ""
    #: The newest "Progress: NN%" as 0–1, or None.
    fraction: float | None = None


#: Told each new status of a followed request (not COMPLETED: ``follow`` returns then).
OnUpdate = Callable[[Update], Awaitable[None]]
#: Commits a request id the moment FAL gives it (before ``submit`` returns).
Commit = Callable[[str], Awaitable[None]]


class PaidRequests:
    """FAL's paid requests for one key: upload, price, submit once, follow, fetch, cost."""

    def __init__(
        self,
        key: str,
        timeouts: FalTimeouts | None = None,
        hosts: FalHosts | None = None,
        *,
        data_dir: Path | None = None,
    ) -> None:
        self.timeouts = timeouts or FalTimeouts()
        self.fal = FalClient(key, self.timeouts, hosts)
        self.platform = FalPlatform(key, self.timeouts, hosts)
        self.prices = PriceBook(data_dir / PRICES_FILE if data_dir is not None else None)
        #: Running mean of submit → completed, to poll tightly near the end.
        self.mean_generation: float | None = None
        #: Status polls and stream connections made, for benches and tests.
        self.status_polls = 0
        self.status_streams = 0
        #: Set once FAL refused this key its billing: asked no more this session.
        self._billing_refused = False

    def __repr__(self) -> str:  # never show the key
        return "PaidRequests()"

    # -- priced before ----------------------------------------------------------

    def quote(
        self,
        generator: Generator,
        texture: Texture,
        endpoint: str | None = None,
        *,
        quad: bool = False,
    ) -> Quote:
        """One model's price at ``endpoint`` and where it comes from."""
        return self.prices.quote(generator, texture, endpoint, quad=quad)

    def quote_post(self, service: PostEndpoint) -> Quote:
        """One remesh or retexture request's price and where it comes from."""
        return self.prices.quote_post(service)

    async def refresh_prices(self, *, force: bool = False) -> None:
        """Read FAL's prices when the kept ones are old (or ``force``); raises on failure."""
        if force or self.prices.stale():
            await self.prices.refresh(self.platform)

    # -- uploads ------------------------------------------------------------------

    async def upload(
        self,
        data: bytes,
        content_type: str,
        name: str,
        retention: str,
        *,
        what: str = "upload the file",
    ) -> str:
        """Upload a file to FAL's CDN, to expire after ``retention``; retried (nothing billed).

        ``what`` words the step in a final failure ("Could not upload the photo …").
        """
        return await retrying(
            lambda: self.fal.upload(data, content_type, name, retention=retention),
            what,
            self.timeouts,
        )

    # -- submitted once -------------------------------------------------------------

    async def submit(
        self, endpoint: str, arguments: dict[str, Any], commit: Commit, *, cost: str = ""
    ) -> str:
        """Enqueue one request and ``commit`` its id; return the id.

        ``cost`` words what it may cost ("about $0.30") for the sentence of an
        unconfirmed submit. A quit or cancel arriving meanwhile waits up to
        ``timeouts.submit_grace`` for FAL's answer, so an id FAL gave is never
        lost (the restart would otherwise send, and bill, it again).
        """

        async def submit_and_commit() -> str:
            try:
                request_id = await retrying(
                    lambda: self.fal.submit(endpoint, arguments),
                    "submit the request",
                    self.timeouts,
                    safe=submit_not_taken,
                )
            except SubmitUnconfirmed as unconfirmed:
                log.warning("Submit to %s sent without an answer (%s)", endpoint, unconfirmed.why)
                raise UnconfirmedSubmitError(unconfirmed_sentence(cost)) from unconfirmed
            await commit(request_id)
            return request_id

        step = asyncio.ensure_future(submit_and_commit())
        try:
            return await asyncio.shield(step)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(step), self.timeouts.submit_grace)
            raise

    # -- followed -----------------------------------------------------------------

    async def follow(self, endpoint: str, request_id: str, on_update: OnUpdate) -> None:
        """Follow a request until FAL says COMPLETED: the stream, else polling."""
        tracker = _Tracker(on_update, PollClock(self.timeouts))
        if self.timeouts.stream and await self._follow_stream(tracker, endpoint, request_id):
            return
        await self._poll(tracker, endpoint, request_id)

    async def _follow_stream(self, tracker: _Tracker, endpoint: str, request_id: str) -> bool:
        """Follow the status stream; False means "poll instead" (refused, or cut twice)."""
        for attempt in (1, 2):
            self.status_streams += 1
            try:
                # Closed by this task whatever happens (return, cancel, error): left
                # to the garbage collector, the stream's connection was closed from
                # another task, with tracebacks on stderr.
                async with contextlib.aclosing(
                    self.fal.status_stream(endpoint, request_id)
                ) as statuses:
                    async for status in statuses:
                        if isinstance(status, Completed):
                            elapsed = tracker.clock.elapsed()
                            self.mean_generation = learn(self.mean_generation, elapsed)
                            return True
                        await tracker.saw(status)
            except StreamUnavailable as why:
                log.info(
                    "Status stream of %s %s (%s)",
                    request_id,
                    "refused" if why.refused else f"cut (attempt {attempt})",
                    why,
                )
                if why.refused:
                    return False
            except EngineError as error:
                # 401/403 mean the same over a stream as over a poll; anything
                # FAL may get over (429, 5xx) is left to the polling's retries.
                if not error.retryable:
                    raise
                log.info("Status stream of %s failed (%s); polling", request_id, error.code)
                return False
        return False

    async def _poll(self, tracker: _Tracker, endpoint: str, request_id: str) -> None:
        clock = tracker.clock
        failures = 0
        while True:
            try:
                self.status_polls += 1
                status = await self.fal.status(endpoint, request_id)
                failures = 0
            except Exception as exc:
                error = classify(exc)
                failures += 1
                if not error.retryable or failures >= self.timeouts.max_attempts:
                    raise error from exc
                await asyncio.sleep(backoff(failures, self.timeouts))
                continue
            now = clock.elapsed()
            if isinstance(status, Completed):
                self.mean_generation = learn(self.mean_generation, clock.finished_at(now))
                return
            await tracker.saw(status)
            clock.last_pending = now
            await asyncio.sleep(clock.next_poll(tracker.fraction, self.mean_generation))

    # -- fetched ------------------------------------------------------------------

    async def result(self, endpoint: str, request_id: str) -> dict[str, Any]:
        """The completed request's output (retried: fetching it again costs nothing)."""
        return await retrying(
            lambda: self.fal.result(endpoint, request_id), "fetch the result", self.timeouts
        )

    async def cancel(self, endpoint: str, request_id: str) -> None:
        try:
            await self.fal.cancel(endpoint, request_id)
        except Exception as exc:
            raise classify(exc) from exc

    # -- cost read after ----------------------------------------------------------

    async def billed_usd(self, request_id: str, since: datetime) -> float | None:
        """What FAL billed for ``request_id`` (USD); None while FAL has no event for it.

        Raises ``CostUnavailable`` when this key may not read billing (FAL's
        billing events need an admin key): asked no more this session.
        """
        if self._billing_refused:
            raise CostUnavailable("this FAL key may not read billing")
        try:
            return await self.platform.billed_usd(request_id, since)
        except PlatformRefused as refused:
            self._billing_refused = True
            raise CostUnavailable(f"FAL refused billing to this key ({refused})") from refused

    async def balance(self) -> AccountBalance:
        """The account's credit left, or a sentence saying why it cannot be read."""
        try:
            usd, currency = await self.platform.balance()
        except PlatformRefused:
            return AccountBalance(
                None,
                "FAL does not show the balance to this key: an admin key is needed "
                "(fal.ai/dashboard/keys); the balance is on fal.ai/dashboard/billing.",
            )
        except Exception as exc:
            log.info("FAL balance not read (%s)", type(exc).__name__)
            return AccountBalance(
                None, "FAL could not be asked for the balance now; check the connection."
            )
        if currency.upper() != "USD":
            return AccountBalance(None, f"FAL counts this account in {currency}, not USD.")
        return AccountBalance(usd)

    async def aclose(self) -> None:
        await self.fal.aclose()
        await self.platform.aclose()


def unconfirmed_sentence(cost: str) -> str:
    """The sentence of a request sent without an answer (``FileState.UNCONFIRMED``)."""
    billed = f" and may bill it ({cost})" if cost else " and may bill it"
    return (
        "The connection broke after this request was sent and before FAL answered, so FAL "
        f"may have received it{billed}; it was not sent again. Send it again only if "
        "fal.ai/dashboard shows no such request (it may then be paid twice)."
    )


class _Tracker:
    """What one followed request showed so far; tells ``on_update`` only what is new."""

    def __init__(self, on_update: OnUpdate, clock: PollClock) -> None:
        self._on_update = on_update
        self.clock = clock
        self.fraction: float | None = None
        self._logs = LogLines()
        self._position: int | None = None
        self._generating = False

    async def saw(self, status: Status) -> None:
        if isinstance(status, Queued):
            if status.position != self._position:
                self._position = status.position
                await self._on_update(Update(status))
        elif isinstance(status, InProgress):
            self.clock.saw_progress(self.clock.elapsed())
            message, fraction = latest_log(self._logs.new(status.logs))
            self.fraction = fraction if fraction is not None else self.fraction
            if message or not self._generating:
                self._generating = True
                await self._on_update(Update(status, message, fraction))
