"""What every endpoint needs: the engine, the key, the settings, the event hub."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request

from image2model_desktop.core.errors import ApiError
from image2model_desktop.core.settings import ApiServerSettings

from .links import API_PREFIX, Links, LinkSigner, base_url

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

    from .hub import TaskEventHub
    from .ratelimit import RateLimiter

__all__ = ["API_PREFIX", "ServerContext", "check_job_id", "check_task_id", "get_context"]
# As the original accepted ids: any 8-4-4-4-12 hex id, any version, any letter case.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# The original's other job ids: letters, digits, "-" and "_", at most 100 characters.
_ORIGINAL_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@dataclass
class ServerContext:
    service: JobService
    api_key: str
    settings: ApiServerSettings
    bound_host: str
    hub: TaskEventHub
    upload_limiter: RateLimiter
    signer: LinkSigner
    #: Seconds of silence before a stream sends a heartbeat (15 s; tests shorten it).
    heartbeat_interval: float = 15.0

    def links(self, request: Request) -> Links:
        """The signed links of one response, based where this client reached the server."""
        return Links(base_url(request, self.settings.public_base_url), self.signer)


def get_context(request: Request) -> ServerContext:
    context: Any = request.app.state.context
    assert isinstance(context, ServerContext)
    return context


def check_task_id(task_id: str) -> str:
    """Return the task id in lower case; refuse anything not UUID-shaped before the store."""
    if not _UUID.match(task_id):
        raise ApiError(400, "Invalid task ID format. Expected UUID format.")
    return task_id.lower()


def check_job_id(job_id: str) -> str:
    """Return the job id in lower case; ids the original allowed but we never issue are 404.

    Anything else is refused (400) here: job ids become folder names.
    """
    if _UUID.match(job_id):
        return job_id.lower()
    if _ORIGINAL_JOB_ID.match(job_id):
        raise ApiError(404, "Job not found.")
    raise ApiError(400, "Invalid job ID format. Expected UUID format.")
