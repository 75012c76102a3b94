"""The library over HTTP: list jobs, retry the files that did not make it, resend the
ones that were sent without an answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from image2model_desktop.core.errors import ApiError

from . import payloads
from .auth import require_key
from .context import ServerContext, check_job_id, get_context

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[Depends(require_key)])
Context = Annotated[ServerContext, Depends(get_context)]


@router.get("", summary="The library: jobs newest first, with their files and states")
async def list_jobs(
    context: Context,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    jobs = context.service.list_jobs(limit, offset)
    links = context.links(request)
    return {
        "jobs": [payloads.job_entry(job, links) for job in jobs],
        "limit": limit,
        "offset": offset,
        "total": context.service.count_jobs(),
    }


@router.post("/{job_id}/retry", summary="Run the failed and cancelled files of a job again")
async def retry_job(
    context: Context, job_id: Annotated[str, Path(description="The job id")]
) -> dict[str, Any]:
    job_id = check_job_id(job_id)
    job = context.service.find_job(job_id)
    if job is None:
        raise ApiError(404, "Job not found.")
    task_id = await context.service.retry(job_id)
    if task_id is None:
        resend = (
            f" {job.unconfirmed_count} file(s) may have reached FAL: POST "
            f"/api/v1/jobs/{job_id}/resend sends them again."
            if job.unconfirmed_count
            else ""
        )
        raise ApiError(
            409, f"Nothing to retry: no file of this job failed or was cancelled.{resend}"
        )
    found = context.service.find_task(task_id)
    retried = len(found[1]) if found is not None else 0
    return {
        "job_id": job_id,
        "task_id": task_id,
        "status": "processing",
        "retried_files": retried,
        "message": f"Retrying {retried} file(s); follow the new task_id.",
    }


@router.post(
    "/{job_id}/resend",
    summary="Send again the files whose request went out without an answer (may pay twice)",
)
async def resend_job(
    context: Context, job_id: Annotated[str, Path(description="The job id")]
) -> dict[str, Any]:
    """Files in the ``unconfirmed`` state: FAL may have received (and billed) their
    request. Only the client's explicit call sends them again."""
    job_id = check_job_id(job_id)
    job = context.service.find_job(job_id)
    if job is None:
        raise ApiError(404, "Job not found.")
    task_id = await context.service.resend(job_id)
    if task_id is None:
        raise ApiError(409, "Nothing to resend: no file of this job waits for that decision.")
    found = context.service.find_task(task_id)
    resent = len(found[1]) if found is not None else 0
    return {
        "job_id": job_id,
        "task_id": task_id,
        "status": "processing",
        "resent_files": resent,
        "message": f"Sending {resent} file(s) again (each may be billed twice); "
        "follow the new task_id.",
    }
