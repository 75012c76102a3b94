"""One file's way through FAL, the same for every generator in the registry.

Upload the photo (or the 2–4 views of one object) to FAL's CDN → submit to the
file's model's endpoint (the request id and that endpoint are committed to the
store before anything else happens) → follow the status over FAL's status
stream; when the stream is refused, or cut twice, poll about once a second,
tighter near the predicted end, never more than 1.5 times a second → fetch the
result → download the model and its preview into the job's outputs folder
(streamed to a partial file, checked, renamed).

Money rules: a request with a saved id is never submitted again; it is resumed
(status → result → download). Submits are retried only when FAL answered that
it did not take the request (429, 5xx) or the connection was never made;
fal-client's own timeout retry, which could enqueue a duplicate, is switched
off by sending a server-side start timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
from image2model_desktop.core.errors import AuthError, EngineError
from image2model_desktop.core.models import DEFAULT_MODEL, FileItem, JobParameters
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.stats import model_stats

from . import registry
from .client import Completed, FalClient, FalHosts, InProgress, Queued, Status, StreamUnavailable
from .download import Downloader
from .errors import classify
from .policy import FAL_PARAMETERS
from .polling import LogLines, PollClock, latest_log, learn
from .retry import backoff, retrying, submit_not_taken
from .timeouts import FalTimeouts

log = logging.getLogger(__name__)

_PREVIEW_SUFFIXES = {"image/webp": ".webp", "image/png": ".png", "image/jpeg": ".jpg"}
_MODEL_SUFFIXES = (".glb", ".fbx", ".obj")


class FalEngine(Engine):
    """Generate models with FAL's generators (billed per model); each file names its own."""

    name = "fal"
    parameters = FAL_PARAMETERS

    def __init__(
        self,
        *,
        key: str,
        timeouts: FalTimeouts | None = None,
        hosts: FalHosts | None = None,
    ) -> None:
        self._timeouts = timeouts or FalTimeouts()
        self._fal = FalClient(key, self._timeouts, hosts)
        self._downloads = Downloader(self._timeouts)
        self.expected_seconds = 60.0
        #: Running mean of submit → completed, to poll tightly near the end.
        self._mean_generation: float | None = None
        #: Until the key has worked once, one file at a time makes first contact,
        #: so a bad key costs one 401, not one per file in flight.
        self._key_works = False
        self._key_error: AuthError | None = None
        self._first_contact = asyncio.Lock()
        #: Photo URLs (every view) uploaded ahead of their turn, by file id (lost on quit: free).
        self._uploads: dict[str, list[str]] = {}
        #: Status polls and stream connections made, for benches and tests.
        self.status_polls = 0
        self.status_streams = 0

    def __repr__(self) -> str:  # never show the key
        return "FalEngine()"

    # -- Engine ---------------------------------------------------------------

    def estimate_cost(self, parameters: JobParameters, count: int) -> float | None:
        """Estimated USD for ``count`` models; None when FAL publishes no price for the model."""
        price = self.parameters.for_model(parameters.model).estimate_usd(parameters.texture)
        return None if price is None else round(price * count, 2)

    def uploaded_ahead(self) -> frozenset[str]:
        """Ids of files whose photo is uploaded and waiting for their turn."""
        return frozenset(self._uploads)

    async def prepare(self, run: FileRun) -> None:
        # Uploading needs no FAL queue capacity: do it while earlier files generate.
        self._uploads[run.file.file_id] = await self._upload_all(run)

    async def run(self, run: FileRun) -> EngineOutput:
        item = run.file
        generator = _generator(item, run.parameters)
        request_id, endpoint = item.request_id, item.endpoint
        if request_id is None:
            urls = self._uploads.pop(item.file_id, None) or await self._upload_all(run)
            endpoint = registry.endpoint_for(generator, len(urls))
            arguments = registry.request_arguments(generator, urls, run.parameters)
            request_id = await self._submit(run, endpoint, arguments)
        else:
            log.info("Resuming FAL request for file %s", item.file_id)
        # A row saved before the model choice existed went to Tripo v2.5's endpoint.
        endpoint = endpoint or generator.endpoint
        await self._wait_until_done(run, endpoint, request_id)
        run.release_slot()
        result = await retrying(
            lambda: self._fal.result(endpoint, request_id), "fetch the result", self._timeouts
        )
        return await self._download_outputs(run, registry.extract_outputs(generator, result))

    def forget(self, file_id: str) -> None:
        # A photo uploaded ahead of its turn whose file was cancelled or failed.
        self._uploads.pop(file_id, None)

    async def cancel_remote(self, item: FileItem) -> None:
        if item.request_id is None:
            return
        endpoint = item.endpoint or _generator(item, None).endpoint
        try:
            await self._fal.cancel(endpoint, item.request_id)
        except Exception as exc:
            raise classify(exc) from exc

    async def aclose(self) -> None:
        await self._downloads.aclose()
        await self._fal.aclose()

    # -- steps ----------------------------------------------------------------

    async def _upload_all(self, run: FileRun) -> list[str]:
        """Upload the photo and any further views, in VIEW_ORDER."""
        stem = run.file.output_stem
        urls = [await self._upload(run, run.input_path, stem)]
        # Further views carry their place in VIEW_ORDER in their uploaded name.
        for view, path in zip(registry.VIEW_ORDER[1:], run.view_paths, strict=False):
            urls.append(await self._upload(run, path, f"{stem}.{view}"))
        return urls

    async def _upload(self, run: FileRun, path: Path, stem: str) -> str:
        """Upload one photo; until the key has worked once, one file at a time."""
        if not self._key_works:
            async with self._first_contact:
                if self._key_error is not None:
                    raise self._key_error
                if not self._key_works:
                    try:
                        url = await self._send_photo(run, path, stem)
                    except AuthError as error:
                        self._key_error = error
                        raise
                    self._key_works = True
                    return url
        return await self._send_photo(run, path, stem)

    async def _send_photo(self, run: FileRun, source: Path, stem: str) -> str:
        from image2model_desktop.core.images import validate_image, write_upload_copy

        await run.update(FileState.UPLOADING, message="Sending the photo to FAL")
        item = run.file

        def prepare() -> tuple[bytes, str, str]:
            # Re-encode only when FAL might misread the photo (EXIF turn, CMYK, 16-bit).
            info = validate_image(source, item.filename)
            path = write_upload_copy(source, info, run.staging_dir)
            try:
                data = path.read_bytes()
            finally:
                if path != source:
                    path.unlink(missing_ok=True)
            suffix = ".png" if path.suffix.lower() == ".png" else ".jpg"
            content_type = "image/png" if suffix == ".png" else "image/jpeg"
            return data, content_type, f"{stem}{suffix}"

        data, content_type, name = await asyncio.get_running_loop().run_in_executor(None, prepare)
        url = await retrying(
            lambda: self._fal.upload(data, content_type, name), "upload the photo", self._timeouts
        )
        await run.update(
            FileState.UPLOADING, fraction=1.0, message="Photo sent; waiting for its turn"
        )
        return url

    async def _submit(self, run: FileRun, endpoint: str, arguments: dict[str, Any]) -> str:
        async def submit_and_commit() -> str:
            request_id = await retrying(
                lambda: self._fal.submit(endpoint, arguments),
                "submit the request",
                self._timeouts,
                safe=submit_not_taken,
            )
            # Committed before anything else can happen: from here on we never pay again.
            await run.update(
                FileState.QUEUED,
                request_id=request_id,
                endpoint=endpoint,
                message="Waiting in FAL's queue",
            )
            return request_id

        # A quit or cancel must not land between FAL taking the request and the id
        # being saved (the restart would submit, and bill, it again): let it finish.
        step = asyncio.ensure_future(submit_and_commit())
        try:
            return await asyncio.shield(step)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(step), self._timeouts.submit_grace)
            raise

    async def _wait_until_done(self, run: FileRun, endpoint: str, request_id: str) -> None:
        follow = _Follower(run, PollClock(self._timeouts))
        if self._timeouts.stream and await self._follow_stream(follow, endpoint, request_id):
            return
        await self._poll(follow, endpoint, request_id)

    async def _follow_stream(self, follow: _Follower, endpoint: str, request_id: str) -> bool:
        """Follow the status stream; False means "poll instead" (refused, or cut twice)."""
        for attempt in (1, 2):
            self.status_streams += 1
            try:
                async for status in self._fal.status_stream(endpoint, request_id):
                    if await follow.saw(status):
                        self._mean_generation = learn(self._mean_generation, follow.clock.elapsed())
                        return True
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

    async def _poll(self, follow: _Follower, endpoint: str, request_id: str) -> None:
        clock = follow.clock
        failures = 0
        while True:
            try:
                self.status_polls += 1
                status = await self._fal.status(endpoint, request_id)
                failures = 0
            except Exception as exc:
                error = classify(exc)
                failures += 1
                if not error.retryable or failures >= self._timeouts.max_attempts:
                    raise error from exc
                await asyncio.sleep(backoff(failures, self._timeouts))
                continue
            now = clock.elapsed()
            if isinstance(status, Completed):
                self._mean_generation = learn(self._mean_generation, clock.finished_at(now))
                return
            await follow.saw(status)
            clock.last_pending = now
            await asyncio.sleep(clock.next_poll(follow.fraction, self._mean_generation))

    async def _download_outputs(self, run: FileRun, outputs: registry.Outputs) -> EngineOutput:
        await run.update(FileState.DOWNLOADING, message="Downloading the model")
        model = outputs.model_file
        suffix = Path(str(model.get("file_name") or "model.glb")).suffix.lower() or ".glb"
        if suffix not in _MODEL_SUFFIXES:
            suffix = ".glb"
        model_path = run.output_path(suffix)
        await retrying(
            lambda: self._downloads.fetch(
                outputs.model_url,
                model_path,
                expected_size=model.get("file_size"),
                glb=suffix == ".glb",
            ),
            "download the model",
            self._timeouts,
        )
        await run.update(FileState.DOWNLOADING, fraction=0.8)
        preview_path, content_type = await self._download_preview(run, outputs.preview_file)
        return EngineOutput(model_path, preview_path, content_type, await model_stats(model_path))

    async def _download_preview(
        self, run: FileRun, image: Any
    ) -> tuple[Path, str] | tuple[None, None]:
        if not isinstance(image, Mapping) or not image.get("url"):
            return None, None
        content_type = str(image.get("content_type") or "image/webp")
        path = run.output_path(f".preview{_PREVIEW_SUFFIXES.get(content_type, '.webp')}")
        try:
            await retrying(
                lambda: self._downloads.fetch(
                    str(image["url"]), path, expected_size=image.get("file_size"), glb=False
                ),
                "download the preview",
                self._timeouts,
            )
        except EngineError as error:
            # The model is what was paid for; a missing preview is not worth failing it.
            log.warning("Preview of %s not saved: %s", run.file.file_id, error)
            return None, None
        return path, content_type


class _Follower:
    """What one request showed so far, turned into the file's states (stream or polls)."""

    def __init__(self, run: FileRun, clock: PollClock) -> None:
        self.run = run
        self.clock = clock
        self.logs = LogLines()
        self.fraction: float | None = None
        self._position: int | None = None

    async def saw(self, status: Status) -> bool:
        """Publish what changed; True once the request is completed."""
        run = self.run
        if isinstance(status, Completed):
            return True
        now = self.clock.elapsed()
        if isinstance(status, Queued):
            if status.position != self._position or run.file.state != FileState.QUEUED:
                self._position = status.position
                await run.update(
                    FileState.QUEUED,
                    queue_position=status.position,
                    message=f"Waiting in FAL's queue (position {status.position})",
                )
        elif isinstance(status, InProgress):
            self.clock.saw_progress(now)
            message, fraction = latest_log(self.logs.new(status.logs))
            self.fraction = fraction if fraction is not None else self.fraction
            if message or run.file.state != FileState.GENERATING:
                await run.update(
                    FileState.GENERATING,
                    fraction=fraction,
                    message=message or "FAL is building the model",
                )
        return False


def _generator(item: FileItem, parameters: JobParameters | None) -> registry.Generator:
    """The file's generator: by its saved endpoint when resuming, else by its model."""
    if item.endpoint is not None:
        found = registry.by_endpoint(item.endpoint)
        if found is not None:
            return found
    name = item.model or (parameters.model if parameters is not None else DEFAULT_MODEL)
    return registry.get(name)
