"""FAL's HTTP answers, as data: one method per endpoint fal-client 1.0.3 calls.

Routes (all on one host; fal-client is pointed at it for queue, REST and CDN):

    POST /storage/auth/token?storage_type=fal-cdn-v3   CDN token (Key auth)
    POST /files/upload                                 v3 upload (Bearer CDN token)
    POST /files/upload/multipart                       multipart create (> 100 MB)
    PUT  /files/<f>/multipart/<upload_id>/<n>          part, answers an ETag
    POST /files/<f>/multipart/<upload_id>/complete     multipart complete
    POST /storage/upload/initiate?storage_type=gcs     fallback repository "fal"
    PUT  /storage/put/<id>                             its signed-URL upload
    GET|HEAD /files/<f>                                CDN download, Range aware
    POST /<owner>/<alias>[/<path>]                     queue submit
    GET  /<owner>/<alias>/requests/<id>/status?logs=   status
    GET  /<owner>/<alias>/requests/<id>/status/stream?logs=  status as server-sent events
    GET  /<owner>/<alias>/requests/<id>                result
    PUT  /<owner>/<alias>/requests/<id>/cancel         cancel
    GET  /v1/models/pricing?endpoint_id=a,b            platform API: unit prices
    GET  /v1/models/billing-events?request_id=…&start=…  platform API: billed requests
    GET  /v1/account/billing?expand=credits            platform API: credit balance

The platform API's shapes are FAL's published OpenAPI ("Platform APIs" v1):
https://docs.fal.ai/platform-apis/v1/models/pricing,
https://fal.ai/docs/platform-apis/v1/models/billing-events and
https://fal.ai/docs/platform-apis/v1/account/billing (read 2026-12-07). The
billing endpoints need an "Admin API key" there: ``FakeFal.billing_access``
False answers 403 as FAL would to an ordinary key (a guessed text).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from .assets import (
    cube_obj,
    fbx_bytes,
    padded_glb,
    remeshed_glb,
    rendered_preview_webp,
    retextured_glb,
    textured_cube_glb,
    usdz_bytes,
)
from .models import ENDPOINTS, FakeEndpoint, billed_units, image_urls, validate
from .scenarios import Scenario, StreamMode
from .state import (
    CancelRecord,
    Endpoint,
    FailureCounter,
    FakeState,
    QueueRequest,
    StatusPoll,
    StoredFile,
    StreamConnection,
    SubmitRecord,
)

LOCKED_DETAIL = (
    "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
)
BAD_KEY_DETAIL = "No user found for Key ID and Secret"
ADMIN_KEY_DETAIL = "This endpoint requires an admin API key."
MISSING_KEY_DETAIL = "Missing authorization header"

_REQUEST_PATH = re.compile(
    r"^/(?P<base>.+?)/requests/(?P<rid>[^/]+)(?P<action>/status/stream|/status|/cancel)?$"
)
_MULTIPART_PART = re.compile(r"^(?P<file>/files/.+)/multipart/(?P<upload>[^/]+)/(?P<part>\d+)$")
_MULTIPART_DONE = re.compile(r"^(?P<file>/files/.+)/multipart/(?P<upload>[^/]+)/complete$")

_ACTION_ENDPOINTS: dict[str, Endpoint] = {
    "/status": "status",
    "/status/stream": "status_stream",
    "/cancel": "cancel",
    "": "result",
}
_KEEPALIVE = b": keep-alive\n\n"


@dataclass
class Reply:
    """What to put on the wire; `cut_after` drops the connection mid-body.

    `reset` answers nothing and resets the connection; `delay_seconds` holds the
    whole answer back; `stall_after` sends that many body bytes, pauses
    `stall_seconds`, then drops the connection.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    endpoint: Endpoint = "unknown"
    request_id: str | None = None
    detail: str | None = None
    cut_after: int | None = None
    bytes_per_second: float | None = None
    head_only: bool = False
    reset: bool = False
    delay_seconds: float | None = None
    stall_after: int | None = None
    stall_seconds: float = 0.0
    #: A streamed body (chunked): each item is written as it comes; None drops
    #: the connection there, without the closing chunk.
    chunks: Iterator[bytes | None] | None = None


def json_reply(status: int, payload: Any, endpoint: Endpoint, **extra: Any) -> Reply:
    headers = {"Content-Type": "application/json", **extra.pop("headers", {})}
    return Reply(status, json.dumps(payload).encode(), headers, endpoint, **extra)


class FalProtocol:
    """Turn one parsed HTTP request into a Reply, reading and updating FakeState."""

    def __init__(self, state: FakeState, base_url: str) -> None:
        self.state = state
        self.base_url = base_url

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if path.startswith("/v1/") and method == "GET":
            return self.platform(path, parse_qs(query), headers)
        if path == "/storage/auth/token" and method == "POST":
            return self._auth(headers, "token") or self.cdn_token(headers)
        if path == "/storage/upload/initiate" and method == "POST":
            return self._auth(headers, "storage_initiate") or self.storage_initiate(headers, body)
        if path.startswith("/storage/put/") and method == "PUT":
            return self.storage_put(path, headers, body)
        if path == "/files/upload" and method == "POST":
            return self._cdn_auth(headers, "upload") or self.cdn_upload(headers, body)
        if path == "/files/upload/multipart" and method == "POST":
            return self._cdn_auth(headers, "multipart") or self.multipart_create(headers)
        if (m := _MULTIPART_PART.match(path)) and method == "PUT":
            return self._cdn_auth(headers, "multipart") or self.multipart_part(m, body)
        if (m := _MULTIPART_DONE.match(path)) and method == "POST":
            return self._cdn_auth(headers, "multipart") or self.multipart_complete(m)
        if path.startswith("/files/") and method in ("GET", "HEAD"):
            return self.download(path, headers, head_only=method == "HEAD")
        if m := _REQUEST_PATH.match(path):
            rid, action = m["rid"], m["action"]
            endpoint: Endpoint = _ACTION_ENDPOINTS[action or ""]
            denied = self._auth(headers, endpoint, rid)
            if denied:
                return denied
            with_logs = params.get("logs", "0").lower() in ("1", "true")
            if action == "/status" and method == "GET":
                return self.status(rid, with_logs)
            if action == "/status/stream" and method == "GET":
                return self.status_stream(rid, with_logs)
            if action == "/cancel" and method == "PUT":
                return self.cancel(rid)
            if action is None and method == "GET":
                return self.result(rid)
        elif method == "POST" and path.count("/") >= 2:
            return self._auth(headers, "submit") or self.submit(path.strip("/"), headers, body)
        return json_reply(404, {"detail": "Not Found"}, "unknown")

    # -- auth ---------------------------------------------------------------

    def _auth(
        self, headers: dict[str, str], endpoint: Endpoint, rid: str | None = None
    ) -> Reply | None:
        value = headers.get("authorization", "")
        if not value:
            return json_reply(401, {"detail": MISSING_KEY_DETAIL}, endpoint, request_id=rid)
        scheme, _, key = value.partition(" ")
        if scheme.lower() != "key" or key not in self.state.valid_keys:
            return json_reply(401, {"detail": BAD_KEY_DETAIL}, endpoint, request_id=rid)
        return None

    def _cdn_auth(self, headers: dict[str, str], endpoint: Endpoint) -> Reply | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        with self.state.cond:
            key = self.state.cdn_tokens.get(token)
            valid = scheme.lower() == "bearer" and key in self.state.valid_keys
        if not valid:
            return json_reply(401, {"detail": "Invalid or expired token"}, endpoint)
        return None

    # -- uploads --------------------------------------------------------------

    def cdn_token(self, headers: dict[str, str]) -> Reply:
        token = "cdn-" + secrets.token_hex(16)
        key = headers["authorization"].partition(" ")[2]
        with self.state.cond:
            self.state.cdn_tokens[token] = key
        expires = datetime.now(UTC) + timedelta(hours=1)
        payload = {
            "token": token,
            "token_type": "Bearer",
            "base_url": self.base_url,
            "expires_at": expires.isoformat(),
        }
        return json_reply(200, payload, "token")

    def cdn_upload(self, headers: dict[str, str], body: bytes) -> Reply:
        name = headers.get("x-fal-file-name")
        scenario = self.state.scenario_for(hashlib.sha256(body).hexdigest(), name)
        failed = self._upload_failure(scenario, name, "upload")
        if failed is not None:
            return failed
        stored = self._store_input(name, headers, body)
        payload = {"access_url": self.base_url + stored.path}
        reply = json_reply(200, payload, "upload", detail=stored.name)
        if scenario.upload_delay_seconds and self._slow_turn(scenario, name, "slow_upload"):
            reply.delay_seconds = scenario.upload_delay_seconds
        return reply

    def _upload_failure(
        self, scenario: Scenario, name: str | None, endpoint: Endpoint
    ) -> Reply | None:
        """Answer 500 while an `upload_fails_once` input has failures left (both routes)."""
        if scenario.kind != "upload_fails_once":
            return None
        # Each of the app's tries goes through the CDN and then fal-client's fallback.
        if not self.state.take_failure(f"name:{name}", "upload_500", 2 * scenario.times):
            return None
        body = {"detail": "Upload failed: storage backend error"}
        return json_reply(500, body, endpoint, detail=f"upload failed: {name}")

    def _slow_turn(self, scenario: Scenario, key: str | None, counter: FailureCounter) -> bool:
        if scenario.slow_times is None:
            return True
        return self.state.take_failure(f"slow:{key}", counter, scenario.slow_times)

    def storage_initiate(self, headers: dict[str, str], body: bytes) -> Reply:
        request = json.loads(body or b"{}")
        name = str(request.get("file_name") or "upload.bin")
        content_type = str(request.get("content_type") or "application/octet-stream")
        failed = self._upload_failure(self.state.scenario_for(None, name), name, "storage_initiate")
        if failed is not None:
            return failed
        stored = self.state.add_file(
            base_url=self.base_url, name=name, content_type=content_type, data=b"", role="input"
        )
        stored.lifecycle = _lifecycle(headers, "x-fal-object-lifecycle-preference")
        payload = {
            "upload_url": f"{self.base_url}/storage/put{stored.path}",
            "file_url": self.base_url + stored.path,
        }
        return json_reply(200, payload, "storage_initiate", detail=name)

    def storage_put(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        file_path = path.removeprefix("/storage/put")
        with self.state.cond:
            stored = self.state.files.get(file_path)
            if stored is None:
                return json_reply(404, {"detail": "Upload not initiated"}, "storage_put")
            self._replace_data(stored, body)
        return Reply(200, b"", {}, "storage_put", detail=stored.name)

    def multipart_create(self, headers: dict[str, str]) -> Reply:
        stored = self._store_input(headers.get("x-fal-file-name"), headers, b"")
        upload_id = secrets.token_hex(8)
        with self.state.cond:
            self.state.multipart[upload_id] = {}
        payload = {"access_url": self.base_url + stored.path, "uploadId": upload_id}
        return json_reply(200, payload, "multipart", detail=stored.name)

    def multipart_part(self, match: re.Match[str], body: bytes) -> Reply:
        with self.state.cond:
            parts = self.state.multipart.get(match["upload"])
            if parts is None:
                return json_reply(404, {"detail": "Unknown upload"}, "multipart")
            parts[int(match["part"])] = body
        etag = '"' + secrets.token_hex(8) + '"'
        return Reply(200, b"", {"ETag": etag}, "multipart")

    def multipart_complete(self, match: re.Match[str]) -> Reply:
        with self.state.cond:
            parts = self.state.multipart.pop(match["upload"], None)
            stored = self.state.files.get(match["file"])
            if parts is None or stored is None:
                return json_reply(404, {"detail": "Unknown upload"}, "multipart")
            self._replace_data(stored, b"".join(parts[n] for n in sorted(parts)))
        return json_reply(200, {"access_url": self.base_url + stored.path}, "multipart")

    def _store_input(self, name: str | None, headers: dict[str, str], body: bytes) -> StoredFile:
        content_type = headers.get("content-type", "application/octet-stream")
        stored = self.state.add_file(
            base_url=self.base_url,
            name=name or "upload.bin",
            content_type=content_type,
            data=body,
            role="input",
        )
        # fal-client 1.0.3 sends the lifecycle on CDN uploads as X-Fal-Object-Lifecycle.
        stored.lifecycle = _lifecycle(headers, "x-fal-object-lifecycle")
        return stored

    def _replace_data(self, stored: StoredFile, data: bytes) -> None:
        stored.data = data
        stored.sha256 = hashlib.sha256(data).hexdigest()
        self.state.cond.notify_all()

    # -- queue ----------------------------------------------------------------

    def submit(self, endpoint_id: str, headers: dict[str, str], body: bytes) -> Reply:
        if self.state.locked:
            return json_reply(403, {"detail": LOCKED_DETAIL}, "submit")
        try:
            arguments = json.loads(body or b"null")
        except ValueError:
            arguments = None
        spec = ENDPOINTS.get(endpoint_id)
        if spec is None:
            app = "/".join(endpoint_id.split("/")[:2])
            return json_reply(404, {"detail": f"Application '{app}' not found"}, "submit")
        problems = validate(spec, arguments)
        if problems:
            return json_reply(422, {"detail": problems}, "submit", detail=spec.endpoint_id)
        urls = image_urls(spec, arguments)
        image_url = urls[0]
        stored = self.state.file_for_url(image_url)
        data_sha = _data_uri_sha256(image_url)
        sha = stored.sha256 if stored else data_sha
        label = stored.name if stored else image_url[:80]
        scenario = self.state.scenario_for(sha, stored.name if stored else None)
        input_key = sha or image_url
        if scenario.kind == "unauthorized":
            return json_reply(401, {"detail": BAD_KEY_DETAIL}, "submit", detail=label)
        if scenario.kind == "locked":
            return json_reply(403, {"detail": LOCKED_DETAIL}, "submit", detail=label)
        if scenario.kind == "rate_limited_then_ok" and self.state.take_failure(
            input_key, "rate_limit", scenario.times
        ):
            detail = "Rate limit exceeded. Please retry shortly."
            return json_reply(429, {"detail": detail}, "submit", detail=label)
        if scenario.kind == "submit_503_once" and self.state.take_failure(
            input_key, "submit_503", scenario.times
        ):
            # FAL's own answer (x-fal-request-id): fal-client raises at once, and
            # nothing was enqueued, so nothing is billed.
            answer = {
                "detail": "Service temporarily unavailable",
                "error_type": "runner_unavailable",
            }
            headers = {"x-fal-request-id": _uuid(), "X-Fal-Error-Type": "runner_unavailable"}
            return json_reply(503, answer, "submit", detail=f"503: {label}", headers=headers)

        cut = scenario.kind == "submit_answer_cut" and self.state.take_failure(
            input_key, "submit_cut", scenario.times
        )
        request = self._new_request(spec, arguments, urls, label, input_key, scenario, headers, cut)
        if cut:
            # The body arrived and the request is queued (and will be billed), but
            # the answer never leaves: the client sees the connection reset.
            return Reply(
                0, endpoint="submit", request_id=request.request_id, detail="cut", reset=True
            )
        owner_alias = request.app_base
        base = f"{self.base_url}/{owner_alias}/requests/{request.request_id}"
        payload: dict[str, Any] = {
            "status": "IN_QUEUE",
            "request_id": request.request_id,
            "response_url": base,
            "status_url": base + "/status",
            "cancel_url": base + "/cancel",
            "logs": None,
            "metrics": {},
            "queue_position": request.queue_position(request.submitted_at),
        }
        return json_reply(
            200,
            payload,
            "submit",
            request_id=request.request_id,
            detail=label,
            headers={"x-fal-request-id": request.request_id},
        )

    def _new_request(
        self,
        spec: FakeEndpoint,
        arguments: dict[str, Any],
        urls: tuple[str, ...],
        label: str,
        input_key: str,
        scenario: Scenario,
        headers: dict[str, str],
        cut: bool,
    ) -> QueueRequest:
        rid = _uuid()
        task_id = _uuid()
        prefix = spec.model.split("-")[0]
        fmt, model_data = _model_bytes(spec, arguments, scenario, task_id)
        model = self.state.add_file(
            base_url=self.base_url,
            name=f"{prefix}_model_{task_id}.{fmt}",
            content_type=_CONTENT_TYPES.get(fmt, "application/octet-stream"),
            data=model_data,
            role="model",
            request_id=rid,
        )
        extras = {
            key: self.state.add_file(
                base_url=self.base_url,
                name=f"{prefix}_{key}_{task_id}.{extension}",
                content_type=_CONTENT_TYPES.get(extension, "application/octet-stream"),
                data=data,
                role="extra",
                request_id=rid,
            )
            for key, extension, data in _extra_files(spec, arguments, task_id)
        }
        preview = self.state.add_file(
            base_url=self.base_url,
            name=f"{prefix}_render_{task_id}.webp",
            content_type="image/webp",
            data=rendered_preview_webp(),
            role="preview",
            request_id=rid,
        )
        endpoint_id = spec.endpoint_id
        image_field = next(f for f in spec.image_fields if arguments.get(f) is not None)
        now = time.monotonic()
        request = QueueRequest(
            request_id=rid,
            endpoint_id=endpoint_id,
            app_base="/".join(endpoint_id.split("/")[:2]),
            arguments=arguments,
            image_url=urls[0],
            input_label=label,
            input_key=input_key,
            scenario=scenario,
            submitted_at=now,
            submitted_wall=time.time(),
            generation_seconds=scenario.seconds(self.state.generation_seconds),
            task_id=task_id,
            model=model,
            preview=preview,
            model_name=spec.model,
            output=spec.output,
            image_field=image_field,
            log_name=spec.log_name,
            bill_units=billed_units(spec, arguments),
            bill_unit_price=self.state.prices.get(endpoint_id, (spec.unit_price, spec.unit))[0],
            extras=extras,
        )
        record = SubmitRecord(
            now,
            rid,
            endpoint_id,
            urls[0],
            label,
            scenario,
            arguments,
            image_field=image_field,
            image_urls=urls,
            model=spec.model,
            headers={k: v for k, v in headers.items() if k != "authorization"},
            answer_cut=cut,
        )
        with self.state.cond:
            self.state.requests[rid] = request
            self.state.submits.append(record)
            self.state.cond.notify_all()
        return request

    def _lookup(self, rid: str, endpoint: Endpoint) -> QueueRequest | Reply:
        with self.state.cond:
            request = self.state.requests.get(rid)
        if request is None or self.state.is_expired(request, time.monotonic()):
            return json_reply(404, {"detail": "Request not found"}, endpoint, request_id=rid)
        return request

    def status(self, rid: str, with_logs: bool) -> Reply:
        found = self._lookup(rid, "status")
        if isinstance(found, Reply):
            self._record_poll(rid, found.status, "NOT_FOUND", None, with_logs)
            return found
        request = found
        if request.scenario.kind == "status_resets_once" and self.state.take_failure(
            request.input_key, "status_reset", request.scenario.times
        ):
            self._record_poll(rid, 0, "RESET", None, with_logs)
            return Reply(0, endpoint="status", request_id=rid, detail="reset", reset=True)
        http_status, payload, position = self._status_payload(request, time.monotonic(), with_logs)
        phase = str(payload["status"])
        self._record_poll(rid, http_status, phase, position, with_logs)
        return json_reply(
            http_status,
            payload,
            "status",
            request_id=rid,
            detail=phase,
            headers={"x-fal-request-id": rid},
        )

    def _status_payload(
        self, request: QueueRequest, now: float, with_logs: bool
    ) -> tuple[int, dict[str, Any], int | None]:
        """The status JSON at `now` (the same for /status and each stream event)."""
        rid = request.request_id
        phase = request.phase(now)
        base = f"{self.base_url}/{request.app_base}/requests/{rid}"
        payload: dict[str, Any] = {
            "status": phase,
            "request_id": rid,
            "response_url": base,
            "status_url": base + "/status",
            "cancel_url": base + "/cancel",
            "logs": request.logs(now) if with_logs else None,
            "metrics": {},
        }
        position: int | None = None
        if phase == "IN_QUEUE":
            position = request.queue_position(now)
            payload["queue_position"] = position
        http_status = 202
        if phase == "COMPLETED":
            http_status = 200
            if request.was_cancelled():
                payload["error"] = "Request was cancelled"
                payload["error_type"] = "client_cancelled"
            else:
                payload["metrics"] = {"inference_time": round(request.generation_seconds, 3)}
                if request.scenario.kind == "reject_422":
                    payload["error"] = "Unprocessable Entity"
                    payload["error_type"] = None
        return http_status, payload, position

    def status_stream(self, rid: str, with_logs: bool) -> Reply:
        """Server-sent events: `data: <status JSON>` on every change, comment keep-alives,
        closed after COMPLETED; or refused / dropped as the scenario says."""
        now = time.monotonic()
        found = self._lookup(rid, "status_stream")
        if isinstance(found, Reply):
            self._record_stream(StreamConnection(now, rid, with_logs, 404, "not_found", t_done=now))
            return found
        request = found
        mode = self._stream_mode(request)
        headers = {"x-fal-request-id": rid}
        if mode in ("refuse_404", "refuse_405"):
            status = 404 if mode == "refuse_404" else 405
            text = "Not Found" if status == 404 else "Method Not Allowed"
            self._record_stream(
                StreamConnection(now, rid, with_logs, status, "refused", t_done=now)
            )
            return json_reply(
                status,
                {"detail": text},
                "status_stream",
                request_id=rid,
                detail=mode,
                headers=headers,
            )
        connection = StreamConnection(now, rid, with_logs, 200)
        self._record_stream(connection)
        reply = Reply(
            200,
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                **headers,
            },
            endpoint="status_stream",
            request_id=rid,
            detail=mode,
        )
        reply.chunks = self._events(request, connection, with_logs, drop=mode == "drop")
        return reply

    def _stream_mode(self, request: QueueRequest) -> StreamMode:
        scenario = request.scenario
        mode = scenario.stream if scenario.stream != "ok" else self.state.status_stream
        if mode == "ok":
            return "ok"
        counter: FailureCounter = "stream_drop" if mode == "drop" else "stream_refuse"
        times = scenario.stream_times if scenario.stream != "ok" else None
        if times is not None and not self.state.take_failure(request.input_key, counter, times):
            return "ok"
        return mode  # type: ignore[return-value]

    def _events(
        self, request: QueueRequest, connection: StreamConnection, with_logs: bool, *, drop: bool
    ) -> Iterator[bytes | None]:
        state = self.state
        last: bytes | None = None
        keepalive_at = time.monotonic() + state.keepalive_seconds
        try:
            while True:
                now = time.monotonic()
                _, payload, _ = self._status_payload(request, now, with_logs)
                data = json.dumps(payload).encode()
                if data != last:
                    last = data
                    self._stream_event(connection, str(payload["status"]))
                    yield b"data: " + data + b"\n\n"
                    keepalive_at = time.monotonic() + state.keepalive_seconds
                    if payload["status"] == "COMPLETED":
                        self._end_stream(connection, "completed")
                        return
                    if drop:
                        self._end_stream(connection, "dropped")
                        yield None
                        return
                elif now >= keepalive_at:
                    with state.cond:
                        connection.keepalives += 1
                    yield _KEEPALIVE
                    keepalive_at = time.monotonic() + state.keepalive_seconds
                with state.cond:
                    if state.closed or request.forgotten:
                        self._end_stream(connection, "client_gone")
                        return
                    now = time.monotonic()
                    wake = min(request.next_change(now) or keepalive_at, keepalive_at)
                    if wake > now:
                        # A cancel notifies the Condition; clock edges are waited for.
                        state.cond.wait(wake - now + 0.001)
        finally:
            if connection.outcome == "streaming":
                self._end_stream(connection, "client_gone")

    def _record_stream(self, connection: StreamConnection) -> None:
        with self.state.cond:
            self.state.streams.setdefault(connection.request_id, []).append(connection)
            self.state.cond.notify_all()

    def _stream_event(self, connection: StreamConnection, state: str) -> None:
        with self.state.cond:
            connection.states.append(state)
            self.state.cond.notify_all()

    def _end_stream(self, connection: StreamConnection, outcome: Any) -> None:
        with self.state.cond:
            connection.outcome = outcome
            connection.t_done = time.monotonic()
            self.state.cond.notify_all()

    def _record_poll(
        self, rid: str, http_status: int, state: str, position: int | None, with_logs: bool
    ) -> None:
        with self.state.cond:
            polls = self.state.polls.setdefault(rid, [])
            polls.append(StatusPoll(time.monotonic(), http_status, state, position, with_logs))
            self.state.cond.notify_all()

    def result(self, rid: str) -> Reply:
        found = self._lookup(rid, "result")
        if isinstance(found, Reply):
            return found
        request = found
        headers = {"x-fal-request-id": rid}
        if request.phase(time.monotonic()) != "COMPLETED":
            detail = "Request is still in progress"
            return json_reply(400, {"detail": detail}, "result", request_id=rid, headers=headers)
        if request.was_cancelled():
            detail = "Request was cancelled"
            return json_reply(400, {"detail": detail}, "result", request_id=rid, headers=headers)
        scenario = request.scenario
        if scenario.kind == "reject_422":
            return json_reply(
                422,
                {"detail": _rejection(request)},
                "result",
                request_id=rid,
                detail="reject_422",
                headers={**headers, "X-Fal-Retryable": "false"},
            )
        if scenario.kind == "runner_503_then_ok" and self.state.take_failure(
            request.input_key, "runner_503", scenario.times
        ):
            body = {"detail": "Runner disconnected", "error_type": "runner_disconnected"}
            # x-fal-request-id marks this as FAL's answer, not an ingress error, so
            # fal-client raises at once instead of retrying it itself.
            headers["X-Fal-Error-Type"] = "runner_disconnected"
            return json_reply(503, body, "result", request_id=rid, headers=headers)
        payload = _output(self.base_url, request)
        return json_reply(200, payload, "result", request_id=rid, headers=headers)

    def cancel(self, rid: str) -> Reply:
        found = self._lookup(rid, "cancel")
        now = time.monotonic()
        if isinstance(found, Reply):
            outcome = "NOT_FOUND"
            reply = json_reply(404, {"status": outcome}, "cancel", request_id=rid)
        elif found.phase(now) == "COMPLETED":
            outcome = "ALREADY_COMPLETED"
            reply = json_reply(400, {"status": outcome}, "cancel", request_id=rid)
        else:
            outcome = "CANCELLATION_REQUESTED"
            with self.state.cond:
                found.cancelled_at = now
            reply = json_reply(202, {"status": outcome}, "cancel", request_id=rid)
        with self.state.cond:
            self.state.cancels.append(CancelRecord(now, rid, reply.status, outcome))
            self.state.cond.notify_all()
        reply.detail = outcome
        return reply

    # -- platform API -----------------------------------------------------------

    def platform(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Reply:
        endpoint: Endpoint = {
            "/v1/models/pricing": "pricing",
            "/v1/models/billing-events": "billing_events",
            "/v1/account/billing": "account_billing",
        }.get(path, "unknown")  # type: ignore[assignment]
        if endpoint == "unknown":
            return json_reply(404, {"detail": "Not Found"}, "unknown")
        denied = self._auth(headers, endpoint)
        if denied:
            return denied
        if endpoint == "pricing":
            return self.pricing(_ids(query, "endpoint_id"))
        if not self.state.billing_access:
            return json_reply(403, {"detail": ADMIN_KEY_DETAIL}, endpoint)
        if endpoint == "billing_events":
            start = (query.get("start") or [None])[-1]
            return self.billing_events(_ids(query, "request_id"), start)
        with self.state.cond:
            balance = self.state.balance_usd
        expand = query.get("expand") or []
        payload: dict[str, Any] = {"username": "fake-team"}
        if "credits" in ",".join(expand).split(","):
            payload["credits"] = {"current_balance": balance, "currency": "USD"}
        return json_reply(200, payload, endpoint)

    def pricing(self, endpoint_ids: list[str]) -> Reply:
        if not 1 <= len(endpoint_ids) <= 50:
            return json_reply(422, {"detail": "Provide 1-50 endpoint IDs."}, "pricing")
        prices = []
        with self.state.cond:
            for endpoint_id in endpoint_ids:
                spec = ENDPOINTS.get(endpoint_id)
                if spec is None:
                    continue
                unit_price, unit = self.state.prices.get(endpoint_id, (spec.unit_price, spec.unit))
                prices.append(
                    {
                        "endpoint_id": endpoint_id,
                        "unit_price": unit_price,
                        "unit": unit,
                        "currency": "USD",
                    }
                )
        return json_reply(
            200, {"prices": prices, "next_cursor": None, "has_more": False}, "pricing"
        )

    def billing_events(self, request_ids: list[str], start: str | None) -> Reply:
        now = time.time()
        since = _parse_iso(start) if start else now - 86400
        wanted = set(request_ids)
        events = [
            e.json()
            for e in self.state.billing_events(time.monotonic())
            if e.wall >= since and (not wanted or e.request_id in wanted)
        ]
        payload = {"billing_events": events, "next_cursor": None, "has_more": False}
        return json_reply(200, payload, "billing_events", detail=",".join(sorted(wanted)))

    # -- downloads ------------------------------------------------------------

    def download(self, path: str, headers: dict[str, str], *, head_only: bool) -> Reply:
        with self.state.cond:
            stored = self.state.files.get(path)
            request = self.state.requests.get(stored.request_id or "") if stored else None
        if stored is None:
            return json_reply(404, {"detail": "Not Found"}, "download")
        data = stored.data
        rid = stored.request_id
        reply = Reply(200, b"", {"Content-Type": stored.content_type}, "download", rid)
        reply.head_only = head_only
        reply.detail = stored.role
        if request is not None and stored.role == "model" and not head_only:
            scenario = request.scenario
            if scenario.download_bytes_per_second and self._slow_turn(
                scenario, request.input_key, "slow_download"
            ):
                reply.bytes_per_second = scenario.download_bytes_per_second
            failure = self._download_failure(request)
            if failure == "download_500":
                body = {"detail": "Internal Server Error"}
                return json_reply(500, body, "download", request_id=rid, detail="model failed")
            if failure == "download_drop":
                reply.cut_after = len(data) // 2
                reply.detail = "model dropped"
            if failure == "truncate":
                data = data[: len(data) * 3 // 5]
                reply.detail = "model truncated"
            if failure == "download_stall":
                reply.stall_after = len(data) // 2
                reply.stall_seconds = scenario.stall_seconds
                reply.detail = "model stalled"
        start, end = 0, len(data)
        wanted = _parse_range(headers.get("range"), len(data))
        if isinstance(wanted, str):
            reply.status = 416
            reply.headers["Content-Range"] = f"bytes */{len(data)}"
            return reply
        if wanted is not None:
            start, end = wanted
            reply.status = 206
            reply.headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        reply.headers["Accept-Ranges"] = "bytes"
        reply.body = data[start:end]
        return reply

    def _download_failure(self, request: QueueRequest) -> str | None:
        kind, times, key = request.scenario.kind, request.scenario.times, request.input_key
        if kind == "model_download_fails_once" and self.state.take_failure(
            key, "download_500", times
        ):
            return "download_500"
        if kind == "model_download_drops_once" and self.state.take_failure(
            key, "download_drop", times
        ):
            return "download_drop"
        if kind == "model_download_truncated" and self.state.take_failure(key, "truncate", times):
            return "truncate"
        if kind == "model_download_stalls_once" and self.state.take_failure(
            key, "download_stall", times
        ):
            return "download_stall"
        return None


def _rejection(request: QueueRequest) -> list[dict[str, Any]]:
    return [
        {
            "loc": ["body", request.image_field],
            "msg": "Could not generate a 3D model: no object was detected in the image.",
            "type": "image_load_error",
            "url": "https://docs.fal.ai/errors#image_load_error",
            "input": request.image_url,
        }
    ]


_CONTENT_TYPES = {
    "glb": "model/gltf-binary",
    "usdz": "model/vnd.usdz+zip",
    "obj": "text/plain",
    "png": "image/png",
    "webp": "image/webp",
}


def _model_bytes(
    spec: FakeEndpoint, arguments: dict[str, Any], scenario: Scenario, task_id: str
) -> tuple[str, bytes]:
    """The model file's format and bytes, as the endpoint and its arguments ask."""
    if spec.output in ("tripo", "tripo_family") and arguments.get("quad") is True:
        return "fbx", fbx_bytes(task_id)
    if spec.output == "rodin":
        fmt = str(arguments.get("geometry_file_format") or "glb")
        return fmt, _format_bytes(fmt, task_id)
    if spec.output == "meshy_remesh":
        return "glb", remeshed_glb(int(arguments.get("target_polycount") or 30_000))
    if spec.output == "smart_topology":
        faces = {"low": 1_000, "medium": 5_000, "high": 20_000}
        return "glb", remeshed_glb(faces[str(arguments.get("face_level") or "medium")])
    if spec.output in ("meshy_retexture", "trellis_retexture"):
        return "glb", retextured_glb()
    return "glb", padded_glb(scenario.model_size) if scenario.model_size else textured_cube_glb()


def _format_bytes(fmt: str, task_id: str) -> bytes:
    if fmt == "fbx":
        return fbx_bytes(task_id)
    if fmt == "usdz":
        return usdz_bytes(task_id)
    if fmt == "obj":
        return cube_obj()
    if fmt == "stl":
        return b"solid fake\nendsolid fake\n"
    return textured_cube_glb()


def _extra_files(
    spec: FakeEndpoint, arguments: dict[str, Any], task_id: str
) -> list[tuple[str, str, bytes]]:
    """(key, extension, bytes) of the files answered beside the model."""
    if spec.output == "hunyuan":
        return [(fmt, fmt, _format_bytes(fmt, task_id)) for fmt in ("fbx", "obj", "usdz")]
    if spec.output == "meshy_remesh":
        wanted = [f for f in arguments.get("target_formats") or ["glb"] if f != "glb"]
        return [(fmt, fmt, _format_bytes(fmt, task_id)) for fmt in wanted]
    if spec.output == "meshy_retexture":
        files = [(fmt, fmt, _format_bytes(fmt, task_id)) for fmt in ("fbx", "obj", "usdz")]
        return [*files, ("base_color", "png", _png())]
    return []


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (150, 60, 170)).save(buffer, format="PNG")
    return buffer.getvalue()


def _output(base_url: str, request: QueueRequest) -> dict[str, Any]:
    """The result JSON in the shape of the request's model family (see models.FakeEndpoint)."""
    model = _file_json(base_url, request.model)
    preview = _file_json(base_url, request.preview)
    extras = {key: _file_json(base_url, stored) for key, stored in request.extras.items()}
    seed = request.arguments.get("seed", request.arguments.get("model_seed", 42))
    model_format = request.model.name.rsplit(".", 1)[-1]
    if request.output == "tripo":
        return {"task_id": request.task_id, "model_mesh": model, "rendered_image": preview}
    if request.output == "tripo_family":
        urls = {model_format: model}
        return {"model_mesh": model, "model_urls": urls, "rendered_image": preview}
    if request.output == "hunyuan":
        return {
            "model_glb": model,
            "model_urls": {"glb": model, **extras},
            "thumbnail": preview,
            "seed": seed,
        }
    if request.output == "trellis":
        return {"model_glb": model}
    if request.output == "meshy_remesh":
        return {"model_glb": model, "model_urls": {"glb": model, **extras}}
    if request.output == "smart_topology":
        return {"model_glb": model, "model_urls": {"glb": model}}
    if request.output == "meshy_retexture":
        texture = extras.pop("base_color")
        answer: dict[str, Any] = {
            "model_glb": model,
            "model_urls": {"glb": model, **extras},
            "texture_urls": [{"base_color": texture}],
            "thumbnail": preview,
        }
        for field_name in ("text_style_prompt", "image_style_url"):
            if request.arguments.get(field_name):
                answer[field_name] = request.arguments[field_name]
        return answer
    if request.output == "trellis_retexture":
        return {"model_glb": model}
    texture = {**preview, "width": 64, "height": 64}
    return {"model_mesh": model, "seed": seed, "textures": [texture]}


def _file_json(base_url: str, stored: StoredFile) -> dict[str, Any]:
    return {
        "url": base_url + stored.path,
        "content_type": stored.content_type,
        "file_name": stored.name,
        "file_size": len(stored.data),
    }


def _data_uri_sha256(url: str) -> str | None:
    if not url.startswith("data:") or ";base64," not in url:
        return None
    try:
        raw = base64.b64decode(url.split(";base64,", 1)[1], validate=True)
    except ValueError:
        return None
    return hashlib.sha256(raw).hexdigest()


def _parse_range(value: str | None, size: int) -> tuple[int, int] | str | None:
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (value or "").strip())
    if not match or not (match[1] or match[2]):
        return None
    if match[1]:
        start = int(match[1])
        end = int(match[2]) + 1 if match[2] else size
    else:
        start, end = max(0, size - int(match[2])), size
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size)


def _uuid() -> str:
    return str(uuid.uuid4())


def _lifecycle(headers: dict[str, str], name: str) -> dict[str, Any] | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return {"unreadable": raw}
    return value if isinstance(value, dict) else {"unreadable": raw}


def _ids(query: dict[str, list[str]], name: str) -> list[str]:
    """Repeated or comma-separated ids, as FAL's platform API takes them."""
    return [part for value in query.get(name, []) for part in value.split(",") if part]


def _parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
