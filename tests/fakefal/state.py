"""The fake's memory: uploaded files, queue requests, the request log, one Condition.

Everything lives behind one re-entrant Condition so the HTTP threads, the test
thread and `wait_for` predicates see one consistent picture. A request's phase is
computed from the clock (submit time + generation time), not advanced by a worker
thread, so a client process may die at any moment without stalling anything.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .scenarios import Scenario, scenario_from_name, stream_from_name

Phase = Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
Endpoint = Literal[
    "token",
    "upload",
    "storage_initiate",
    "storage_put",
    "multipart",
    "submit",
    "status",
    "status_stream",
    "result",
    "cancel",
    "download",
    "pricing",
    "billing_events",
    "account_billing",
    "unknown",
]
FailureCounter = Literal[
    "rate_limit",
    "runner_503",
    "download_500",
    "download_drop",
    "truncate",
    "upload_500",
    "submit_503",
    "status_reset",
    "download_stall",
    "slow_upload",
    "slow_download",
    "stream_refuse",
    "stream_drop",
    "submit_cut",
]
StreamOutcome = Literal["streaming", "completed", "refused", "dropped", "client_gone", "not_found"]


@dataclass
class StoredFile:
    """A file the fake serves under /files/: an upload or a generated output."""

    file_id: str
    path: str
    name: str
    content_type: str
    data: bytes
    sha256: str
    role: Literal["input", "model", "preview", "extra"]
    request_id: str | None = None
    #: The lifecycle the upload asked for: the JSON of ``X-Fal-Object-Lifecycle``
    #: (CDN) or ``X-Fal-Object-Lifecycle-Preference`` (storage), None when absent.
    lifecycle: dict[str, Any] | None = None


@dataclass
class QueueRequest:
    """One accepted submit and everything needed to answer for it later."""

    request_id: str
    endpoint_id: str
    app_base: str  # "owner/alias": FAL builds status/result/cancel URLs from it
    arguments: dict[str, Any]
    image_url: str
    input_label: str
    input_key: str
    scenario: Scenario
    submitted_at: float
    submitted_wall: float
    generation_seconds: float
    task_id: str
    model: StoredFile
    preview: StoredFile
    cancelled_at: float | None = None
    forgotten: bool = False
    model_name: str = "tripo-v2.5"
    output: str = "tripo"
    image_field: str = "image_url"
    log_name: str = "Tripo"
    #: What the fake bills when the request completes: units × the endpoint's price
    #: at submit time (``models.billed_units``).
    bill_units: float = 1.0
    bill_unit_price: float = 0.0
    #: Files answered beside the model, by their key in the output (``fbx``,
    #: ``usdz``, ``base_color``…).
    extras: dict[str, StoredFile] = field(default_factory=dict)

    @property
    def queue_seconds(self) -> float:
        return self.generation_seconds * self.scenario.queue_fraction

    @property
    def started_at(self) -> float:
        return self.submitted_at + self.queue_seconds

    @property
    def finishes_at(self) -> float | None:
        if self.scenario.kind == "never_finishes":
            return None
        return self.submitted_at + self.generation_seconds

    def ended_at(self) -> float | None:
        """Return when the request reached COMPLETED (finished or cancelled), if it has."""
        ends = [t for t in (self.finishes_at, self.cancelled_at) if t is not None]
        return min(ends) if ends else None

    def phase(self, now: float) -> Phase:
        ended = self.ended_at()
        if ended is not None and now >= ended:
            return "COMPLETED"
        if now >= self.started_at:
            return "IN_PROGRESS"
        return "IN_QUEUE"

    def was_cancelled(self) -> bool:
        ended = self.ended_at()
        return self.cancelled_at is not None and ended == self.cancelled_at

    def queue_position(self, now: float) -> int:
        if self.queue_seconds <= 0:
            return 0
        left = max(0.0, self.started_at - now) / self.queue_seconds
        return min(self.scenario.queue_positions, int(left * (self.scenario.queue_positions + 1)))

    def progress_percent(self, now: float) -> int:
        work = self.generation_seconds - self.queue_seconds
        if work <= 0:
            return 100
        done = int(100 * (now - self.started_at) / work)
        ceiling = 99 if self.scenario.kind == "never_finishes" else 100
        return max(0, min(ceiling, done))

    def next_change(self, now: float) -> float | None:
        """Return the next instant its status JSON changes (phase, queue position, a log line)."""
        times: list[float] = []
        ended = self.ended_at()
        if ended is not None:
            times.append(ended)
        times.append(self.started_at)
        positions = self.scenario.queue_positions
        if self.queue_seconds > 0:
            step = self.queue_seconds / (positions + 1)
            times.extend(self.started_at - k * step for k in range(1, positions + 1))
        work = self.generation_seconds - self.queue_seconds
        times.extend(self.started_at + work * percent / 100 for percent in range(10, 101, 10))
        future = [t for t in times if t > now and (ended is None or t <= ended)]
        return min(future) if future else None

    def logs(self, now: float) -> list[dict[str, str]]:
        """Return the runner log so far, cumulative as FAL sends it."""
        if now < self.started_at:
            return []
        offset_to_wall = self.submitted_wall - self.submitted_at
        entries = [(self.started_at, f"Starting {self.log_name} task {self.task_id}")]
        work = self.generation_seconds - self.queue_seconds
        reached = self.progress_percent(now)
        ended = self.ended_at()
        for percent in range(10, 101, 10):
            at = self.started_at + work * percent / 100
            if percent <= reached and (ended is None or at <= ended):
                entries.append((at, f"Progress: {percent}%"))
        if ended is not None and now >= ended:
            if self.was_cancelled():
                entries.append((ended, "Task cancelled"))
            else:
                entries.append((ended, "Task finished, uploading results"))
        return [
            {
                "message": message,
                "level": "INFO",
                "source": "user",
                "timestamp": _iso(at + offset_to_wall),
            }
            for at, message in entries
        ]


@dataclass(frozen=True)
class LoggedRequest:
    """One HTTP request the fake answered (or dropped: status 0)."""

    t: float
    t_done: float
    method: str
    path: str
    query: str
    endpoint: Endpoint
    status: int
    request_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class StartedReply:
    """A reply the fake began to send (logged before its body, unlike `LoggedRequest`).

    A throttled download or a held upload shows up here while the client still
    waits, so a test can act (kill the client) in the middle of that phase.
    """

    t: float
    method: str
    path: str
    endpoint: Endpoint
    status: int
    request_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class SubmitRecord:
    """An accepted submit: which endpoint and input it named and which scenario it got.

    image_field: the input field that carried the photo ("image_url",
    "input_image_url", "image_urls", "front_image_url"...); image_urls: every
    photo URL of the submit in view order (image_url is the first);
    model: the generator family the endpoint belongs to ("tripo-v2.5"...).
    """

    t: float
    request_id: str
    endpoint_id: str
    image_url: str
    input_label: str
    scenario: Scenario
    arguments: dict[str, Any]
    image_field: str = "image_url"
    image_urls: tuple[str, ...] = ()
    model: str = "tripo-v2.5"
    #: The submit's headers, lower-cased, without Authorization (which carries the key).
    headers: dict[str, str] = field(default_factory=dict)
    #: True when the fake took the request and then cut the connection unanswered.
    answer_cut: bool = False

    @property
    def disables_fallbacks(self) -> bool:
        """The submit carried ``x-fal-disable-fallbacks: true`` (FAL's reliability page)."""
        return self.headers.get("x-fal-disable-fallbacks", "").lower() == "true"

    @property
    def fields(self) -> frozenset[str]:
        """The input field names the submit sent."""
        return frozenset(self.arguments)


@dataclass(frozen=True)
class StatusPoll:
    t: float
    http_status: int
    state: str
    queue_position: int | None
    with_logs: bool


@dataclass
class StreamConnection:
    """One GET …/status/stream: what it answered and what it sent.

    outcome: streaming (still open), completed (closed after COMPLETED),
    refused (answered 404/405 on purpose), dropped (cut midway on purpose),
    client_gone (the client hung up), not_found (unknown or expired request).
    states: the "status" of every event sent, in order.
    """

    t: float
    request_id: str
    with_logs: bool
    http_status: int
    outcome: StreamOutcome = "streaming"
    states: list[str] = field(default_factory=list)
    keepalives: int = 0
    t_done: float | None = None


@dataclass(frozen=True)
class BillingEvent:
    """One billed request, in the shape of FAL's ``GET /v1/models/billing-events`` items."""

    request_id: str
    endpoint_id: str
    wall: float
    unit_price: float
    output_units: float

    @property
    def usd(self) -> float:
        return round(self.unit_price * self.output_units, 9)

    def json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "endpoint_id": self.endpoint_id,
            "timestamp": _iso(self.wall),
            "output_units": self.output_units,
            "unit_price": self.unit_price,
            "percent_discount": None,
            "cost_estimate_nano_usd": round(self.usd * 1_000_000_000),
        }


@dataclass(frozen=True)
class CancelRecord:
    t: float
    request_id: str
    http_status: int
    outcome: str


@dataclass
class _Plans:
    by_sha256: dict[str, Scenario] = field(default_factory=dict)
    by_name: list[tuple[str, Scenario]] = field(default_factory=list)


class FakeState:
    """Thread-safe store behind the fake; every mutation notifies the Condition."""

    def __init__(
        self,
        *,
        valid_keys: Iterable[str],
        generation_seconds: float,
        default_scenario: Scenario,
        result_ttl_seconds: float,
    ) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.valid_keys: frozenset[str] = frozenset(valid_keys)
        self.locked = False
        self.generation_seconds = generation_seconds
        self.default_scenario = default_scenario
        self.result_ttl_seconds = result_ttl_seconds
        self.files: dict[str, StoredFile] = {}
        self.requests: dict[str, QueueRequest] = {}
        self.cdn_tokens: dict[str, str] = {}
        self.multipart: dict[str, dict[int, bytes]] = {}
        self.log: list[LoggedRequest] = []
        self.started: list[StartedReply] = []
        self.submits: list[SubmitRecord] = []
        self.polls: dict[str, list[StatusPoll]] = {}
        self.streams: dict[str, list[StreamConnection]] = {}
        #: Fake-wide stream behaviour for inputs whose scenario leaves it "ok".
        self.status_stream: str = "ok"
        self.keepalive_seconds = 15.0
        self.closed = False
        self.cancels: list[CancelRecord] = []
        self.errors: list[str] = []
        #: ``GET /v1/models/pricing`` answers: endpoint id → (unit price USD, unit).
        self.prices: dict[str, tuple[float, str]] = {}
        #: False: the key may not read billing (403, as FAL answers a non-admin key).
        self.billing_access = True
        #: Seconds after COMPLETED before a request's billing event exists.
        self.billing_lag_seconds = 0.0
        self.balance_usd = 24.5
        self._plans = _Plans()
        self._failures: Counter[tuple[str, FailureCounter]] = Counter()

    # -- mutation -----------------------------------------------------------

    def notify(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def record(self, entry: LoggedRequest) -> None:
        with self.cond:
            self.log.append(entry)
            self.cond.notify_all()

    def record_started(self, entry: StartedReply) -> None:
        with self.cond:
            self.started.append(entry)
            self.cond.notify_all()

    def record_error(self, text: str) -> None:
        with self.cond:
            self.errors.append(text)
            self.cond.notify_all()

    def plan(self, scenario: Scenario, *, sha256: str | None, name_contains: str | None) -> None:
        with self.cond:
            if sha256 is not None:
                self._plans.by_sha256[sha256] = scenario
            if name_contains is not None:
                self._plans.by_name.append((name_contains, scenario))

    def add_file(
        self,
        *,
        base_url: str,
        name: str,
        content_type: str,
        data: bytes,
        role: Literal["input", "model", "preview", "extra"],
        request_id: str | None = None,
    ) -> StoredFile:
        file_id = secrets.token_hex(8)
        safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "upload.bin"
        stored = StoredFile(
            file_id=file_id,
            path=f"/files/fake/{file_id}_{safe_name}",
            name=name,
            content_type=content_type,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            role=role,
            request_id=request_id,
        )
        with self.cond:
            self.files[stored.path] = stored
            self.cond.notify_all()
        return stored

    def take_failure(self, input_key: str, counter: FailureCounter, times: int) -> bool:
        """Return True while an input's `counter` failure still has turns left."""
        with self.cond:
            used = self._failures[(input_key, counter)]
            if used >= times:
                return False
            self._failures[(input_key, counter)] = used + 1
            return True

    # -- lookup -------------------------------------------------------------

    def file_for_url(self, url: str) -> StoredFile | None:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
        with self.cond:
            return self.files.get(path.split("?", 1)[0])

    def scenario_for(self, sha256: str | None, name: str | None) -> Scenario:
        with self.cond:
            if sha256 is not None and sha256 in self._plans.by_sha256:
                return self._plans.by_sha256[sha256]
            if name is not None:
                for needle, scenario in reversed(self._plans.by_name):
                    if needle in name:
                        return scenario
                kind = scenario_from_name(name)
                stream = stream_from_name(name)
                if kind is not None or stream is not None:
                    return Scenario(kind=kind or "ok", stream=stream or "ok")
            return self.default_scenario

    def is_expired(self, request: QueueRequest, now: float) -> bool:
        if request.forgotten:
            return True
        ended = request.ended_at()
        return ended is not None and now - ended > self.result_ttl_seconds

    def next_transition(self, now: float) -> float | None:
        """Return the next clock time at which some request changes phase."""
        with self.cond:
            times = [
                t
                for r in self.requests.values()
                for t in (r.started_at, r.ended_at())
                if t is not None and t > now
            ]
        return min(times) if times else None

    def max_in_flight(self) -> int:
        with self.cond:
            spans = [(r.submitted_at, r.ended_at()) for r in self.requests.values()]
        events: list[tuple[float, int]] = []
        for start, end in spans:
            events.append((start, 1))
            if end is not None:
                events.append((end, -1))
        # Ends sort before starts at the same instant: back-to-back is not overlap.
        events.sort(key=lambda event: (event[0], event[1]))
        current = best = 0
        for _, delta in events:
            current += delta
            best = max(best, current)
        return best

    def billing_events(self, now: float) -> list[BillingEvent]:
        """Requests billed so far: completed without error, not cancelled, after the lag."""
        events = []
        with self.cond:
            for request in self.requests.values():
                ended = request.ended_at()
                if (
                    ended is None
                    or now < ended + self.billing_lag_seconds
                    or request.was_cancelled()
                    or request.scenario.kind == "reject_422"
                ):
                    continue
                unit_price = request.bill_unit_price
                wall = request.submitted_wall + (ended - request.submitted_at)
                events.append(
                    BillingEvent(
                        request.request_id,
                        request.endpoint_id,
                        wall,
                        unit_price,
                        request.bill_units,
                    )
                )
        return sorted(events, key=lambda e: e.wall)

    def in_flight(self, now: float) -> int:
        with self.cond:
            return sum(1 for r in self.requests.values() if r.phase(now) != "COMPLETED")

    def wait_for(self, predicate: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                now = time.monotonic()
                if now >= deadline:
                    raise TimeoutError(f"condition not met within {timeout} s")
                wake = deadline
                transition = self.next_transition(now)
                if transition is not None:
                    # Phases change with the clock, not with a notify: wake at the edge.
                    wake = min(wake, transition + 0.001)
                self.cond.wait(wake - now)


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, tz=UTC).isoformat().replace("+00:00", "Z")
