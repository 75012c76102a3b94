"""The FAL engine: Tripo3D v2.5 image-to-3D through the official fal-client.

One file's way: upload the photo to FAL's CDN → submit (the request id is
committed to the store before anything else happens) → poll the status about
once a second, tighter near the predicted end, never more than 1.5 times a
second → fetch the result → download the model and its rendered preview into
the job's outputs folder (streamed to a partial file, checked, renamed).

Money rules: a request with a saved id is never submitted again; it is
resumed (status → result → download). Submits are retried only when FAL
answered that it did not take the request (429, 5xx) or the connection was
never made; fal-client's own timeout retry, which could enqueue a duplicate,
is switched off by sending a server-side start timeout.

Errors are classified by type and status code, never by message text; see
``classify``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
from image2model_desktop.core.errors import (
    AuthError,
    BalanceError,
    EngineError,
    OutputError,
    RejectedInputError,
    ResultGoneError,
    TransientError,
)
from image2model_desktop.core.fsutil import partial_path
from image2model_desktop.core.models import FileItem, JobParameters
from image2model_desktop.core.states import FileState

if TYPE_CHECKING:
    import fal_client

log = logging.getLogger(__name__)

ENDPOINT = "tripo3d/tripo/v2.5/image-to-3d"

#: USD per model by texture quality (FAL's Tripo v2.5 price list; one place to update).
PRICE_PER_MODEL = {"no": 0.20, "standard": 0.30, "HD": 0.40}

#: Seconds between status polls when nothing better is known.
POLL_INTERVAL = 1.0
#: Never poll one request more often than this (≤ 1.5 polls a second).
MIN_POLL_INTERVAL = 0.67
#: Attempts for a step that failed transiently (429, network, 5xx runner errors).
MAX_ATTEMPTS = 5
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: Tells FAL how long the request may wait to start; also stops fal-client from
#: retrying a timed-out submit (which could enqueue a second, billed request).
START_TIMEOUT_SECONDS = 3600

RESULT_TIMEOUT = httpx.Timeout(120.0, connect=30.0)
#: Downloads of models and previews; a stalled body fails after `read` seconds
#: without a byte and is retried (tests shorten it).
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
#: How long a quit waits for a submit already on the wire to be answered.
SUBMIT_GRACE_SECONDS = 30.0

_PROGRESS = re.compile(r"progress\D{0,3}(\d{1,3}(?:\.\d+)?)\s*%", re.IGNORECASE)
_GLB_MAGIC = b"glTF"
_PREVIEW_SUFFIXES = {"image/webp": ".webp", "image/png": ".png", "image/jpeg": ".jpg"}

T = TypeVar("T")


def _fal() -> Any:
    """Import fal-client lazily, pointing it at the test hosts when asked to.

    ``IMAGE2MODEL_FAL_REST_URL`` / ``IMAGE2MODEL_FAL_CDN_URL`` exist for the
    loopback fake used by the tests and benches: fal-client keeps those two
    hosts as module constants (its own tests patch them the same way).
    """
    import fal_client
    import fal_client.client as fal_module

    rest = os.environ.get("IMAGE2MODEL_FAL_REST_URL")
    cdn = os.environ.get("IMAGE2MODEL_FAL_CDN_URL")
    if rest:
        fal_module.REST_URL = rest
    if cdn:
        fal_module.CDN_URL = cdn
    return fal_client


class FalTripoEngine(Engine):
    """Generate models with FAL's Tripo3D v2.5 (billed per model)."""

    name = "fal"
    expected_seconds = 60.0

    def __init__(self, *, key: str, poll_interval: float = POLL_INTERVAL) -> None:
        self._key = key
        self._poll_interval = max(poll_interval, MIN_POLL_INTERVAL)
        self._client: fal_client.AsyncClient | None = None
        self._sync: fal_client.SyncClient | None = None
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Running mean of submit → completed, to poll tightly near the end.
        self._mean_generation: float | None = None
        #: Until the key has worked once, one file at a time makes first contact,
        #: so a bad key costs one 401, not one per file in flight.
        self._key_works = False
        self._key_error: AuthError | None = None
        self._first_contact = asyncio.Lock()
        #: Photo URLs uploaded ahead of their turn, by file id (lost on quit: free).
        self._uploads: dict[str, str] = {}

    def __repr__(self) -> str:  # never show the key
        return "FalTripoEngine()"

    # -- Engine ---------------------------------------------------------------

    def estimate_cost(self, parameters: JobParameters, count: int) -> float | None:
        return round(PRICE_PER_MODEL[parameters.texture] * count, 2)

    async def prepare(self, run: FileRun) -> None:
        # Uploading needs no FAL queue capacity: do it while earlier files generate.
        self._uploads[run.file.file_id] = await self._upload(run)

    async def run(self, run: FileRun) -> EngineOutput:
        request_id = run.file.request_id
        if request_id is None:
            image_url = self._uploads.pop(run.file.file_id, None) or await self._upload(run)
            request_id = await self._submit(run, image_url)
        else:
            log.info("Resuming FAL request for file %s", run.file.file_id)
        await self._wait_until_done(run, request_id)
        run.release_slot()
        result = await _retrying(lambda: self._fetch_result(request_id), "fetch the result")
        return await self._download_outputs(run, result)

    def forget(self, file_id: str) -> None:
        # A photo uploaded ahead of its turn whose file was cancelled or failed.
        self._uploads.pop(file_id, None)

    async def cancel_remote(self, item: FileItem) -> None:
        if item.request_id is None:
            return
        client = self._fal_client()
        try:
            await client.cancel(ENDPOINT, item.request_id)
        except Exception as exc:
            raise classify(exc) from exc

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        sync, self._sync = self._sync, None
        sync_http = sync.__dict__.get("_client") if sync is not None else None
        if isinstance(sync_http, httpx.Client):
            sync_http.close()
        client, self._client = self._client, None
        # fal-client caches its httpx client lazily and offers no close(); close it
        # only if it was made (asking for it would create one).
        if client is not None and "_client" in client.__dict__:
            http: httpx.AsyncClient = await client._client
            await http.aclose()

    # -- steps ----------------------------------------------------------------

    async def _upload(self, run: FileRun) -> str:
        """Upload the photo; until the key has worked once, one file at a time."""
        if not self._key_works:
            async with self._first_contact:
                if self._key_error is not None:
                    raise self._key_error
                if not self._key_works:
                    try:
                        url = await self._send_photo(run)
                    except AuthError as error:
                        self._key_error = error
                        raise
                    self._key_works = True
                    return url
        return await self._send_photo(run)

    async def _send_photo(self, run: FileRun) -> str:
        from image2model_desktop.core.images import validate_image, write_upload_copy

        await run.update(FileState.UPLOADING, message="Sending the photo to FAL")
        item = run.file
        loop = asyncio.get_running_loop()

        def prepare() -> tuple[bytes, str, str]:
            # Re-encode only when FAL might misread the photo (EXIF turn, CMYK, 16-bit).
            info = validate_image(run.input_path, item.filename)
            path = write_upload_copy(run.input_path, info, run.staging_dir)
            try:
                data = path.read_bytes()
            finally:
                if path != run.input_path:
                    path.unlink(missing_ok=True)
            suffix = ".png" if path.suffix.lower() == ".png" else ".jpg"
            content_type = "image/png" if suffix == ".png" else "image/jpeg"
            return data, content_type, f"{item.output_stem}{suffix}"

        data, content_type, name = await loop.run_in_executor(None, prepare)
        # fal-client builds a fresh httpx client (TLS context, CA bundle) for every
        # upload; its sync twin does that in a worker thread, off the event loop.
        upload = functools.partial(self._sync_client().upload, data, content_type, file_name=name)
        url: str = await _retrying(lambda: loop.run_in_executor(None, upload), "upload the photo")
        await run.update(
            FileState.UPLOADING, fraction=1.0, message="Photo sent; waiting for its turn"
        )
        return url

    async def _submit(self, run: FileRun, image_url: str) -> str:
        arguments = tripo_arguments(image_url, run.parameters)
        client = self._fal_client()

        async def submit() -> Any:
            return await client.submit(
                ENDPOINT, arguments=arguments, start_timeout=START_TIMEOUT_SECONDS
            )

        async def submit_and_commit() -> str:
            handle = await _retrying(submit, "submit the request", safe=_submit_not_taken)
            # Committed before anything else can happen: from here on we never pay again.
            await run.update(
                FileState.QUEUED, request_id=handle.request_id, message="Waiting in FAL's queue"
            )
            return str(handle.request_id)

        # A quit or cancel must not land between FAL taking the request and the id
        # being saved (the restart would submit, and bill, it again): let it finish.
        step = asyncio.ensure_future(submit_and_commit())
        try:
            return await asyncio.shield(step)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(step), SUBMIT_GRACE_SECONDS)
            raise

    async def _wait_until_done(self, run: FileRun, request_id: str) -> None:
        fal = _fal()
        client = self._fal_client()
        clock = _PollClock(time.monotonic())
        last_log = ""
        failures = 0
        while True:
            try:
                status = await client.status(ENDPOINT, request_id, with_logs=True)
                failures = 0
            except Exception as exc:
                error = classify(exc)
                failures += 1
                if not error.retryable or failures >= MAX_ATTEMPTS:
                    raise error from exc
                await asyncio.sleep(_backoff(failures))
                continue
            now = clock.elapsed()
            fraction: float | None = None
            if isinstance(status, fal.Completed):
                # It ended between the last pending poll and this one: learn the middle.
                self._learn((clock.last_pending + now) / 2)
                return
            if isinstance(status, fal.Queued):
                await run.update(
                    FileState.QUEUED,
                    queue_position=status.position,
                    message=f"Waiting in FAL's queue (position {status.position})",
                )
            elif isinstance(status, fal.InProgress):
                clock.saw_progress(now)
                message, fraction = _latest_log(status.logs)
                if (message and message != last_log) or run.file.state != FileState.GENERATING:
                    last_log = message or last_log
                    await run.update(
                        FileState.GENERATING,
                        fraction=fraction,
                        message=message or "FAL is building the model",
                    )
            clock.last_pending = now
            await asyncio.sleep(self._next_poll(clock, fraction))

    async def _fetch_result(self, request_id: str) -> dict[str, Any]:
        # fal-client's result() polls the status once more before fetching; the
        # poll loop has already seen COMPLETED, so fetch the response directly.
        handle = await self._fal_client().get_handle(ENDPOINT, request_id)
        try:
            response = await handle.client.get(handle.response_url, timeout=RESULT_TIMEOUT)
        except httpx.HTTPError as exc:
            raise classify(exc) from exc
        if response.status_code >= 400:
            detail, error_type = _error_body(response)
            raise _classify_http(response.status_code, error_type, detail)
        try:
            result = response.json()
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise EngineError(
                "FAL sent a result this app cannot read; retry it.", code="FAL_RESULT"
            )
        return result

    async def _download_outputs(self, run: FileRun, result: dict[str, Any]) -> EngineOutput:
        await run.update(FileState.DOWNLOADING, message="Downloading the model")
        model = next(
            (result[k] for k in ("model_mesh", "pbr_model", "base_model") if result.get(k)), None
        )
        if not isinstance(model, dict) or not model.get("url"):
            raise EngineError("FAL finished but sent no model file; retry it.", code="FAL_NO_MODEL")
        suffix = Path(str(model.get("file_name") or "model.glb")).suffix.lower() or ".glb"
        if suffix not in (".glb", ".fbx", ".obj"):
            suffix = ".glb"
        model_path = run.output_path(suffix)
        await _retrying(
            lambda: self._download(model, model_path, glb=suffix == ".glb"), "download the model"
        )
        await run.update(FileState.DOWNLOADING, fraction=0.8)
        preview = await self._download_preview(run, result.get("rendered_image"))
        return EngineOutput(model_path, *preview)

    async def _download_preview(
        self, run: FileRun, image: Any
    ) -> tuple[Path, str] | tuple[None, None]:
        if not isinstance(image, dict) or not image.get("url"):
            return None, None
        content_type = str(image.get("content_type") or "image/webp")
        path = run.output_path(f".preview{_PREVIEW_SUFFIXES.get(content_type, '.webp')}")
        try:
            await _retrying(lambda: self._download(image, path, glb=False), "download the preview")
        except EngineError as error:
            # The model is what was paid for; a missing preview is not worth failing it.
            log.warning("Preview of %s not saved: %s", run.file.file_id, error)
            return None, None
        return path, content_type

    async def _download(self, remote: dict[str, Any], dest: Path, *, glb: bool) -> None:
        expected = remote.get("file_size")
        tmp = partial_path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            async with self._http_client().stream("GET", str(remote["url"])) as response:
                if response.status_code in (404, 410):
                    raise ResultGoneError(
                        "FAL no longer has this model (results are kept about an hour); "
                        "retry it to generate it again."
                    )
                if response.status_code == 429 or response.status_code >= 500:
                    raise TransientError(f"FAL's file server answered {response.status_code}.")
                if response.status_code != 200:
                    raise EngineError(
                        f"FAL's file server refused the download ({response.status_code}).",
                        code="FAL_DOWNLOAD",
                    )
                size = await _stream_to(response, tmp)
            if isinstance(expected, int) and expected > 0 and size != expected:
                raise TransientError(f"The download was cut short ({size} of {expected} bytes).")
            if glb and not _has_glb_magic(tmp):
                raise TransientError("The downloaded model is not a GLB file.")
            os.replace(tmp, dest)
        except httpx.TransportError as exc:
            raise TransientError(f"The download failed ({type(exc).__name__}).") from exc
        except OSError as exc:
            raise OutputError(
                f"The model could not be saved ({exc.strerror or exc}). Free some disk space "
                "or check the folder's permissions, then retry."
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)

    # -- plumbing -------------------------------------------------------------

    def _fal_client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # fal-client's AsyncClient binds its httpx client to one event loop.
            self._client = _fal().AsyncClient(key=self._key)
            self._loop = loop
        return self._client

    def _sync_client(self) -> Any:
        if self._sync is None:
            self._sync = _fal().SyncClient(key=self._key)
        return self._sync

    def _http_client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True)
        return self._http

    def _learn(self, seconds: float) -> None:
        mean = self._mean_generation
        self._mean_generation = seconds if mean is None else 0.7 * mean + 0.3 * seconds

    def _next_poll(self, clock: _PollClock, fraction: float | None) -> float:
        """Wait about a second, but aim the next poll just after the predicted end."""
        elapsed = clock.elapsed()
        predicted: float | None = None
        if fraction is not None and fraction > 0.05 and clock.progress_start is not None:
            # "Progress: NN%" counts from the start of generation, not from submit.
            start = clock.progress_start
            predicted = start + max(elapsed - start, 0.0) / fraction
        elif self._mean_generation is not None:
            predicted = self._mean_generation
        if predicted is None:
            return self._poll_interval
        remaining = predicted - elapsed + 0.05
        if remaining <= 0:
            return self._poll_interval
        return min(max(remaining, MIN_POLL_INTERVAL), self._poll_interval)


class _PollClock:
    """What the poll loop knows of one request's timeline (seconds since polling began)."""

    def __init__(self, origin: float) -> None:
        self._origin = origin
        #: When the latest poll that found the request unfinished was answered.
        self.last_pending = 0.0
        #: Estimated moment generation started (between the last queued poll and now).
        self.progress_start: float | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self._origin

    def saw_progress(self, now: float) -> None:
        if self.progress_start is None:
            self.progress_start = (self.last_pending + now) / 2


def tripo_arguments(image_url: str, parameters: JobParameters) -> dict[str, Any]:
    """Build Tripo v2.5's input from the job's parameters."""
    arguments: dict[str, Any] = {
        "image_url": image_url,
        "texture": parameters.texture,
        "pbr": parameters.pbr,
        "texture_alignment": "original_image",
        "orientation": "default",
    }
    if parameters.face_limit is not None:
        arguments["face_limit"] = parameters.face_limit
    if parameters.seed is not None:
        arguments["seed"] = parameters.seed
        arguments["texture_seed"] = parameters.seed
    return arguments


def classify(exc: BaseException) -> EngineError:
    """Turn anything fal-client or httpx raised into an error a person can act on."""
    if isinstance(exc, EngineError):
        return exc
    fal = _fal()
    from fal_client.auth import MissingCredentialsError

    if isinstance(exc, MissingCredentialsError):
        return AuthError(
            "No FAL key is set — add one in Settings or with `image2model config set-key`."
        )
    if isinstance(exc, fal.client.FalClientHTTPError):
        return _classify_http(exc.status_code, exc.error_type, exc.message)
    if isinstance(exc, httpx.HTTPStatusError):
        # Some fal-client paths (the sync CDN token fetch) raise httpx's own error.
        detail, error_type = _error_body(exc.response)
        return _classify_http(exc.response.status_code, error_type, detail)
    if isinstance(exc, httpx.TimeoutException | httpx.TransportError):
        return TransientError(
            "Could not reach FAL (network problem); check the internet connection. "
            "The request is kept and will be retried."
        )
    if isinstance(exc, TimeoutError):
        return TransientError("FAL did not answer in time.")
    log.error("Unexpected error from FAL: %r", exc)
    return EngineError("FAL answered in a way this app does not understand; retry it.")


def _classify_http(status: int, error_type: str | None, detail: Any) -> EngineError:
    if status == 401:
        return AuthError(
            "FAL rejected the API key — set a valid key (Settings or `image2model config set-key`)."
        )
    if status == 403:
        return BalanceError(
            "FAL refused the request: the account is locked or out of balance — top up at "
            "fal.ai/dashboard/billing, then retry."
        )
    if status == 422:
        return RejectedInputError(f"FAL could not use this image: {_reasons(detail)}")
    if status == 404:
        return ResultGoneError(
            "FAL no longer has this request (results are kept about an hour); retry it to "
            "generate it again."
        )
    if status in (408, 409, 429) or status >= 500:
        what = f" ({error_type})" if error_type else ""
        return TransientError(f"FAL is busy or had a server problem{what}.")
    return EngineError(f"FAL refused the request (HTTP {status}): {_reasons(detail)}")


def _error_body(response: httpx.Response) -> tuple[Any, str | None]:
    """Read FAL's error body the way fal-client does: ``detail`` and ``error_type``."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error_type = body.get("error_type") or response.headers.get("x-fal-error-type")
        return body.get("detail", response.text), error_type
    return response.text, response.headers.get("x-fal-error-type")


def _reasons(detail: Any) -> str:
    """Join FAL's validation reasons (a string, or a list of {loc, msg, type})."""
    if isinstance(detail, list):
        parts = []
        for entry in detail:
            if isinstance(entry, dict):
                # Only the reason: the field name (loc) means nothing to a person.
                msg = str(entry.get("msg") or entry.get("message") or "").strip()
                if msg:
                    parts.append(msg.rstrip("."))
            elif entry:
                parts.append(str(entry))
        text = "; ".join(parts)
    else:
        text = str(detail or "").strip()
    text = text[:300] or "no reason given"
    return text if text.endswith(".") else text + "."


def _submit_not_taken(error: EngineError, cause: BaseException) -> bool:
    """Retry a submit only when FAL surely did not enqueue it."""
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
        return True  # the request never left this computer
    return isinstance(error, TransientError) and not isinstance(cause, httpx.TransportError)


async def _retrying(
    step: Callable[[], Awaitable[T]],
    what: str,
    *,
    safe: Callable[[EngineError, BaseException], bool] | None = None,
) -> T:
    """Run ``step``, retrying transient failures with exponential backoff and jitter."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await step()
        except Exception as exc:
            error = classify(exc)
            retry = error.retryable and (safe is None or safe(error, exc))
            if not retry or attempt == MAX_ATTEMPTS:
                if error.retryable:
                    error = type(error)(
                        f"Could not {what} after {attempt} tries: {error.user_message} "
                        "Retry it later."
                    )
                raise error from exc
            delay = _backoff(attempt)
            log.info("Could not %s (%s); retry %d in %.1fs", what, error.code, attempt, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def _backoff(attempt: int) -> float:
    delay: float = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)


def _latest_log(logs: Any) -> tuple[str, float | None]:
    """Return the newest log line and the newest "Progress: NN%" as a fraction."""
    message, fraction = "", None
    for entry in logs or []:
        text = str(entry.get("message", "") if isinstance(entry, dict) else entry).strip()
        if not text:
            continue
        message = text[:200]
        found = _PROGRESS.search(text)
        if found:
            fraction = min(float(found.group(1)) / 100.0, 1.0)
    return message, fraction


async def _stream_to(response: httpx.Response, path: Path) -> int:
    size = 0
    loop = asyncio.get_running_loop()
    with open(path, "wb") as handle:
        async for chunk in response.aiter_bytes(1 << 16):
            size += len(chunk)
            await loop.run_in_executor(None, handle.write, chunk)
        await loop.run_in_executor(None, os.fsync, handle.fileno())
    return size


def _has_glb_magic(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == _GLB_MAGIC
