"""One file's way through FAL, the same for every model family.

Upload the photo to FAL's CDN → submit (the request id is committed to the
store before anything else happens) → poll the status about once a second,
tighter near the predicted end, never more than 1.5 times a second → fetch the
result → download the model and its rendered preview into the job's outputs
folder (streamed to a partial file, checked, renamed).

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
from pathlib import Path
from typing import Any

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
from image2model_desktop.core.errors import AuthError, EngineError
from image2model_desktop.core.models import FileItem, JobParameters
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.stats import model_stats

from .client import Completed, FalClient, FalHosts, InProgress, Queued
from .download import Downloader
from .errors import NO_MODEL, classify
from .family import FalModel
from .polling import PollClock, latest_log, learn
from .retry import backoff, retrying, submit_not_taken
from .timeouts import FalTimeouts
from .tripo import TRIPO_V25

log = logging.getLogger(__name__)

_PREVIEW_SUFFIXES = {"image/webp": ".webp", "image/png": ".png", "image/jpeg": ".jpg"}
_MODEL_SUFFIXES = (".glb", ".fbx", ".obj")


class FalEngine(Engine):
    """Generate models with one FAL model family (billed per model)."""

    name = "fal"

    def __init__(
        self,
        *,
        key: str,
        model: FalModel = TRIPO_V25,
        timeouts: FalTimeouts | None = None,
        hosts: FalHosts | None = None,
    ) -> None:
        self._model = model
        self._timeouts = timeouts or FalTimeouts()
        self._fal = FalClient(key, self._timeouts, hosts)
        self._downloads = Downloader(self._timeouts)
        self.expected_seconds = model.expected_seconds
        self.parameters = model.parameters
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
        return f"FalEngine({self._model.endpoint!r})"

    # -- Engine ---------------------------------------------------------------

    def estimate_cost(self, parameters: JobParameters, count: int) -> float | None:
        return round(self._model.price(parameters) * count, 2)

    def uploaded_ahead(self) -> frozenset[str]:
        """Ids of files whose photo is uploaded and waiting for their turn."""
        return frozenset(self._uploads)

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
        result = await retrying(
            lambda: self._fal.result(self._model.endpoint, request_id),
            "fetch the result",
            self._timeouts,
        )
        return await self._download_outputs(run, result)

    def forget(self, file_id: str) -> None:
        # A photo uploaded ahead of its turn whose file was cancelled or failed.
        self._uploads.pop(file_id, None)

    async def cancel_remote(self, item: FileItem) -> None:
        if item.request_id is None:
            return
        try:
            await self._fal.cancel(self._model.endpoint, item.request_id)
        except Exception as exc:
            raise classify(exc) from exc

    async def aclose(self) -> None:
        await self._downloads.aclose()
        await self._fal.aclose()

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

        data, content_type, name = await asyncio.get_running_loop().run_in_executor(None, prepare)
        url = await retrying(
            lambda: self._fal.upload(data, content_type, name), "upload the photo", self._timeouts
        )
        await run.update(
            FileState.UPLOADING, fraction=1.0, message="Photo sent; waiting for its turn"
        )
        return url

    async def _submit(self, run: FileRun, image_url: str) -> str:
        arguments = self._model.arguments(image_url, run.parameters)

        async def submit_and_commit() -> str:
            request_id = await retrying(
                lambda: self._fal.submit(self._model.endpoint, arguments),
                "submit the request",
                self._timeouts,
                safe=submit_not_taken,
            )
            # Committed before anything else can happen: from here on we never pay again.
            await run.update(
                FileState.QUEUED, request_id=request_id, message="Waiting in FAL's queue"
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

    async def _wait_until_done(self, run: FileRun, request_id: str) -> None:
        clock = PollClock(self._timeouts)
        last_log = ""
        failures = 0
        while True:
            try:
                status = await self._fal.status(self._model.endpoint, request_id)
                failures = 0
            except Exception as exc:
                error = classify(exc)
                failures += 1
                if not error.retryable or failures >= self._timeouts.max_attempts:
                    raise error from exc
                await asyncio.sleep(backoff(failures, self._timeouts))
                continue
            now = clock.elapsed()
            fraction: float | None = None
            if isinstance(status, Completed):
                self._mean_generation = learn(self._mean_generation, clock.finished_at(now))
                return
            if isinstance(status, Queued):
                await run.update(
                    FileState.QUEUED,
                    queue_position=status.position,
                    message=f"Waiting in FAL's queue (position {status.position})",
                )
            elif isinstance(status, InProgress):
                clock.saw_progress(now)
                message, fraction = latest_log(status.logs)
                if (message and message != last_log) or run.file.state != FileState.GENERATING:
                    last_log = message or last_log
                    await run.update(
                        FileState.GENERATING,
                        fraction=fraction,
                        message=message or "FAL is building the model",
                    )
            clock.last_pending = now
            await asyncio.sleep(clock.next_poll(fraction, self._mean_generation))

    async def _download_outputs(self, run: FileRun, result: dict[str, Any]) -> EngineOutput:
        await run.update(FileState.DOWNLOADING, message="Downloading the model")
        model = next((result[k] for k in self._model.model_keys if result.get(k)), None)
        if not isinstance(model, dict) or not model.get("url"):
            raise EngineError("FAL finished but sent no model file; retry it.", code=NO_MODEL)
        suffix = Path(str(model.get("file_name") or "model.glb")).suffix.lower() or ".glb"
        if suffix not in _MODEL_SUFFIXES:
            suffix = ".glb"
        model_path = run.output_path(suffix)
        await retrying(
            lambda: self._downloads.fetch(
                str(model["url"]),
                model_path,
                expected_size=model.get("file_size"),
                glb=suffix == ".glb",
            ),
            "download the model",
            self._timeouts,
        )
        await run.update(FileState.DOWNLOADING, fraction=0.8)
        preview = self._model.preview_key and result.get(self._model.preview_key)
        preview_path, content_type = await self._download_preview(run, preview)
        return EngineOutput(model_path, preview_path, content_type, await model_stats(model_path))

    async def _download_preview(
        self, run: FileRun, image: Any
    ) -> tuple[Path, str] | tuple[None, None]:
        if not isinstance(image, dict) or not image.get("url"):
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
