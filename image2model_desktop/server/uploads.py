"""Uploads: photos streamed to disk, checked by content, then one batch for the engine.

Nothing of a batch is kept unless every file passes: a file over the size
limit stops the read (413), a bad file refuses the batch (400) and every
staged file is deleted.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

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
from image2model_desktop.core.images import (
    MAX_FILE_BYTES,
    MAX_FILES_PER_BATCH,
    ImageInfo,
    validate_image,
)
from image2model_desktop.core.intake import merge_parameters
from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.parameters import face_limit_sentence
from image2model_desktop.core.service import NO_FAL_KEY, StagedInput

from .auth import require_key
from .context import ServerContext, get_context
from .errors import FILE_TOO_LARGE, FILE_VALIDATION_ERROR, validation_error
from .formdata import ReceivedFile, ReceivedForm, receive_form
from .ratelimit import retry_after_header

log = logging.getLogger(__name__)

router = APIRouter(prefix="/upload", tags=["upload"])
Context = Annotated[ServerContext, Depends(get_context)]

#: Room for multipart headers and the parameter fields around the files.
_BODY_OVERHEAD = 1024 * 1024
_INTEGER = re.compile(r"^\s*[+-]?\d{1,12}\s*$")
_MB = MAX_FILE_BYTES // (1024 * 1024)
_OPTIONAL_FIELDS: dict[str, Any] = {
    "face_limit": {
        "type": "string",
        "description": "Faces of the model: an integer in the chosen engine's range "
        "(offline 100–2,000,000, FAL Tripo v2.5 1–2,000,000); empty for the engine's default",
    },
    "texture": {"type": "string", "enum": ["no", "standard", "HD"]},
    "pbr": {"type": "boolean"},
    "seed": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "engine": {"type": "string", "enum": ["auto", "fal", "offline"]},
    "fal_retention": {
        "type": "string",
        "enum": ["1h", "1d", "7d", "account"],
        "description": "How long FAL keeps the uploaded photos (FAL engine): an hour, a day "
        "(the app's default setting), a week, or the FAL account's own storage setting",
    },
    "model": {"type": "string", "description": "FAL's generator (GET /health lists them)"},
    "quad": {
        "type": "boolean",
        "description": "Quad faces: Tripo (answered as FBX), Rodin, Hunyuan3D v3 (LowPoly)",
    },
    "real_size": {"type": "boolean", "description": "Tripo: real-world metres (auto_size)"},
    "output_format": {
        "type": "string",
        "enum": ["glb", "usdz", "fbx", "obj", "stl"],
        "description": "Rodin: the model file's format (geometry_file_format)",
    },
    "t_pose": {"type": "boolean", "description": "Rodin: characters in T/A pose (TAPose)"},
    "low_poly": {"type": "boolean", "description": "Hunyuan3D v3: its LowPoly type"},
}


def _body_schema(field: str, many: bool) -> dict[str, Any]:
    binary = {"type": "string", "format": "binary"}
    schema: dict[str, Any] = (
        {"type": "array", "items": binary, "minItems": 1, "maxItems": MAX_FILES_PER_BATCH}
        if many
        else binary
    )
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [field],
                        "properties": {field: schema, **_OPTIONAL_FIELDS},
                    }
                }
            },
        }
    }


def _missing(field: str) -> ApiError:
    return validation_error([{"loc": ("body", field), "msg": "Field required", "type": "missing"}])


def _check_rate(request: Request, context: ServerContext) -> None:
    client = request.client.host if request.client else "unknown"
    wait = context.upload_limiter.acquire(client)
    if wait is not None:
        seconds = retry_after_header(wait)
        raise ApiError(
            429,
            f"Too many uploads: at most {context.upload_limiter.limit} per minute. "
            f"Try again in {seconds} s.",
            headers={"Retry-After": seconds},
        )


def _check_declared_length(request: Request, max_files: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_files * MAX_FILE_BYTES + _BODY_OVERHEAD:
        raise ApiError(
            413,
            f"The upload is too large: at most {max_files} photo(s) of {_MB} MB each.",
            error_code=FILE_TOO_LARGE,
            details={"max_file_bytes": MAX_FILE_BYTES, "max_files": max_files},
        )


async def _receive(
    request: Request, context: ServerContext, field: str, max_files: int
) -> ReceivedForm:
    try:
        return await receive_form(
            request.headers.get("content-type"),
            request.stream(),
            staging=staging_folder(context),
            file_fields=frozenset({field}),
            max_file_bytes=MAX_FILE_BYTES,
            max_files=max_files,
        )
    except NotMultipartError:
        raise _missing(field) from None
    except FileTooLargeError as error:
        raise ApiError(
            413,
            f"{error.filename} is larger than the {_MB} MB limit.",
            error_code=FILE_TOO_LARGE,
            details={"filename": error.filename, "max_file_bytes": MAX_FILE_BYTES},
        ) from None
    except FormError as error:
        raise ApiError(400, error.message) from None


def _parameters(fields: dict[str, str], context: ServerContext) -> JobParameters:
    """Merge the form's parameters over the app's defaults; check them against the engine."""
    settings = context.service.settings
    given: dict[str, Any] = {
        name: fields.get(name, "").strip() or None
        # model: FAL's generator (issue 16); absent keeps the original's Tripo v2.5.
        for name in (
            "texture",
            "pbr",
            "seed",
            "engine",
            "model",
            "fal_retention",
            "quad",
            "real_size",
            "output_format",
            "t_pose",
            "low_poly",
        )
    }
    face_limit = fields.get("face_limit", "").strip()
    if face_limit:
        if not _INTEGER.match(face_limit):
            _refuse_face_limit(face_limit, given["engine"] or settings.engine, context)
        given["face_limit"] = int(face_limit)
    try:
        parameters = merge_parameters(settings, given)
    except ValidationError as error:
        raise validation_error(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_input=False)]
        ) from None
    try:
        context.service.check_parameters(parameters)
    except ParameterError as error:
        raise ApiError(
            400, error.user_message, details={"field": error.field, **error.allowed}
        ) from None
    except SetupError as error:
        hint = _HINTS.get(error.code)
        raise ApiError(
            400, f"{error.user_message} {hint}" if hint else error.user_message
        ) from None
    return parameters


#: What to do about an error, said the way an API client does it (core says what happened).
_HINTS = {NO_FAL_KEY: "Set a FAL key in the app (Settings) or its FAL_KEY, or send engine=offline."}


def _refuse_face_limit(text: str, engine: Any, context: ServerContext) -> NoReturn:
    """A face limit that is not a whole number: 400 naming the engine's range, as for 50 or 0.

    Like every other out-of-range value (the CLI says the same sentence and exits 2);
    the 422 validation envelope is left for an engine whose range is unknown.
    """
    try:
        policy = context.service.parameter_policy(engine)
    except Image2ModelError:
        policy = None
    if policy is None:
        raise validation_error(
            [
                {
                    "loc": ("body", "face_limit"),
                    "msg": "Input should be a valid integer",
                    "type": "int_parsing",
                }
            ]
        )
    raise ApiError(
        400,
        face_limit_sentence(policy, text),
        details={
            "field": "face_limit",
            "minimum": policy.face_limit.minimum,
            "maximum": policy.face_limit.maximum,
        },
    )


def _validate_all(files: list[ReceivedFile]) -> list[ImageInfo | InvalidImageError]:
    # One file at a time: a 40-megapixel decode takes ~160 MB, so no fan-out here.
    results: list[ImageInfo | InvalidImageError] = []
    for received in files:
        try:
            results.append(validate_image(received.path, received.filename))
        except InvalidImageError as error:
            results.append(error)
    return results


async def _upload(
    request: Request, context: ServerContext, *, field: str, max_files: int
) -> dict[str, Any]:
    _check_rate(request, context)
    _check_declared_length(request, max_files)
    form = await _receive(request, context, field, max_files)
    submitted = False
    try:
        received = form.file_counts.get(field, 0)
        if received == 0:
            raise _missing(field)
        if received > max_files:
            raise ApiError(
                400, f"Too many files. Maximum allowed: {max_files}, received: {received}"
            )
        parameters = _parameters(form.fields, context)
        results = await asyncio.get_running_loop().run_in_executor(None, _validate_all, form.files)
        errors = [
            {"filename": r.filename, "error": r.reason}
            for r in results
            if isinstance(r, InvalidImageError)
        ]
        if errors:
            first = errors[0]
            raise ApiError(
                400,
                f"{len(errors)} of {len(results)} file(s) failed validation; nothing was "
                f"uploaded. {first['filename']}: {first['error']}.",
                error_code=FILE_VALIDATION_ERROR,
                details={"errors": errors},
            )
        infos = [r for r in results if isinstance(r, ImageInfo)]
        entries = [
            StagedInput(
                source=f.path,
                display_name=f.filename,
                file_size=info.file_size,
                content_type=info.content_type,
                move=True,
            )
            for f, info in zip(form.files, infos, strict=True)
        ]
        try:
            job = await context.service.submit(entries, parameters)
        except SetupError as error:
            raise ApiError(400, error.user_message) from None
        except Image2ModelError as error:
            log.error("Accepting an upload failed: %s", error.user_message)
            raise ApiError(503, error.user_message) from None
        submitted = True
    finally:
        if not submitted:
            await asyncio.to_thread(form.discard)
    log.info("Upload accepted: job %s, %d file(s)", job.job_id, len(job.files))
    return {
        "batch_id": job.job_id,
        "job_id": job.job_id,
        "task_id": job.task_id,
        "uploaded_files": [
            {
                "file_id": item.file_id,
                "filename": item.filename,
                "file_size": item.input_size,
                "content_type": item.content_type,
                "status": "uploaded",
                "task_id": None,
            }
            for item in job.files
        ],
        "face_limit": parameters.face_limit,
        "engine": job.engine,
        "total_files": len(job.files),
        "status": "uploaded",
        "message": "Files uploaded successfully, processing started",
    }


@router.post(
    "/",
    dependencies=[Depends(require_key)],
    openapi_extra=_body_schema("files", many=True),
    summary="Upload 1–25 photos as one batch and start processing",
)
async def upload_batch(request: Request, context: Context) -> dict[str, Any]:
    return await _upload(request, context, field="files", max_files=MAX_FILES_PER_BATCH)


@router.post(
    "/image",
    dependencies=[Depends(require_key)],
    openapi_extra=_body_schema("file", many=False),
    summary="Upload one photo and start processing",
)
async def upload_image(request: Request, context: Context) -> dict[str, Any]:
    return await _upload(request, context, field="file", max_files=1)


def staging_folder(context: ServerContext) -> Path:
    """Where uploads wait while they are read and checked (swept when a server starts)."""
    return context.service.paths.staging / "api-uploads"
