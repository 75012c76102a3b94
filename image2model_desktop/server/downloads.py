"""Results: list a job's models and serve files from its own output folder only.

Order of checks for a requested name: its characters (400), the job id (400,
or 404 for an id of the original's shape that we never issue), the signed
link or the key (403), the job (404), the extension (404), the resolved path
staying inside the job's output folder with symlinks followed (403), the file
existing (404). A signed link opens only the file it was made for; the key
opens any.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path as PathLib
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from starlette.convertors import PathConvertor, register_url_convertor

from image2model_desktop.core.errors import ApiError
from image2model_desktop.core.models import FileItem, OutputFile
from image2model_desktop.core.states import FileState

from .auth import check_key_or_query, require_key_or_query
from .context import API_PREFIX, ServerContext, check_job_id, get_context

log = logging.getLogger(__name__)


class _AnyNameConvertor(PathConvertor):
    """Like ``path`` but also matching CR/LF, so such names reach the 400 check, not a 404."""

    regex = r"[\s\S]*"


register_url_convertor("anyname", _AnyNameConvertor())

router = APIRouter(prefix="/download", tags=["download"])
Context = Annotated[ServerContext, Depends(get_context)]
KeyRequired = [Depends(require_key_or_query)]

MEDIA_TYPES = {
    ".glb": "model/gltf-binary",
    ".obj": "model/obj",
    ".mtl": "model/mtl",
    ".stl": "model/stl",
    ".ply": "application/octet-stream",
    ".fbx": "application/octet-stream",
    ".usdz": "model/vnd.usdz+zip",
    ".blend": "application/octet-stream",
    ".gltf": "model/gltf+json",
    ".zip": "application/zip",
    ".png": "image/png",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
_FORBIDDEN = ("..", "/", "\\", "\x00", "\r", "\n")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
    "Cache-Control": "private, max-age=3600",
}


def check_filename(filename: str) -> str:
    """Refuse names that could leave the folder or break a header, before anything else."""
    if (
        not filename
        or filename == "."
        or len(filename) > 255
        or any(bad in filename for bad in _FORBIDDEN)
    ):
        raise ApiError(400, "Invalid filename")
    return filename


def _content_disposition(name: str) -> str:
    plain = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\;' else "_" for c in name)
    value = f'attachment; filename="{plain}"'
    if plain != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def serve_output(context: ServerContext, job_id: str, filename: str) -> FileResponse:
    """Serve ``filename`` of the job's output folder after every check of the module doc."""
    suffix = os.path.splitext(filename)[1].lower()
    media_type = MEDIA_TYPES.get(suffix)
    if media_type is None:
        raise ApiError(404, "File not found.")
    target = resolve_output(context, job_id, filename)
    headers = {**SECURITY_HEADERS, "Content-Disposition": _content_disposition(filename)}
    return FileResponse(target, media_type=media_type, headers=headers)


def resolve_output(context: ServerContext, job_id: str, filename: str) -> PathLib:
    """The file ``filename`` of the job's output folder, symlinks followed, never outside it."""
    folder = context.service.paths.outputs(job_id)
    try:
        root = folder.resolve(strict=True)
        target = (folder / filename).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        raise ApiError(404, "File not found.") from None
    if not target.is_relative_to(root) or target == root:
        log.warning("Refused a download resolving outside job %s's output folder", job_id)
        raise ApiError(403, "Access denied.")
    if not target.is_file():
        raise ApiError(404, "File not found.")
    return target


def require_job(context: ServerContext, job_id: str) -> None:
    if context.service.find_job(job_id) is None:
        raise ApiError(404, "Job not found.")


@router.get(
    "/direct/{filename:anyname}",
    dependencies=KeyRequired,
    summary="Download an output by name across the library",
)
async def download_direct(context: Context, filename: str) -> FileResponse:
    check_filename(filename)
    job_ids = context.service.jobs_with_output(filename)
    if not job_ids:
        raise ApiError(404, "File not found.")
    if len(job_ids) > 1:
        raise ApiError(
            409,
            f"{len(job_ids)} jobs hold a file named {filename}: {', '.join(job_ids)}. "
            f"Download it from one job with {API_PREFIX}/download/<job_id>/{filename}.",
            details={"job_ids": job_ids},
        )
    return serve_output(context, check_job_id(job_ids[0]), filename)


@router.get("/{job_id}/all", dependencies=KeyRequired, summary="List a job's results")
async def list_results(
    context: Context, request: Request, job_id: Annotated[str, Path(description="The job id")]
) -> dict[str, Any]:
    job_id = check_job_id(job_id)
    require_job(context, job_id)
    job = context.service.get_job(job_id)
    folder = context.service.paths.outputs(job_id)
    links = context.links(request)
    files: list[dict[str, Any]] = []
    urls: list[str] = []
    for item in job.files:
        out = item.output
        if item.state != FileState.COMPLETED or out is None:
            continue
        try:
            stat = (folder / out.model_filename).stat()
        except OSError:
            log.warning("The model of file %s is missing from the library", item.file_id)
            continue
        preview = None
        if out.preview_filename:
            preview = {
                "url": links(job_id, out.preview_filename),
                "file_size": out.preview_size,
                "content_type": out.preview_content_type,
            }
        suffix = os.path.splitext(out.model_filename)[1].lower()
        url = links(job_id, out.model_filename)
        files.append(
            {
                "filename": out.model_filename,
                "size": stat.st_size,
                "mime_type": MEDIA_TYPES.get(suffix, "application/octet-stream"),
                "created_time": stat.st_mtime,
                "source_filename": item.filename,
                "model_url": url,
                "rendered_image": preview,
                "warning": out.warning,
                "file_id": item.file_id,
                "version": item.version,
                # Every file kept for this model (FBX, USDZ, OBJ, textures FAL
                # returned), each served as it came, and what Save as converts to.
                "outputs": _kept_files(job_id, item, links),
                "converted_formats": _converted(folder, item),
            }
        )
        urls.append(url)
    return {"job_id": job_id, "files": files, "download_urls": urls, "total_files": len(files)}


def _kept_files(job_id: str, item: FileItem, links: Any) -> list[dict[str, Any]]:
    out = item.output
    assert out is not None
    kept = out.files or (
        OutputFile(
            name=out.model_filename,
            format=os.path.splitext(out.model_filename)[1].lower().lstrip("."),
            size=out.model_size,
            source="offline" if item.engine == "offline" else "fal",
        ),
    )
    return [
        {
            "filename": f.name,
            "format": f.format,
            "size": f.size,
            "source": f.source,
            "role": f.role,
            "url": links(job_id, f.name),
        }
        for f in kept
    ]


def _converted(folder: PathLib, item: FileItem) -> list[str]:
    """The formats the window and CLI convert this model to (not served by the API)."""
    from image2model_desktop.mesh.deliverables import save_choices

    assert item.output is not None
    choices = save_choices(folder, item.output, item.engine)
    return [c.suffix for c in choices if c.source == "converted"]


@router.get(
    "/{job_id}/model",
    dependencies=KeyRequired,
    status_code=302,
    summary="Redirect to the job's first model (the original backend's path)",
)
async def first_model(
    context: Context, request: Request, job_id: Annotated[str, Path(description="The job id")]
) -> RedirectResponse:
    job_id = check_job_id(job_id)
    require_job(context, job_id)
    job = context.service.get_job(job_id)
    for item in job.files:
        if item.state == FileState.COMPLETED and item.output is not None:
            url = context.links(request)(job_id, item.output.model_filename)
            return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    raise ApiError(404, "No model files found: no file of this job has completed.")


@router.get(
    "/{job_id}/{filename:anyname}",
    summary="Download one file of a job (with the key, or as a signed link without it)",
)
async def download_file(
    context: Context,
    request: Request,
    job_id: Annotated[str, Path(description="The job id")],
    filename: str,
    expires: Annotated[
        str | None, Query(description="Expiry of a signed link (unix seconds)")
    ] = None,
    sig: Annotated[str | None, Query(description="Signature of a signed link")] = None,
    api_key: Annotated[
        str | None, Query(description="The key, for clients that cannot send headers")
    ] = None,
) -> FileResponse:
    check_filename(filename)
    job_id = check_job_id(job_id)
    if expires is None and sig is None:
        check_key_or_query(context, request, api_key)
    else:
        context.signer.check(job_id, filename, expires, sig)
    require_job(context, job_id)
    return serve_output(context, job_id, filename)
