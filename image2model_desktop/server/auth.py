"""The bearer key: made per launch unless ``IMAGE2MODEL_API_KEY`` is set; never logged.

The three 403 messages are the original backend's (FastAPI ``HTTPBearer``), so
clients that match on them keep working. The comparison runs in constant time.
"""

from __future__ import annotations

import hmac
import os
import secrets
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from image2model_desktop.core.errors import ApiError

from .context import ServerContext, get_context

API_KEY_ENV = "IMAGE2MODEL_API_KEY"

# Declared only so OpenAPI documents the scheme; the checks below read the raw
# header because HTTPBearer folds "missing" and "wrong scheme" into one answer.
_bearer_doc = HTTPBearer(auto_error=False, description="The key printed by `image2model serve`")


def api_key_from_environment() -> tuple[str, bool]:
    """Return the key and whether it came from the environment (else: freshly made)."""
    configured = os.environ.get(API_KEY_ENV, "").strip()
    if configured:
        return configured, True
    return secrets.token_urlsafe(32), False


def _same_key(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _bearer_token(request: Request) -> str | None:
    """Return the bearer token; raise the contract's 403 for a malformed header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if not scheme or not token.strip():
        raise ApiError(403, "Not authenticated")
    if scheme.lower() != "bearer":
        raise ApiError(403, "Invalid authentication credentials")
    return token.strip()


def _check(context: ServerContext, token: str | None) -> None:
    if token is None:
        raise ApiError(403, "Not authenticated")
    if not _same_key(token, context.api_key):
        raise ApiError(403, "Invalid API key")


async def require_key(
    request: Request,
    context: Annotated[ServerContext, Depends(get_context)],
    _doc: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_doc)],
) -> None:
    """Require ``Authorization: Bearer <key>``."""
    _check(context, _bearer_token(request))


async def require_key_or_query(
    request: Request,
    context: Annotated[ServerContext, Depends(get_context)],
    _doc: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_doc)],
    api_key: Annotated[
        str | None, Query(description="The key, for clients that cannot send headers")
    ] = None,
) -> None:
    """Require the key as a bearer header or as ``?api_key=`` (EventSource sends no headers)."""
    check_key_or_query(context, request, api_key)


def check_key_or_query(context: ServerContext, request: Request, api_key: str | None) -> None:
    """The check of ``require_key_or_query``, for endpoints that pick their auth per request."""
    token = _bearer_token(request)
    _check(context, token if token is not None else api_key)


async def optional_key(
    request: Request,
    context: Annotated[ServerContext, Depends(get_context)],
    api_key: Annotated[str | None, Query(description="Optional; checked when given")] = None,
) -> None:
    """For public endpoints: no key needed, but a bearer key or ``?api_key=`` must be right."""
    try:
        token = _bearer_token(request)
    except ApiError:
        token = None  # another scheme (a browser's Basic auth…) is not ours to judge here
    given = token if token is not None else api_key
    if given is not None:
        _check(context, given)
