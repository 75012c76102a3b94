"""What every endpoint needs: the engine, the key, the settings, the event hub."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request

from image2model_desktop.core.settings import ApiServerSettings

from .errors import ApiError

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

    from .hub import TaskEventHub
    from .ratelimit import RateLimiter

API_PREFIX = "/api/v1"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@dataclass
class ServerContext:
    service: JobService
    api_key: str
    settings: ApiServerSettings
    bound_host: str
    hub: TaskEventHub
    upload_limiter: RateLimiter
    #: Seconds of silence before a stream sends a heartbeat (15 s; tests shorten it).
    heartbeat_interval: float = 15.0


def get_context(request: Request) -> ServerContext:
    context: Any = request.app.state.context
    assert isinstance(context, ServerContext)
    return context


def check_task_id(task_id: str) -> str:
    """Refuse anything but a lowercase UUID4 before it reaches the store."""
    if not _UUID.match(task_id):
        raise ApiError(400, "Invalid task ID format. Expected UUID format.")
    return task_id


def check_job_id(job_id: str) -> str:
    """Refuse anything but a lowercase UUID4: job ids become folder names."""
    if not _UUID.match(job_id):
        raise ApiError(400, "Invalid job ID format. Expected UUID format.")
    return job_id
