"""The one place that talks to fal-client: a small typed adapter.

fal-client keeps its REST and CDN hosts as module constants and offers no
constructor argument for them. The adapter sets them once, when it first loads
fal-client with hosts given (``FalHosts``: the loopback fake in tests and
benches; production passes none), instead of on every call. It reads no private
attribute: the pooled HTTP client it uses and closes is the one fal-client hands
out on its request handles (``AsyncRequestHandle.client``).

The submit is this adapter's own POST, sent exactly once: fal-client 1.0.3's
``submit`` retries transport errors raised after the body was sent
(``_should_retry`` retries ``ReadError``/``RemoteProtocolError`` whatever the
request timeout header says), and FAL has no idempotency key, so each retry
could be another billed request (a fake that cut the answer was reached 10
times). See docs/architecture.md, "Nothing is paid for twice".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx

from image2model_desktop.core.errors import (
    EngineError,
    StreamUnavailable,
    SubmitUnconfirmed,
)

from .errors import RESULT, classify, classify_http, error_body
from .timeouts import FalTimeouts

if TYPE_CHECKING:
    import fal_client

#: Environment variables naming test hosts (set by the loopback fake for child processes).
REST_URL_ENV = "IMAGE2MODEL_FAL_REST_URL"
CDN_URL_ENV = "IMAGE2MODEL_FAL_CDN_URL"
API_URL_ENV = "IMAGE2MODEL_FAL_API_URL"
#: FAL's platform API (prices, billing events, account balance), docs.fal.ai/platform-apis.
FAL_API_URL = "https://api.fal.ai/v1"

#: Turns FAL's "Model Fallbacks" off for one request: by default FAL may reroute a
#: request to an "equivalent alternative endpoint" (another model, shape and
#: price) after five failed tries (docs.fal.ai/model-apis/model-endpoints/reliability).
DISABLE_FALLBACKS = {"x-fal-disable-fallbacks": "true"}

#: fal-client's ``expires_in`` names for ``JobParameters.fal_retention``; "account"
#: sends no lifecycle, so FAL applies the account's storage settings.
RETENTION_EXPIRES_IN: Mapping[str, str | None] = {
    "1h": "1h",
    "1d": "1d",
    "7d": "7d",
    "account": None,
}


@dataclass(frozen=True)
class FalHosts:
    """Where fal-client sends REST (CDN tokens, storage) and CDN (uploads) calls, and
    where the platform API (prices, billing) is."""

    rest_url: str | None = None
    cdn_url: str | None = None
    api_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FalHosts | None:
        """The hosts named by the environment, or None for FAL's own."""
        rest, cdn = env.get(REST_URL_ENV) or None, env.get(CDN_URL_ENV) or None
        api = env.get(API_URL_ENV) or None
        return cls(rest, cdn, api) if rest or cdn or api else None


def platform_url(hosts: FalHosts | None) -> str:
    """The platform API's base URL: the hosts', the environment's (tests), or FAL's."""
    if hosts is not None and hosts.api_url:
        return hosts.api_url.rstrip("/")
    return (os.environ.get(API_URL_ENV) or FAL_API_URL).rstrip("/")


@dataclass(frozen=True)
class Queued:
    position: int


@dataclass(frozen=True)
class InProgress:
    logs: list[Any]


@dataclass(frozen=True)
class Completed:
    logs: list[Any] | None = None


Status = Queued | InProgress | Completed


def parse_status(data: Any) -> Status:
    """One status JSON (a poll's answer or a stream event) as fal-client reads it."""
    if not isinstance(data, dict):
        raise ValueError("not a status object")
    state = data.get("status")
    if state == "IN_QUEUE":
        return Queued(int(data.get("queue_position") or 0))
    if state == "IN_PROGRESS":
        return InProgress(list(data.get("logs") or []))
    if state == "COMPLETED":
        return Completed(list(data.get("logs") or []))
    raise ValueError(f"unknown status {state!r}")


async def _drain(events: AsyncGenerator[Any], seconds: float) -> None:
    """Read a finished stream to its end (FAL closes it after COMPLETED).

    A stream left half-read leaves httpx's and httpcore's nested body iterators
    suspended; the garbage collector then closes them from another task ("async
    generator ignored GeneratorExit", "cancel scope in a different task" on
    stderr: about 2 per file in the window). Read to the end, every one of them
    finishes in this task. A stream still open after ``seconds`` is abandoned.
    """
    with contextlib.suppress(Exception):
        async with asyncio.timeout(seconds):
            async for _ in events:
                pass


#: The hosts fal-client was last pointed at by this process (None: FAL's own).
_applied_hosts: FalHosts | None = None


def _load(hosts: FalHosts | None) -> ModuleType:
    """Import fal-client (lazily: 20–40 ms) and point it at ``hosts`` if not done yet."""
    global _applied_hosts
    import fal_client
    import fal_client.client as fal_module

    if hosts is not None and hosts != _applied_hosts:
        if hosts.rest_url:
            fal_module.REST_URL = hosts.rest_url
        if hosts.cdn_url:
            fal_module.CDN_URL = hosts.cdn_url
        _applied_hosts = hosts
    return fal_client


class FalClient:
    """FAL's queue and CDN for one key: upload, submit, status, result, cancel."""

    def __init__(self, key: str, timeouts: FalTimeouts, hosts: FalHosts | None = None) -> None:
        self._key = key
        self._timeouts = timeouts
        self._hosts = hosts
        self._async: fal_client.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync: fal_client.SyncClient | None = None
        #: fal-client's pooled HTTP client, as handed out on request handles.
        self._pool: httpx.AsyncClient | None = None

    def __repr__(self) -> str:  # never show the key
        return "FalClient()"

    async def upload(
        self, data: bytes, content_type: str, file_name: str, *, retention: str = "1d"
    ) -> str:
        """Upload a photo to FAL's CDN, to expire after ``retention``; return its URL.

        fal-client builds a fresh httpx client (TLS context, CA bundle) for every
        upload; its sync twin does that in a worker thread, off the event loop.
        The lifecycle goes as fal-client 1.0.3 sends it: ``X-Fal-Object-Lifecycle``
        (and ``-Preference``) ``{"expiration_duration_seconds": N}`` on the CDN
        upload and on its fallback's initiation.
        """
        fal = _load(self._hosts)
        if self._sync is None:
            self._sync = fal.SyncClient(key=self._key)
        expires_in = RETENTION_EXPIRES_IN[retention]
        lifecycle = None if expires_in is None else fal.StorageSettings(expires_in=expires_in)
        upload = functools.partial(
            self._sync.upload, data, content_type, file_name=file_name, lifecycle=lifecycle
        )
        url: str = await asyncio.get_running_loop().run_in_executor(None, upload)
        return url

    async def submit(self, endpoint: str, arguments: dict[str, Any]) -> str:
        """Enqueue a request, sending it exactly once; return its id (billed once FAL takes it).

        The same request fal-client's ``submit`` makes (POST to the queue URL
        with the server-side start timeout), through its own session, plus
        ``x-fal-disable-fallbacks``. A failure before the request left (no
        connection, no free connection) is an ``EngineError`` worth retrying;
        FAL's own refusal (an HTTP answer) is classified as always; anything
        after the body may have left and before an answer was read raises
        ``SubmitUnconfirmed``: FAL may have taken it, so it is never resent here.
        """
        fal = _load(self._hosts)
        session = await self._session()
        url = fal.client.QUEUE_URL_FORMAT + endpoint
        headers = {
            "X-Fal-Request-Timeout": str(float(self._timeouts.start_timeout)),
            **DISABLE_FALLBACKS,
        }
        timeout = httpx.Timeout(self._timeouts.submit_read, connect=self._timeouts.submit_connect)
        try:
            response = await session.post(url, json=arguments, headers=headers, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise classify(exc) from exc  # nothing left this computer
        except httpx.TransportError as exc:
            raise SubmitUnconfirmed(type(exc).__name__) from exc
        if response.status_code >= 400:
            detail, error_type = error_body(response)
            raise classify_http(response.status_code, error_type, detail)
        try:
            request_id = response.json()["request_id"]
        except (ValueError, KeyError, TypeError) as exc:
            # FAL answered 2xx, so it took the request, but its id cannot be read.
            raise SubmitUnconfirmed("an unreadable answer") from exc
        return str(request_id)

    async def status(self, endpoint: str, request_id: str) -> Status:
        fal = _load(self._hosts)
        status = await (await self._handle(endpoint, request_id)).status(with_logs=True)
        if isinstance(status, fal.Queued):
            return Queued(int(status.position))
        if isinstance(status, fal.InProgress):
            return InProgress(list(status.logs or []))
        return Completed(list(status.logs or []))

    async def status_stream(self, endpoint: str, request_id: str) -> AsyncGenerator[Status]:
        """Follow a request over FAL's status stream (server-sent events) until COMPLETED.

        fal-client 1.0.3 has no stream call; this is the request fal-js makes
        (docs/fal-models.md, "Status stream"), sent through the httpx session
        fal-client hands out on its request handle (its auth header and pool).
        Raises ``StreamUnavailable`` when refused or cut, an ``EngineError`` for
        FAL's other refusals (401, 403, 5xx), classified as for a poll.
        """
        from httpx_sse import SSEError, aconnect_sse

        handle = await self._handle(endpoint, request_id)
        timeout = httpx.Timeout(self._timeouts.stream_connect, read=self._timeouts.stream_read)
        url = handle.status_url + "/stream"
        try:
            async with aconnect_sse(
                handle.client, "GET", url, params={"logs": "1"}, timeout=timeout
            ) as sse:
                response = sse.response
                if response.status_code in (404, 405):
                    raise StreamUnavailable(f"HTTP {response.status_code}", refused=True)
                if response.status_code >= 400:
                    await response.aread()
                    detail, error_type = error_body(response)
                    raise classify_http(response.status_code, error_type, detail)
                async with contextlib.aclosing(sse.aiter_sse()) as events:
                    async for event in events:
                        if not event.data:
                            continue
                        status = parse_status(event.json())
                        if isinstance(status, Completed):
                            await _drain(events, self._timeouts.stream_drain)
                            yield status
                            return
                        yield status
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise StreamUnavailable(type(exc).__name__, refused=False) from exc
        except SSEError as exc:  # not an event stream at all: treat as refused
            raise StreamUnavailable(str(exc), refused=True) from exc
        except ValueError as exc:  # an event that is not a status
            raise StreamUnavailable(f"unreadable event: {exc}", refused=False) from exc
        raise StreamUnavailable("the stream ended before COMPLETED", refused=False)

    async def result(self, endpoint: str, request_id: str) -> dict[str, Any]:
        """Fetch a completed request's output.

        fal-client's result() polls the status once more first; the caller has
        already seen COMPLETED, so the response is fetched directly.
        """
        handle = await self._handle(endpoint, request_id)
        timeout = httpx.Timeout(self._timeouts.result_read, connect=self._timeouts.result_connect)
        try:
            response = await handle.client.get(handle.response_url, timeout=timeout)
        except httpx.HTTPError as exc:
            raise classify(exc) from exc
        if response.status_code >= 400:
            detail, error_type = error_body(response)
            raise classify_http(response.status_code, error_type, detail)
        try:
            result = response.json()
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise EngineError("FAL sent a result this app cannot read; retry it.", code=RESULT)
        return result

    async def cancel(self, endpoint: str, request_id: str) -> None:
        await (await self._handle(endpoint, request_id)).cancel()

    async def aclose(self) -> None:
        """Close the pooled HTTP client fal-client made for this key, if it made one.

        The sync client's own pool exists only after an upload fell back to FAL's
        second storage; fal-client offers no public way to close it, so it is left
        to the garbage collector.
        """
        pool, self._pool = self._pool, None
        self._async = self._sync = None
        if pool is not None:
            await pool.aclose()

    async def _handle(self, endpoint: str, request_id: str) -> Any:
        handle = await self._client().get_handle(endpoint, request_id)
        self._pool = handle.client
        return handle

    async def _session(self) -> httpx.AsyncClient:
        """fal-client's pooled session (its auth header, backup-domain transport, User-Agent).

        fal-client hands it out only on request handles; a handle for no
        request is the public way to it.
        """
        handle = await self._client().get_handle("fal-ai/any", "none")
        self._pool = handle.client
        session: httpx.AsyncClient = handle.client
        return session

    def _client(self) -> fal_client.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._async is None or self._loop is not loop:
            # fal-client's AsyncClient binds its httpx client to one event loop.
            self._async = _load(self._hosts).AsyncClient(key=self._key)
            self._loop = loop
        return self._async
