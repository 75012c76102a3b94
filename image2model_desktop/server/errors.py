"""One error envelope for every 4xx/5xx the API sends.

    {"error": true, "error_code": "HTTP_400", "message": "...", "status_code": 400,
     "details": {}, "detail": "..."}

``detail`` repeats ``message`` because clients of the original backend read
FastAPI's ``detail``. Nothing here ever puts a stack trace, a server path or a
secret into a response: the log keeps the detail.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from image2model_desktop.core.errors import ApiError

log = logging.getLogger(__name__)

VALIDATION_ERROR = "VALIDATION_ERROR"
FILE_VALIDATION_ERROR = "FILE_VALIDATION_ERROR"
FILE_TOO_LARGE = "FILE_TOO_LARGE"

#: Starlette's terse reason phrases, turned into sentences a person can act on.
_ROUTING_MESSAGES = {
    404: "Not found: no such endpoint or resource.",
    405: "Method not allowed on this endpoint.",
}


def envelope(
    status_code: int,
    message: str,
    *,
    error_code: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "error": True,
        "error_code": error_code or f"HTTP_{status_code}",
        "message": message,
        "status_code": status_code,
        "details": dict(details or {}),
        "detail": message,
    }


def error_response(error: ApiError) -> JSONResponse:
    body = envelope(
        error.status_code, error.message, error_code=error.error_code, details=error.details
    )
    return JSONResponse(body, status_code=error.status_code, headers=error.headers or None)


def validation_error(errors: Sequence[Mapping[str, Any]]) -> ApiError:
    """Build the 422 of the contract from pydantic-style ``{loc, msg, type}`` errors."""
    items = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())) or "request",
            "message": str(error.get("msg", "Invalid value")),
            "type": str(error.get("type", "value_error")),
        }
        for error in errors
    ]
    summary = "; ".join(f"{item['field']}: {item['message']}" for item in items[:5])
    return ApiError(
        422,
        f"The request is invalid: {summary}." if summary else "The request is invalid.",
        error_code=VALIDATION_ERROR,
        details={"validation_errors": items},
    )


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = _ROUTING_MESSAGES.get(exc.status_code)
    if message is None:
        # Our own code raises ApiError; anything else is Starlette's, whose detail is a phrase.
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
    return error_response(ApiError(exc.status_code, message, headers=exc.headers))


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # pydantic may include the rejected input and a docs URL; keep only loc/msg/type.
    return error_response(validation_error(list(exc.errors())))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("Unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        ApiError(500, "Internal server error. The desktop app's log has the details.")
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
