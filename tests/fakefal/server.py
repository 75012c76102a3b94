"""`FakeFal`: a loopback HTTPS stand-in for FAL's queue, storage and CDN.

Start it, point fal-client at it (`env()` for a child process,
`patch_fal_client()` in-process), choose what goes wrong per input image
(`plan()` or a marker in the file name, see `scenarios`), then assert on the
log (`submits()`, `status_polls()`, `status_streams()`, `cancels()`, `max_in_flight()`,
`wait_for()`). Every endpoint of `models.ENDPOINTS` is served with its own input
rules and output shape; `submits()` tells which endpoint and input fields were used.
The server runs in daemon threads of the test process, so it outlives client
processes that are killed and keeps their requests for them to re-attach to.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import ssl
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from .assets import rendered_preview_webp, textured_cube_glb
from .models import ENDPOINTS
from .protocol import FalProtocol
from .scenarios import STREAM_MODES, Scenario, ScenarioKind, StreamMode
from .state import (
    BillingEvent,
    CancelRecord,
    FakeState,
    LoggedRequest,
    StartedReply,
    StatusPoll,
    StreamConnection,
    SubmitRecord,
)
from .transport import TlsThreadingServer

DEFAULT_KEY = "fakefal-key-id:fakefal-key-secret"
TRIPO_ENDPOINT = "tripo3d/tripo/v2.5/image-to-3d"
#: Endpoint ids the fake serves, by generator name (single image first).
MODEL_ENDPOINTS: dict[str, tuple[str, ...]] = {}
for _endpoint in ENDPOINTS.values():
    MODEL_ENDPOINTS[_endpoint.model] = (
        *MODEL_ENDPOINTS.get(_endpoint.model, ()),
        _endpoint.endpoint_id,
    )


class FakeFal:
    """An HTTPS fake of FAL on 127.0.0.1, with its own trustme CA.

    generation_seconds: default submit → COMPLETED time for unplanned inputs.
    default_scenario: what unplanned inputs get (its own generation_seconds wins).
    valid_keys: keys accepted in `Authorization: Key ...`; `key` must be one of
        them for `env()` to produce a working client.
    result_ttl_seconds: how long a COMPLETED result stays fetchable (FAL: ~1 h).
    status_stream: how every status stream answers unless an input's scenario
        says otherwise ("ok", "refuse_404", "refuse_405", "drop").
    keepalive_seconds: the quiet interval after which a stream sends a comment
        keep-alive (FAL: 15 s).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        generation_seconds: float = 0.3,
        default_scenario: Scenario | ScenarioKind = "ok",
        key: str = DEFAULT_KEY,
        valid_keys: Iterable[str] | None = None,
        result_ttl_seconds: float = 3600.0,
        status_stream: StreamMode = "ok",
        keepalive_seconds: float = 15.0,
    ) -> None:
        if isinstance(default_scenario, str):
            default_scenario = Scenario(kind=default_scenario)
        self.key = key
        self._requested_port = port
        self._state = FakeState(
            valid_keys=valid_keys if valid_keys is not None else (key,),
            generation_seconds=generation_seconds,
            default_scenario=default_scenario,
            result_ttl_seconds=result_ttl_seconds,
        )
        self.status_stream = status_stream
        self.keepalive_seconds = keepalive_seconds
        self._server: TlsThreadingServer | None = None
        self._thread: threading.Thread | None = None
        self._workdir: Path | None = None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> FakeFal:
        if self._server is not None:
            return self
        import trustme

        # Build the output files now: the first build imports trimesh (~0.5 s),
        # which would otherwise stall the first submit that test timing relies on.
        textured_cube_glb()
        rendered_preview_webp()
        self._workdir = Path(tempfile.mkdtemp(prefix="fakefal-"))
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(str(self._workdir / "ca.pem"))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        with self._state.cond:
            self._state.closed = False
        server = TlsThreadingServer(("127.0.0.1", self._requested_port), context, self._state)
        server.protocol = FalProtocol(self._state, f"https://127.0.0.1:{server.server_port}")
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakefal", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with self._state.cond:
            # Open status streams end at their next wake-up instead of holding threads.
            self._state.closed = True
            self._state.cond.notify_all()
        server.shutdown()
        server.server_close()
        server.close_all_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> FakeFal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeFal is not running")
        return int(self._server.server_port)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def ca_path(self) -> Path:
        if self._workdir is None:
            raise RuntimeError("FakeFal is not running")
        return self._workdir / "ca.pem"

    def ssl_context(self) -> ssl.SSLContext:
        """Return a client context trusting only this fake (httpx: `verify=`)."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def env(self, *, key: str | None = None) -> dict[str, str]:
        """Return the environment a client process needs to talk to this fake.

        fal-client reads FAL_QUEUE_RUN_HOST/FAL_RUN_HOST once, when fal_client is
        first imported, so these must be in the environment before that import.
        """
        return {
            "FAL_KEY": key if key is not None else self.key,
            "FAL_RUN_HOST": self.host,
            "FAL_QUEUE_RUN_HOST": self.host,
            "SSL_CERT_FILE": str(self.ca_path),
            "IMAGE2MODEL_FAL_REST_URL": self.base_url,
            "IMAGE2MODEL_FAL_CDN_URL": self.base_url,
            "IMAGE2MODEL_FAL_API_URL": self.base_url + "/v1",
        }

    @contextmanager
    def patch_fal_client(
        self, *, max_attempts: int | None = 2, key: str | None = None, set_key: bool = True
    ) -> Iterator[None]:
        """Point the already-imported fal_client at this fake, then restore it.

        Patches the module globals fal-client reads on every call (queue/run URL
        prefixes, REST_URL, CDN_URL, MAX_ATTEMPTS) plus SSL_CERT_FILE and FAL_KEY,
        which httpx and fal-client read when a client object first needs them.
        Clients whose httpx client or CDN token manager already exists keep what
        they captured: create fal_client clients inside this block.
        """
        import fal_client.auth as fal_auth
        import fal_client.client as fal_module

        patches: list[tuple[Any, str, Any]] = [
            (fal_module, "QUEUE_URL_FORMAT", f"{self.base_url}/"),
            (fal_module, "RUN_URL_FORMAT", f"{self.base_url}/"),
            (fal_module, "REALTIME_URL_FORMAT", f"wss://{self.host}/"),
            (fal_module, "REST_URL", self.base_url),
            (fal_module, "CDN_URL", self.base_url),
            (fal_auth, "FAL_RUN_HOST", self.host),
            (fal_auth, "FAL_QUEUE_RUN_HOST", self.host),
        ]
        if max_attempts is not None:
            patches.append((fal_module, "MAX_ATTEMPTS", max_attempts))
        saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
        # The engine reads the platform API's address (prices, billing) from here.
        env = {"SSL_CERT_FILE": str(self.ca_path), "IMAGE2MODEL_FAL_API_URL": self.base_url + "/v1"}
        if set_key:
            env["FAL_KEY"] = key if key is not None else self.key
        saved_env = {name: os.environ.get(name) for name in env}
        try:
            for module, name, value in patches:
                setattr(module, name, value)
            os.environ.update(env)
            yield
        finally:
            for module, name, value in saved:
                setattr(module, name, value)
            for name, old in saved_env.items():
                if old is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = old

    # -- behaviour knobs --------------------------------------------------------

    def plan(
        self,
        scenario: Scenario | ScenarioKind,
        *,
        data: bytes | None = None,
        path: str | os.PathLike[str] | None = None,
        sha256: str | None = None,
        name_contains: str | None = None,
    ) -> None:
        """Give inputs matching the bytes, file, digest or name fragment a scenario."""
        if isinstance(scenario, str):
            scenario = Scenario(kind=scenario)
        if path is not None:
            data = Path(path).read_bytes()
        if data is not None:
            sha256 = hashlib.sha256(data).hexdigest()
        if sha256 is None and name_contains is None:
            raise ValueError("plan() needs data, path, sha256 or name_contains")
        self._state.plan(scenario, sha256=sha256, name_contains=name_contains)

    @property
    def valid_keys(self) -> frozenset[str]:
        return self._state.valid_keys

    @valid_keys.setter
    def valid_keys(self, keys: Iterable[str]) -> None:
        with self._state.cond:
            self._state.valid_keys = frozenset(keys)
            self._state.cond.notify_all()

    @property
    def locked(self) -> bool:
        """True makes every submit answer 403 "User is locked" (exhausted balance)."""
        return self._state.locked

    @locked.setter
    def locked(self, value: bool) -> None:
        with self._state.cond:
            self._state.locked = value

    @property
    def generation_seconds(self) -> float:
        return self._state.generation_seconds

    @generation_seconds.setter
    def generation_seconds(self, seconds: float) -> None:
        with self._state.cond:
            self._state.generation_seconds = seconds

    @property
    def default_scenario(self) -> Scenario:
        return self._state.default_scenario

    @default_scenario.setter
    def default_scenario(self, scenario: Scenario | ScenarioKind) -> None:
        with self._state.cond:
            self._state.default_scenario = (
                Scenario(kind=scenario) if isinstance(scenario, str) else scenario
            )

    @property
    def status_stream(self) -> StreamMode:
        """How status streams answer for inputs whose scenario leaves `stream` at "ok"."""
        return self._state.status_stream  # type: ignore[return-value]

    @status_stream.setter
    def status_stream(self, mode: StreamMode) -> None:
        if mode not in STREAM_MODES:
            raise ValueError(f"unknown stream mode {mode!r}; one of {STREAM_MODES}")
        with self._state.cond:
            self._state.status_stream = mode

    @property
    def keepalive_seconds(self) -> float:
        return self._state.keepalive_seconds

    @keepalive_seconds.setter
    def keepalive_seconds(self, seconds: float) -> None:
        with self._state.cond:
            self._state.keepalive_seconds = seconds

    def set_price(self, endpoint_id: str, unit_price: float, unit: str) -> None:
        """What ``GET /v1/models/pricing`` answers for ``endpoint_id`` (and what it bills)."""
        with self._state.cond:
            self._state.prices[endpoint_id] = (unit_price, unit)

    @property
    def billing_access(self) -> bool:
        """False: billing events and the balance answer 403 (a key that is not an admin key)."""
        return self._state.billing_access

    @billing_access.setter
    def billing_access(self, allowed: bool) -> None:
        with self._state.cond:
            self._state.billing_access = allowed

    @property
    def billing_lag_seconds(self) -> float:
        """How long after COMPLETED a request's billing event appears."""
        return self._state.billing_lag_seconds

    @billing_lag_seconds.setter
    def billing_lag_seconds(self, seconds: float) -> None:
        with self._state.cond:
            self._state.billing_lag_seconds = seconds

    @property
    def balance_usd(self) -> float:
        return self._state.balance_usd

    @balance_usd.setter
    def balance_usd(self, usd: float) -> None:
        with self._state.cond:
            self._state.balance_usd = usd

    def forget_result(self, request_id: str) -> None:
        """Expire a request now: status, result and cancel answer 404 from here on."""
        with self._state.cond:
            self._state.requests[request_id].forgotten = True
            self._state.cond.notify_all()

    # -- what happened ----------------------------------------------------------

    def log(self, endpoint: str | None = None) -> list[LoggedRequest]:
        with self._state.cond:
            return [e for e in self._state.log if endpoint is None or e.endpoint == endpoint]

    def started(self, endpoint: str | None = None) -> list[StartedReply]:
        """Replies begun, oldest first: a held upload or a throttled download is here
        while the client still waits for it (`log()` has it only once it ended)."""
        with self._state.cond:
            return [e for e in self._state.started if endpoint is None or e.endpoint == endpoint]

    def submits(self) -> list[SubmitRecord]:
        """Accepted submits, oldest first, answered or cut (`SubmitRecord.answer_cut`);
        rejected attempts are in `log("submit")`."""
        with self._state.cond:
            return list(self._state.submits)

    def submits_to(self, endpoint_id: str) -> list[SubmitRecord]:
        """Accepted submits to one endpoint id, oldest first."""
        return [record for record in self.submits() if record.endpoint_id == endpoint_id]

    def submit_count_by_input(self) -> Counter[str]:
        """Accepted submits per input: uploaded file name, else the image_url."""
        with self._state.cond:
            return Counter(record.input_label for record in self._state.submits)

    def status_polls(self, request_id: str) -> list[StatusPoll]:
        with self._state.cond:
            return list(self._state.polls.get(request_id, ()))

    def status_streams(self, request_id: str | None = None) -> list[StreamConnection]:
        """Status-stream connections (of one request, or all), oldest first; copies."""
        with self._state.cond:
            groups = (
                [self._state.streams.get(request_id, [])]
                if request_id is not None
                else list(self._state.streams.values())
            )
            found = [copy.copy(c) for group in groups for c in group]
        for connection in found:
            connection.states = list(connection.states)
        return sorted(found, key=lambda c: c.t)

    def status_poll_count(self, request_id: str | None = None) -> int:
        """GET …/status answers (of one request, or all): 0 when the stream did the work."""
        with self._state.cond:
            if request_id is not None:
                return len(self._state.polls.get(request_id, ()))
            return sum(len(polls) for polls in self._state.polls.values())

    def status_stream_count(self, request_id: str | None = None) -> int:
        """GET …/status/stream connections (of one request, or all), refused ones included."""
        return len(self.status_streams(request_id))

    def cancels(self) -> list[CancelRecord]:
        with self._state.cond:
            return list(self._state.cancels)

    def request_state(self, request_id: str) -> str:
        """Return IN_QUEUE / IN_PROGRESS / COMPLETED / CANCELLED for a request now."""
        with self._state.cond:
            request = self._state.requests[request_id]
            phase = request.phase(time.monotonic())
            return "CANCELLED" if phase == "COMPLETED" and request.was_cancelled() else phase

    def in_flight(self) -> int:
        """Requests submitted and not yet COMPLETED or cancelled, right now."""
        return self._state.in_flight(time.monotonic())

    def max_in_flight(self) -> int:
        """The most requests that were ever between submit and COMPLETED/cancel at once."""
        return self._state.max_in_flight()

    def uploads(self) -> list[str]:
        """File names of every uploaded input, oldest first."""
        with self._state.cond:
            return [f.name for f in self._state.files.values() if f.role == "input"]

    def upload_lifecycles(self) -> list[tuple[str, dict[str, Any] | None]]:
        """(file name, the lifecycle its upload asked for or None), oldest first."""
        with self._state.cond:
            return [(f.name, f.lifecycle) for f in self._state.files.values() if f.role == "input"]

    def billing_events(self) -> list[BillingEvent]:
        """Requests billed so far, as ``GET /v1/models/billing-events`` would list them."""
        return self._state.billing_events(time.monotonic())

    def server_errors(self) -> list[str]:
        """Tracebacks of bugs in the fake itself; a test may assert this is empty."""
        with self._state.cond:
            return list(self._state.errors)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Block until predicate() is truthy and return it; TimeoutError after timeout.

        Wakes on every request the fake answers and at every scheduled phase change,
        so predicates may read any helper above (the lock is re-entrant).
        """
        return self._state.wait_for(predicate, timeout)
