"""Following a task: the SSE stream, a one-shot poll, per-file job progress, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from image2model_desktop.core.errors import ApiError

from . import payloads
from .auth import optional_key, require_key, require_key_or_query
from .context import ServerContext, check_job_id, check_task_id, get_context
from .sse import event_stream, event_stream_response

router = APIRouter(prefix="/status", tags=["status"])

TaskId = Annotated[str, Path(description="The task id returned by the upload")]
JobId = Annotated[str, Path(description="The job id returned by the upload")]
Context = Annotated[ServerContext, Depends(get_context)]


def _parse_last_event_id(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


@router.get(
    "/tasks/{task_id}/stream",
    dependencies=[Depends(optional_key)],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Event stream"}},
    summary="Follow a task as Server-Sent Events",
)
async def stream_task(
    context: Context,
    request: Request,
    task_id: TaskId,
    timeout: Annotated[
        int, Query(ge=1, le=86400, description="Seconds before the stream ends")
    ] = 3600,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    task_id = check_task_id(task_id)
    try:
        listener, first = context.hub.open(task_id, _parse_last_event_id(last_event_id))
    except KeyError:
        raise ApiError(404, "Task not found.") from None
    body = event_stream(
        context.hub,
        task_id,
        listener,
        first,
        links=context.links(request),
        heartbeat_interval=context.heartbeat_interval,
        timeout=float(timeout),
    )
    return event_stream_response(body)


def _task_status(context: ServerContext, request: Request, task_id: str) -> dict[str, Any]:
    task_id = check_task_id(task_id)
    found = context.service.find_task(task_id)
    if found is None:
        raise ApiError(404, "Task not found.")
    job, file_ids = found
    return payloads.task_status(job, task_id, file_ids, context.links(request))


@router.get(
    "/tasks/{task_id}/status",
    dependencies=[Depends(optional_key)],
    summary="Poll a task once",
)
async def task_status(context: Context, request: Request, task_id: TaskId) -> dict[str, Any]:
    return _task_status(context, request, task_id)


@router.get(
    "/tasks/{task_id}",
    dependencies=[Depends(optional_key)],
    summary="Poll a task once (the original backend's path)",
)
async def task_status_original_path(
    context: Context, request: Request, task_id: TaskId
) -> dict[str, Any]:
    return _task_status(context, request, task_id)


@router.get(
    "/jobs/{job_id}/progress",
    dependencies=[Depends(require_key_or_query)],
    summary="Per-file progress of a job",
)
async def job_progress(context: Context, job_id: JobId) -> dict[str, Any]:
    job_id = check_job_id(job_id)
    job = context.service.find_job(job_id)
    if job is None:
        raise ApiError(404, "Job not found.")
    return payloads.job_progress(job)


@router.post(
    "/tasks/{task_id}/cancel",
    dependencies=[Depends(require_key)],
    status_code=202,
    summary="Cancel the pending and running files of a task",
)
async def cancel_task(context: Context, task_id: TaskId) -> JSONResponse:
    task_id = check_task_id(task_id)
    found = context.service.find_task(task_id)
    if found is None:
        raise ApiError(404, "Task not found.")
    job, file_ids = found
    cancelled = sum(
        context.service.cancel_file(item.file_id)
        for item in payloads.task_files(job, file_ids)
        if not item.state.is_terminal
    )
    message = (
        f"Cancelling {cancelled} file(s); finished models are kept."
        if cancelled
        else "Nothing to cancel: every file of this task has ended."
    )
    return JSONResponse(
        {
            "task_id": task_id,
            "job_id": job.job_id,
            "status": "cancelling" if cancelled else payloads.task_state(job, file_ids).lower(),
            "cancelled_files": cancelled,
            "message": message,
            "timestamp": payloads.now_ms(),
        },
        status_code=202,
    )
