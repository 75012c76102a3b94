"""The JSON shapes of API.md, built from core models (one place for field names)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from image2model_desktop.core.models import FileItem, Job, JobStatus
from image2model_desktop.core.summary import Link, batch_summary, file_result

#: What the original's events called the work (its Celery task's name).
TASK_NAME = "process_batch"


def now_ms() -> int:
    """Timestamps as the original sent them: integer milliseconds since the epoch."""
    return int(time.time() * 1000)


def task_files(job: Job, file_ids: Sequence[str]) -> list[FileItem]:
    """The files a task covers, in the job's order."""
    wanted = set(file_ids)
    return [item for item in job.files if item.file_id in wanted]


def task_progress_value(files: Sequence[FileItem]) -> tuple[float, int]:
    """Overall progress (ended files count 100) and how many files ended."""
    if not files:
        return 100.0, 0
    total = sum(100.0 if f.state.is_terminal else f.progress for f in files)
    return round(total / len(files), 1), sum(1 for f in files if f.state.is_terminal)


def file_state(item: FileItem) -> dict[str, Any]:
    """One file's state, as nested in ``file_update`` and listed by the task poll."""
    data: dict[str, Any] = {
        "file_id": item.file_id,
        "filename": item.filename,
        "status": item.state.value,
        "progress": item.progress if not item.state.is_terminal else _ended_progress(item),
        "message": item.message,
    }
    if item.error_message is not None:
        data["error"] = item.error_message
    if item.output is not None and item.output.warning is not None:
        data["warning"] = item.output.warning
    return data


def file_update_data(item: FileItem, job_id: str, task_id: str) -> dict[str, Any]:
    # The file's state is nested: a raw ``data:`` reader of the original stops at the
    # first top-level "completed", which must be the task's, not one file's.
    return {"task_id": task_id, "job_id": job_id, "file": file_state(item)}


def _ended_progress(item: FileItem) -> float:
    # A failed file keeps the progress it reached; a completed one is at 100.
    return 100.0 if item.state.value == "completed" else item.progress


def progress_message(current: int, total: int) -> str:
    return f"Processing: {current} of {total} files finished"


def task_progress_data(
    job_id: str, task_id: str, progress: float, current: int, total: int
) -> dict[str, Any]:
    return {
        "status": "processing",
        "progress": progress,
        "current": current,
        "total": total,
        "total_files": total,
        "message": progress_message(current, total),
        "task_id": task_id,
        "task_name": TASK_NAME,
        "job_id": job_id,
        "timestamp": now_ms(),
    }


def outcome(job: Job, task_id: str, file_ids: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Return the terminal event's name and data for a task whose files all ended.

    ``result`` holds file names only: each stream adds its own signed links.
    """
    summary = batch_summary(job, list(file_ids))
    base = {"task_id": task_id, "task_name": TASK_NAME, "job_id": job.job_id}
    if summary["successful_files"]:
        return "task_completed", {
            "status": "completed",
            "progress": 100.0,
            "message": summary["message"],
            **base,
            "summary": _counts(summary),
            "result": summary,
            "timestamp": now_ms(),
        }
    cancelled = summary["status"] == JobStatus.CANCELLED.value
    errors = [r["error"] for r in summary["results"] if r.get("status") == "failed"]
    if cancelled:
        error = "The batch was cancelled before any model was made."
    elif errors:
        error = f"No model was made. First error: {errors[0]}"
    else:
        error = "No model was made."
    return "task_failed", {
        "status": "cancelled" if cancelled else "failed",
        "progress": 100.0,
        "message": summary["message"],
        "error": error,
        **base,
        "result": summary,
        "timestamp": now_ms(),
    }


def _counts(summary: dict[str, Any]) -> dict[str, int]:
    """``task_completed``'s ``summary``: the contract's counts and the original's names."""
    total, ok = summary["total_files"], summary["successful_files"]
    failed, cancelled = summary["failed_files"], summary["cancelled_files"]
    return {
        "total": total,
        "successful": ok,
        "failed": failed,
        "cancelled": cancelled,
        "total_files": total,
        "successful_files": ok,
        "failed_files": failed,
    }


def task_state(job: Job, file_ids: Sequence[str]) -> str:
    """QUEUED / PROCESSING / COMPLETED / FAILED / CANCELLED for a task."""
    files = task_files(job, file_ids)
    if all(f.state.is_terminal for f in files):
        sub = job.model_copy(update={"files": tuple(files)})
        if sub.completed_count:
            return "COMPLETED"
        return "CANCELLED" if sub.status == JobStatus.CANCELLED else "FAILED"
    if all(f.state.value == "pending" for f in files):
        return "QUEUED"
    return "PROCESSING"


def task_status(job: Job, task_id: str, file_ids: Sequence[str], link: Link) -> dict[str, Any]:
    """The one-shot poll of ``/status/tasks/{task_id}/status``."""
    files = task_files(job, file_ids)
    progress, current = task_progress_value(files)
    state = task_state(job, file_ids)
    data: dict[str, Any] = {
        "status": state.lower(),
        "progress": progress,
        "message": progress_message(current, len(files)),
        "task_id": task_id,
        "job_id": job.job_id,
        "state": state,
        "current": current,
        "total": len(files),
        "timestamp": now_ms(),
        "files": [file_state(f) for f in files],
    }
    if state in ("COMPLETED", "FAILED", "CANCELLED"):
        summary = batch_summary(job, list(file_ids), link=link)
        data["message"] = summary["message"]
        data["result"] = summary
    return data


def job_progress(job: Job) -> dict[str, Any]:
    """``/status/jobs/{job_id}/progress``."""
    return {
        "job_id": job.job_id,
        "overall_progress": job.progress,
        "total_files": len(job.files),
        "completed_files": job.completed_count,
        "failed_files": job.failed_count,
        "files": {
            f.file_id: {
                "status": f.state.value,
                "progress": 100.0 if f.state.value == "completed" else f.progress,
                "filename": f.filename,
                "error": f.error_message,
                "warning": f.output.warning if f.output is not None else None,
            }
            for f in job.files
        },
        "timestamp": now_ms(),
    }


def job_entry(job: Job, link: Link) -> dict[str, Any]:
    """One job of the library listing (``GET /jobs``)."""
    return {
        "job_id": job.job_id,
        "task_id": job.task_id,
        "created": job.created,
        "status": job.status.value,
        "engine": job.engine,
        "parameters": job.parameters.model_dump(),
        "progress": job.progress,
        "total_files": len(job.files),
        "successful_files": job.completed_count,
        "failed_files": job.failed_count,
        "message": job.summary_message(),
        "files": [
            {**file_result(f, job.job_id, link), "progress": f.progress, "message": f.message}
            for f in job.files
        ],
    }
