"""One file's way through FAL, the same for every generator in the registry.

Upload the photo (or the 2–4 views of one object) to FAL's CDN, to expire after
the batch's ``fal_retention`` → submit once to the file's model's endpoint (the
request id, that endpoint and the price it was estimated at are committed to the
store before anything else happens) → follow the status over FAL's status
stream, else poll → fetch the result, checked to be that model's → download the
model and its preview into the job's outputs folder (streamed to a partial file,
checked, renamed). What it cost is read afterwards (``billed_cost``).

The money path itself (price, submit once, follow, fetch, billed cost) is
``paid.PaidRequests``, shared with every other FAL feature; this module adds
what is particular to image-to-3D: photos, the registry's dialects, the files.
A request with a saved id is never submitted again; it is resumed (status →
result → download).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from image2model_desktop.core.engine import AccountBalance, Engine, EngineOutput, FileRun
from image2model_desktop.core.errors import AuthError, EngineError, UnconfirmedSubmitError
from image2model_desktop.core.models import DEFAULT_MODEL, FileItem, JobParameters
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.stats import model_stats

from . import registry
from .client import FalHosts, Queued
from .download import Downloader
from .paid import PaidRequests, Update
from .policy import FAL_PARAMETERS
from .pricing import Quote
from .retry import retrying
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
        data_dir: Path | None = None,
    ) -> None:
        self._timeouts = timeouts or FalTimeouts()
        self._paid = PaidRequests(key, self._timeouts, hosts, data_dir=data_dir)
        self._downloads = Downloader(self._timeouts)
        self.expected_seconds = 60.0
        #: Until the key has worked once, one file at a time makes first contact,
        #: so a bad key costs one 401, not one per file in flight.
        self._key_works = False
        self._key_error: AuthError | None = None
        self._first_contact = asyncio.Lock()
        #: Photo URLs (every view) uploaded ahead of their turn, by file id (lost on quit: free).
        self._uploads: dict[str, list[str]] = {}

    def __repr__(self) -> str:  # never show the key
        return "FalEngine()"

    @property
    def status_polls(self) -> int:
        """Status polls made (benches and tests: 0 while the stream works)."""
        return self._paid.status_polls

    @property
    def status_streams(self) -> int:
        return self._paid.status_streams

    # -- Engine ---------------------------------------------------------------

    def estimate_cost(self, parameters: JobParameters, count: int) -> float | None:
        """Estimated USD for ``count`` models; None when FAL publishes no price for the model."""
        price = self._quote(parameters).usd
        return None if price is None else round(price * count, 2)

    def price_source(self, parameters: JobParameters) -> str | None:
        return self._quote(parameters).source

    async def refresh_prices(self) -> None:
        await self._paid.refresh_prices()

    async def billed_cost(self, item: FileItem) -> float | None:
        if item.request_id is None:
            return None
        # FAL's billing events default to the last 24 hours: start before the file did.
        began = item.started or item.created
        since = datetime.fromtimestamp(began, UTC) - timedelta(hours=1)
        return await self._paid.billed_usd(item.request_id, since)

    async def account_balance(self) -> AccountBalance:
        return await self._paid.balance()

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
            request_id = await self._submit(run, generator, endpoint, arguments)
        else:
            log.info("Resuming FAL request for file %s", item.file_id)
        # A row saved before the model choice existed went to Tripo v2.5's endpoint.
        endpoint = endpoint or generator.endpoint
        await self._paid.follow(endpoint, request_id, lambda update: _show(run, update))
        run.release_slot()
        result = await self._paid.result(endpoint, request_id)
        return await self._download_outputs(run, registry.extract_outputs(generator, result))

    def forget(self, file_id: str) -> None:
        # A photo uploaded ahead of its turn whose file was cancelled or failed.
        self._uploads.pop(file_id, None)

    async def cancel_remote(self, item: FileItem) -> None:
        if item.request_id is None:
            return
        endpoint = item.endpoint or _generator(item, None).endpoint
        await self._paid.cancel(endpoint, item.request_id)

    async def aclose(self) -> None:
        await self._downloads.aclose()
        await self._paid.aclose()

    # -- steps ----------------------------------------------------------------

    def _quote(self, parameters: JobParameters) -> Quote:
        generator = registry.get(self.parameters.for_model(parameters.model).model or "")
        return self._paid.quote(generator, parameters.texture)

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
        url = await self._paid.upload(
            data, content_type, name, run.parameters.fal_retention, what="upload the photo"
        )
        await run.update(
            FileState.UPLOADING, fraction=1.0, message="Photo sent; waiting for its turn"
        )
        return url

    async def _submit(
        self, run: FileRun, generator: registry.Generator, endpoint: str, arguments: dict[str, Any]
    ) -> str:
        quote = self._paid.quote(generator, run.parameters.texture, endpoint)

        async def commit(request_id: str) -> None:
            # Committed before anything else can happen: from here on we never pay again.
            await run.update(
                FileState.QUEUED,
                request_id=request_id,
                endpoint=endpoint,
                estimated_usd=quote.usd,
                message="Waiting in FAL's queue",
            )

        cost = f"about ${quote.usd:.2f}" if quote.usd is not None else ""
        try:
            return await self._paid.submit(endpoint, arguments, commit, cost=cost)
        except UnconfirmedSubmitError:
            if quote.usd is not None:
                # What it may have cost stays with the file, beside the sentence.
                await run.update(estimated_usd=quote.usd)
            raise

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


async def _show(run: FileRun, update: Update) -> None:
    """Turn what FAL showed of a request into the file's state."""
    status = update.status
    if isinstance(status, Queued):
        await run.update(
            FileState.QUEUED,
            queue_position=status.position,
            message=f"Waiting in FAL's queue (position {status.position})",
        )
    else:
        await run.update(
            FileState.GENERATING,
            fraction=update.fraction,
            message=update.message or "FAL is building the model",
        )


def _generator(item: FileItem, parameters: JobParameters | None) -> registry.Generator:
    """The file's generator: by its saved endpoint when resuming, else by its model."""
    if item.endpoint is not None:
        found = registry.by_endpoint(item.endpoint)
        if found is not None:
            return found
    name = item.model or (parameters.model if parameters is not None else DEFAULT_MODEL)
    return registry.get(name)
