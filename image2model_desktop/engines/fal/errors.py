"""What FAL and the network answered, turned into typed errors a person can act on.

Errors are classified by exception type and HTTP status, never by message text.
The codes are FAL's own (``FAL_AUTH``…): core's error classes carry neutral ones.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from image2model_desktop.core.errors import (
    AuthError,
    BalanceError,
    EngineError,
    RejectedInputError,
    ResultGoneError,
    TransientError,
)

log = logging.getLogger(__name__)

AUTH = "FAL_AUTH"
BALANCE = "FAL_BALANCE"
VALIDATION = "FAL_VALIDATION"
RESULT = "FAL_RESULT"
NO_MODEL = "FAL_NO_MODEL"
DOWNLOAD = "FAL_DOWNLOAD"


def classify(exc: BaseException) -> EngineError:
    """Turn anything fal-client or httpx raised into an ``EngineError``."""
    if isinstance(exc, EngineError):
        return exc
    from fal_client.auth import MissingCredentialsError
    from fal_client.client import FalClientHTTPError

    if isinstance(exc, MissingCredentialsError):
        return AuthError(
            "No FAL key is set — add one in Settings or with `image2model config set-key`.",
            code=AUTH,
        )
    if isinstance(exc, FalClientHTTPError):
        return classify_http(exc.status_code, exc.error_type, exc.message)
    if isinstance(exc, httpx.HTTPStatusError):
        # Some fal-client paths (the sync CDN token fetch) raise httpx's own error.
        detail, error_type = error_body(exc.response)
        return classify_http(exc.response.status_code, error_type, detail)
    if isinstance(exc, httpx.TimeoutException | httpx.TransportError):
        return TransientError(
            "Could not reach FAL (network problem); check the internet connection. "
            "The request is kept and will be retried."
        )
    if isinstance(exc, TimeoutError):
        return TransientError("FAL did not answer in time.")
    log.error("Unexpected error from FAL: %r", exc)
    return EngineError("FAL answered in a way this app does not understand; retry it.")


def classify_http(
    status: int, error_type: str | None, detail: Any, *, file_server: bool = False
) -> EngineError:
    """The one map from FAL's HTTP statuses to what the job engine should do.

    ``file_server``: the answer came from FAL's file server (a result's download
    URL), where 401/403/404/410 all mean the file is no longer handed out.
    """
    if status in (404, 410) or (file_server and status in (401, 403)):
        what = "this model" if file_server else "this request"
        return ResultGoneError(
            f"FAL no longer has {what} (results are kept about an hour); retry it to "
            "generate it again."
        )
    if status in (408, 409, 429) or status >= 500:
        what = f" ({error_type})" if error_type else ""
        return TransientError(f"FAL is busy or had a server problem{what}.")
    if file_server:
        return EngineError(f"FAL's file server refused the download ({status}).", code=DOWNLOAD)
    if status == 401:
        return AuthError(
            "FAL rejected the API key — set a valid key "
            "(Settings or `image2model config set-key`).",
            code=AUTH,
        )
    if status == 403:
        return BalanceError(
            "FAL refused the request: the account is locked or out of balance — top up at "
            "fal.ai/dashboard/billing, then retry.",
            code=BALANCE,
        )
    if status == 422:
        return RejectedInputError(
            f"FAL could not use this image: {reasons(detail)}", code=VALIDATION
        )
    return EngineError(f"FAL refused the request (HTTP {status}): {reasons(detail)}")


def error_body(response: httpx.Response) -> tuple[Any, str | None]:
    """Read FAL's error body the way fal-client does: ``detail`` and ``error_type``."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error_type = body.get("error_type") or response.headers.get("x-fal-error-type")
        return body.get("detail", response.text), error_type
    return response.text, response.headers.get("x-fal-error-type")


def reasons(detail: Any) -> str:
    """Join FAL's validation reasons (a string, or a list of {loc, msg, type})."""
    if isinstance(detail, list):
        parts = []
        for entry in detail:
            if isinstance(entry, dict):
                # Only the reason: the field name (loc) means nothing to a person.
                msg = str(entry.get("msg") or entry.get("message") or "").strip()
                if msg:
                    parts.append(msg.rstrip("."))
            elif entry:
                parts.append(str(entry))
        text = "; ".join(parts)
    else:
        text = str(detail or "").strip()
    text = text[:300] or "no reason given"
    return text if text.endswith(".") else text + "."
