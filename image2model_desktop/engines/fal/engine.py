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
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from image2model_desktop.core.engine import (
    AccountBalance,
    Engine,
    EngineOutput,
    FileRun,
    ModelStats,
)
from image2model_desktop.core.errors import AuthError, EngineError, UnconfirmedSubmitError
from image2model_desktop.core.models import (
    DEFAULT_MODEL,
    FileItem,
    JobParameters,
    OutputFile,
    PostProcess,
)
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.stats import model_stats

from . import postprocess, registry
from .client import FalHosts, Queued
from .download import Downloader
from .paid import PaidRequests, Update
from .policy import FAL_PARAMETERS
from .pricing import Quote
from .retry import retrying
from .timeouts import FalTimeouts

log = logging.getLogger(__name__)

_PREVIEW_SUFFIXES = {"image/webp": ".webp", "image/png": ".png", "image/jpeg": ".jpg"}
#: Model formats the app reads (preview, pictures, conversions): trimesh loads them.
_READABLE = frozenset({"glb", "obj", "stl", "ply"})
#: Suffixes a file FAL returned may keep; anything else is saved as ``.bin``.
_KNOWN_FORMATS = frozenset(
    {
        "glb",
        "gltf",
        "fbx",
        "obj",
        "mtl",
        "usdz",
        "stl",
        "ply",
        "blend",
        "png",
        "jpg",
        "jpeg",
        "webp",
    }
)


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
        self._first_contact_lock = asyncio.Lock()
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

    def check_post(self, post: PostProcess, model_format: str) -> None:
        postprocess.check_post(post, model_format)

    async def prepare(self, run: FileRun) -> None:
        # Uploading needs no FAL queue capacity: do it while earlier files generate.
        post = run.parameters.post
        if post is not None:
            self._uploads[run.file.file_id] = await self._upload_post(run, post)
        else:
            self._uploads[run.file.file_id] = await self._upload_all(run)

    async def run(self, run: FileRun) -> EngineOutput:
        item = run.file
        post = run.parameters.post
        if post is not None:
            return await self._run_post(run, post)
        generator = _generator(item, run.parameters)
        request_id, endpoint = item.request_id, item.endpoint
        if request_id is None:
            urls = self._uploads.pop(item.file_id, None) or await self._upload_all(run)
            endpoint = registry.endpoint_for(generator, len(urls))
            arguments = registry.request_arguments(generator, urls, run.parameters)
            quote = self._paid.quote(
                generator, run.parameters.texture, endpoint, quad=run.parameters.quad
            )
            request_id = await self._submit(run, endpoint, arguments, quote)
        else:
            log.info("Resuming FAL request for file %s", item.file_id)
        # A row saved before the model choice existed went to Tripo v2.5's endpoint.
        endpoint = endpoint or generator.endpoint
        await self._paid.follow(endpoint, request_id, lambda update: _show(run, update))
        run.release_slot()
        result = await self._paid.result(endpoint, request_id)
        real_size = run.parameters.real_size and "real_size" in generator.options
        outputs = registry.extract_outputs(generator, result)
        return await self._download_outputs(run, outputs, real_size=real_size)

    async def _run_post(self, run: FileRun, post: PostProcess) -> EngineOutput:
        """A remesh or retexture: the same money path as a generation, another endpoint."""
        item = run.file
        service = postprocess.post_endpoint(post.service)
        request_id, endpoint = item.request_id, item.endpoint or service.endpoint
        if request_id is None:
            urls = self._uploads.pop(item.file_id, None) or await self._upload_post(run, post)
            style = urls[1] if len(urls) > 1 else None
            arguments = postprocess.post_arguments(post, urls[0], style)
            quote = self._paid.quote_post(service)
            request_id = await self._submit(run, endpoint, arguments, quote)
        else:
            log.info("Resuming FAL %s request for file %s", post.kind, item.file_id)
        await self._paid.follow(endpoint, request_id, lambda update: _show(run, update))
        run.release_slot()
        result = await self._paid.result(endpoint, request_id)
        outputs = postprocess.post_outputs(service, result)
        # Meshy's resize_height is "measured in meters".
        return await self._download_outputs(run, outputs, real_size=post.resize_height is not None)

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
        if parameters.post is not None:
            return self._paid.quote_post(postprocess.post_endpoint(parameters.post.service))
        generator = registry.get(self.parameters.for_model(parameters.model).model or "")
        return self._paid.quote(generator, parameters.texture, quad=parameters.quad)

    async def _upload_post(self, run: FileRun, post: PostProcess) -> list[str]:
        """Upload the model a version is made from, then its style photo if any."""
        model = run.input_path
        stem = run.file.output_stem

        async def send_model() -> str:
            await run.update(FileState.UPLOADING, message="Sending the model to FAL")
            data = await asyncio.get_running_loop().run_in_executor(None, model.read_bytes)
            suffix = model.suffix.lower() or ".glb"
            content_type = "model/gltf-binary" if suffix == ".glb" else "application/octet-stream"
            return await self._paid.upload(
                data,
                content_type,
                f"{stem}{suffix}",
                run.parameters.fal_retention,
                what="upload the model",
            )

        urls = [await self._first_contact(send_model)]
        if post.style_image is not None:
            style = model.parent / post.style_image
            urls.append(await self._send_photo(run, style, f"{stem}.style"))
        await run.update(
            FileState.UPLOADING, fraction=1.0, message="Model sent; waiting for its turn"
        )
        return urls

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
        return await self._first_contact(lambda: self._send_photo(run, path, stem))

    async def _first_contact(self, send: Callable[[], Awaitable[str]]) -> str:
        """Run ``send``; until the key has worked once, one file at a time."""
        if not self._key_works:
            async with self._first_contact_lock:
                if self._key_error is not None:
                    raise self._key_error
                if not self._key_works:
                    try:
                        url = await send()
                    except AuthError as error:
                        self._key_error = error
                        raise
                    self._key_works = True
                    return url
        return await send()

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
        self, run: FileRun, endpoint: str, arguments: dict[str, Any], quote: Quote
    ) -> str:
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

    async def _download_outputs(
        self, run: FileRun, outputs: registry.Outputs, *, real_size: bool
    ) -> EngineOutput:
        """Download the model and every other file FAL returned, then the preview."""
        await run.update(FileState.DOWNLOADING, message="Downloading the model")
        files = outputs.files or (
            registry.ResultFile(outputs.model_url, "glb", "model", None, None, "model"),
        )
        taken: set[str] = set()
        kept: list[OutputFile] = []
        model_path: Path | None = None
        for number, result_file in enumerate(files):
            path = run.output_path(_output_suffix(result_file, number == 0, taken))
            await self._fetch(result_file, path, main=number == 0)
            model_path = model_path or path
            kept.append(
                OutputFile(
                    name=path.name,
                    format=result_file.format,
                    size=path.stat().st_size,
                    role=result_file.role,
                    fal_name=result_file.file_name,
                )
            )
            await run.update(FileState.DOWNLOADING, fraction=0.8 * (number + 1) / len(files))
        assert model_path is not None  # files is never empty
        preview_path, content_type = await self._download_preview(run, outputs.preview_file)
        main = files[0].format
        if main in _READABLE:
            stats, warning = await model_stats(model_path), None
        else:
            # No reader for FBX or USDZ here: the file is kept as FAL made it, unmeasured.
            stats = ModelStats(faces=0, vertices=0, extents=(0.0, 0.0, 0.0), textured=False)
            warning = (
                f"FAL returned this model as {main.upper()} only, which the preview cannot "
                f"show; Save as gives the {main.upper()} as FAL made it."
            )
        return EngineOutput(
            model_path,
            preview_path,
            content_type,
            stats,
            warning=warning,
            files=tuple(kept),
            real_size=real_size,
        )

    async def _fetch(self, result_file: registry.ResultFile, path: Path, *, main: bool) -> None:
        what = "the model" if main else f"the {_file_word(result_file)}"
        await retrying(
            lambda: self._downloads.fetch(
                result_file.url,
                path,
                expected_size=result_file.size,
                glb=result_file.format == "glb",
            ),
            f"download {what}",
            self._timeouts,
        )

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


def _output_suffix(result_file: registry.ResultFile, main: bool, taken: set[str]) -> str:
    """``.glb`` for the model; ``.fbx``, ``.texture.png``, ``.2.glb``… for the files beside it."""
    fmt = result_file.format if result_file.format in _KNOWN_FORMATS else "bin"
    tail = result_file.key.rsplit(".", 1)[-1]
    candidates = [f".{fmt}"] if main or result_file.role == "model" else []
    if tail.isalpha() and tail != fmt:
        candidates.append(f".{tail}.{fmt}")
    candidates += [f".{n}.{fmt}" for n in range(2, 100)]
    for suffix in candidates:
        # ".preview.*" is the preview's; never take it.
        if suffix not in taken and not suffix.startswith(".preview."):
            taken.add(suffix)
            return suffix
    raise EngineError("FAL returned more files than this app keeps for one model.")


def _file_word(result_file: registry.ResultFile) -> str:
    """How a downloaded file is named in a sentence ("the FBX", "the texture")."""
    if result_file.role == "model":
        return result_file.format.upper()
    return result_file.role


def _generator(item: FileItem, parameters: JobParameters | None) -> registry.Generator:
    """The file's generator: by its saved endpoint when resuming, else by its model."""
    if item.endpoint is not None:
        found = registry.by_endpoint(item.endpoint)
        if found is not None:
            return found
    name = item.model or (parameters.model if parameters is not None else DEFAULT_MODEL)
    return registry.get(name)
