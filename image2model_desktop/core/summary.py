"""The batch summary: one shape for the CLI's --json and the HTTP API's ``result``.

The core knows file names only. Whoever shows the summary says how a file is
reached, through ``link``: the API hands out signed HTTP links, the CLI
``file://`` URIs of the library's copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .models import FileItem, Job
from .states import FileState

#: ``link(job_id, file_name)`` returns where a client fetches that output file.
Link = Callable[[str, str], str]


def file_result(item: FileItem, job_id: str, link: Link | None = None) -> dict[str, Any]:
    """Describe one file's outcome as the API's ``results[i]``."""
    result: dict[str, Any] = {
        "file_id": item.file_id,
        "filename": item.filename,
        "status": item.state.value,
        # Which generator made (makes) the file: FAL's model name, or null offline.
        "model": item.model,
        # USD: the price the request was estimated at when sent, and what the
        # engine billed for it (read after the fact; null until known). Both 0
        # for a reused model, null for a free engine.
        "estimated_usd": item.estimated_usd,
        "spent_usd": item.spent_usd,
        # Versions (issue 22): 1 for a model made from photos; a remesh or
        # retexture names the version it was made from and its library entry.
        "version": item.version,
        "parent_file_id": item.parent_file_id,
        "entry_file_id": item.entry_id,
    }
    if item.state == FileState.COMPLETED and item.output is not None:
        out = item.output
        result["model_filename"] = out.model_filename
        if link is not None:
            result["download_url"] = link(job_id, out.model_filename)
        rendered: dict[str, Any] | None = None
        if out.preview_filename:
            rendered = {
                "filename": out.preview_filename,
                "content_type": out.preview_content_type,
                "file_size": out.preview_size,
            }
            if link is not None:
                rendered["url"] = link(job_id, out.preview_filename)
        result.update(
            face_count=out.face_count,
            vertex_count=out.vertex_count,
            file_size=out.model_size,
            processing_time=out.processing_time,
            rendered_image=rendered,
            # The earlier batch whose model this is (nothing was submitted), or null.
            reused_from=out.reused_from.model_dump() if out.reused_from is not None else None,
            # The engine's doubt about the model (no clear subject in the photo), or null.
            warning=out.warning,
            # Every file kept for the model (FBX, USDZ, OBJ… as FAL returned them).
            files=[
                {
                    "filename": f.name,
                    "format": f.format,
                    "size": f.size,
                    "source": f.source,
                    "role": f.role,
                    **({"url": link(job_id, f.name)} if link is not None else {}),
                }
                for f in out.files
            ],
            real_size=out.real_size,
        )
    elif item.state in (FileState.FAILED, FileState.CANCELLED, FileState.UNCONFIRMED):
        result.update(
            error=item.error_message or "Cancelled", error_code=item.error_code or "CANCELLED"
        )
    return result


def batch_summary(
    job: Job, file_ids: list[str] | None = None, *, link: Link | None = None
) -> dict[str, Any]:
    """Summarize a job (or the files of one of its tasks)."""
    if file_ids is not None:
        wanted = set(file_ids)
        job = job.model_copy(update={"files": tuple(f for f in job.files if f.file_id in wanted)})
    return {
        "job_id": job.job_id,
        "status": job.status.value,
        "total_files": len(job.files),
        "successful_files": job.completed_count,
        "failed_files": job.failed_count,
        "cancelled_files": job.cancelled_count,
        # Sent without an answer: may have reached the engine, not sent again
        # until the person resends them (POST /jobs/{job_id}/resend).
        "unconfirmed_files": job.unconfirmed_count,
        "face_limit": job.parameters.face_limit,
        "engine": job.engine,
        "message": job.summary_message(),
        "estimated_usd": _total(f.estimated_usd for f in job.files),
        "spent_usd": _total(f.spent_usd for f in job.files),
        "results": [file_result(f, job.job_id, link) for f in job.files],
    }


def _total(values: Iterable[float | None]) -> float | None:
    """The sum of the known amounts, or None when none is known."""
    known = [v for v in values if v is not None]
    return round(sum(known), 4) if known else None
