"""Versions over HTTP: remesh or retexture a finished model on FAL, and list an entry's versions.

A version is a one-file job of its own (``core.versions``): the answer carries its
``task_id``, followed like any upload's over ``GET /api/v1/status/tasks/{task_id}/stream``
(or polled at ``…/status``). The request is priced before it is sent, submitted
once, resumed after a restart by its saved request id, and reused ($0) when the
same model had the same request before.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from image2model_desktop.core.errors import (
    ApiError,
    FileTooLargeError,
    FormError,
    Image2ModelError,
    InvalidImageError,
    NotMultipartError,
    ParameterError,
    SetupError,
)
from image2model_desktop.core.images import MAX_FILE_BYTES
from image2model_desktop.core.models import FalRetention, FileItem, ModelFormat, PostProcess
from image2model_desktop.core.service import NO_FAL_KEY
from image2model_desktop.core.summary import file_result

from .auth import require_key
from .context import API_PREFIX, ServerContext, check_job_id, get_context
from .errors import FILE_VALIDATION_ERROR, validation_error
from .formdata import receive_form
from .uploads import staging_folder

router = APIRouter(prefix="/jobs", tags=["versions"], dependencies=[Depends(require_key)])
Context = Annotated[ServerContext, Depends(get_context)]
JobId = Annotated[str, PathParam(description="The job holding the model")]
FileId = Annotated[str, PathParam(description="The model's file id")]


class RemeshRequest(BaseModel):
    """The body of ``POST …/remesh`` (every field optional)."""

    model_config = ConfigDict(extra="forbid")

    service: Literal["meshy-remesh", "hunyuan-topology"] = "meshy-remesh"
    quad: bool = False
    faces: int | None = Field(default=None, description="Meshy: 100–300,000")
    face_level: Literal["low", "medium", "high"] | None = None
    formats: list[ModelFormat] = Field(
        default_factory=list, description="Meshy: formats FAL returns beside the GLB"
    )
    resize_height: float | None = Field(default=None, description="Meshy: height in metres")
    origin_at: Literal["bottom", "center"] | None = None
    fal_retention: FalRetention | None = None
    reuse: bool = True


@router.post(
    "/{job_id}/files/{file_id}/remesh",
    summary="Remesh a finished model on FAL: a new version of its library entry",
)
async def remesh(
    context: Context, job_id: JobId, file_id: FileId, request: Request
) -> dict[str, Any]:
    body = await _json(request)
    try:
        asked = RemeshRequest.model_validate(body)
    except ValidationError as error:
        raise validation_error(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_input=False)]
        ) from None
    job_id = check_job_id(job_id)
    post = PostProcess(
        service=asked.service,
        source_job_id=job_id,
        source_file_id=file_id,
        quad=asked.quad,
        faces=asked.faces,
        face_level=asked.face_level,
        formats=tuple(asked.formats),
        resize_height=asked.resize_height,
        origin_at=asked.origin_at,
    )
    return await _start(context, post, None, asked.fal_retention, reuse=asked.reuse)


@router.post(
    "/{job_id}/files/{file_id}/retexture",
    summary="Give a finished model a new texture on FAL (words or a style photo): a new version",
)
async def retexture(
    context: Context, job_id: JobId, file_id: FileId, request: Request
) -> dict[str, Any]:
    """Multipart form: ``prompt`` (words, Meshy) or ``style_image`` (a JPEG/PNG file);
    ``service`` (``meshy-retexture``, the default, or ``trellis-retexture``), ``pbr``,
    ``fal_retention``, ``reuse``. A JSON body works too when there is no photo."""
    job_id = check_job_id(job_id)
    style: Path | None = None
    if request.headers.get("content-type", "").startswith("application/json"):
        fields = {k: str(v) for k, v in (await _json(request)).items()}
        form = None
    else:
        form = await _form(request, context)
        fields = form.fields
        if form.files:
            style = form.files[0].path
    try:
        service = fields.get("service", "").strip() or "meshy-retexture"
        if service not in ("meshy-retexture", "trellis-retexture"):
            raise ApiError(
                400,
                f"Unknown service {service!r}: choose meshy-retexture or trellis-retexture.",
                details={"field": "service"},
            )
        post = PostProcess(
            service=service,  # type: ignore[arg-type]
            source_job_id=job_id,
            source_file_id=file_id,
            prompt=fields.get("prompt", "").strip() or None,
            pbr=_flag(fields, "pbr", False),
        )
        return await _start(
            context, post, style, _retention(fields), reuse=_flag(fields, "reuse", True)
        )
    finally:
        if form is not None:
            await asyncio.to_thread(form.discard)


@router.get(
    "/{job_id}/files/{file_id}/versions",
    summary="Every version of the library entry this model belongs to, oldest first",
)
async def versions(
    context: Context, job_id: JobId, file_id: FileId, request: Request
) -> dict[str, Any]:
    job_id = check_job_id(job_id)
    item = _model(context, job_id, file_id, finished=False)
    links = context.links(request)
    found = context.service.versions(item.file_id)
    return {
        "entry_file_id": item.entry_id,
        "versions": [_version(v, links) for v in found],
    }


def _version(item: FileItem, links: Any) -> dict[str, Any]:
    return {"job_id": item.job_id, **file_result(item, item.job_id, links)}


async def _start(
    context: ServerContext,
    post: PostProcess,
    style: Path | None,
    retention: FalRetention | None,
    *,
    reuse: bool,
) -> dict[str, Any]:
    service = context.service
    _model(context, post.source_job_id, post.source_file_id, finished=True)
    try:
        plan, post = await service.plan_version(
            post.source_job_id, post.source_file_id, post, style
        )
        estimate = service.estimate_version(plan, post, reuse=reuse)
        job = await service.submit_version(plan, post, fal_retention=retention, reuse=reuse)
    except ParameterError as error:
        raise ApiError(
            400, error.user_message, details={"field": error.field, **error.allowed}
        ) from None
    except InvalidImageError as error:
        raise ApiError(
            400,
            error.user_message,
            error_code=FILE_VALIDATION_ERROR,
            details={"field": "style_image"},
        ) from None
    except SetupError as error:
        hint = (
            " Set a FAL key in the app (Settings) or its FAL_KEY."
            if error.code == NO_FAL_KEY
            else ""
        )
        raise ApiError(400, f"{error.user_message}{hint}") from None
    except Image2ModelError as error:
        raise ApiError(503, error.user_message) from None
    (item,) = job.files
    return {
        "job_id": job.job_id,
        "task_id": job.task_id,
        "file_id": item.file_id,
        "version": item.version,
        "parent_file_id": item.parent_file_id,
        "entry_file_id": item.entry_file_id,
        "service": post.service,
        "status": "processing",
        "estimated_usd": estimate,
        "price_source": service.price_source_of(post) if estimate else None,
        "stream_url": f"{API_PREFIX}/status/tasks/{job.task_id}/stream",
        "message": f"Version {item.version} started; follow the task_id.",
    }


def _model(context: ServerContext, job_id: str, file_id: str, *, finished: bool) -> FileItem:
    job = context.service.find_job(job_id)
    if job is None:
        raise ApiError(404, "Job not found.")
    try:
        item = job.file(file_id)
    except KeyError:
        raise ApiError(404, "File not found in this job.") from None
    if finished and item.output is None:
        raise ApiError(409, f"{item.filename} has no finished model yet ({item.state.value}).")
    return item


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body


async def _form(request: Request, context: ServerContext) -> Any:
    try:
        return await receive_form(
            request.headers.get("content-type"),
            request.stream(),
            staging=staging_folder(context),
            file_fields=frozenset({"style_image"}),
            max_file_bytes=MAX_FILE_BYTES,
            max_files=1,
        )
    except NotMultipartError:
        raise ApiError(
            400, "Send a multipart form (prompt or style_image) or a JSON body."
        ) from None
    except FileTooLargeError as error:
        raise ApiError(413, f"{error.filename} is larger than the photo limit.") from None
    except FormError as error:
        raise ApiError(400, error.message) from None


def _retention(fields: dict[str, str]) -> FalRetention | None:
    text = fields.get("fal_retention", "").strip()
    for choice in get_args(FalRetention):
        if text == choice:
            return choice  # type: ignore[no-any-return]
    if text:
        raise ApiError(400, "fal_retention is one of 1h, 1d, 7d, account.")
    return None


def _flag(fields: dict[str, str], name: str, default: bool) -> bool:
    text = fields.get(name, "").strip().lower()
    if not text:
        return default
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ApiError(400, f"{name} is true or false.", details={"field": name})
