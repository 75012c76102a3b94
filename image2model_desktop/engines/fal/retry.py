"""Retries of FAL steps: exponential backoff with jitter, and nothing paid for twice."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from image2model_desktop.core.errors import EngineError, TransientError

from .errors import classify
from .timeouts import FalTimeouts

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Decides whether a retryable failure may really be retried (given the error and its cause).
RetryRule = Callable[[EngineError, BaseException], bool]


def submit_not_taken(error: EngineError, cause: BaseException) -> bool:
    """Retry a submit only when FAL surely did not enqueue it."""
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
        return True  # the request never left this computer
    return isinstance(error, TransientError) and not isinstance(cause, httpx.TransportError)


def backoff(attempt: int, timeouts: FalTimeouts) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): doubling, capped, jittered."""
    delay: float = min(timeouts.backoff_cap, timeouts.backoff_base * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)


async def retrying(
    step: Callable[[], Awaitable[T]],
    what: str,
    timeouts: FalTimeouts,
    *,
    safe: RetryRule | None = None,
) -> T:
    """Run ``step``, retrying transient failures; raise a classified error at the end."""
    for attempt in range(1, timeouts.max_attempts + 1):
        try:
            return await step()
        except Exception as exc:
            error = classify(exc)
            retry = error.retryable and (safe is None or safe(error, exc))
            if not retry or attempt == timeouts.max_attempts:
                if error.retryable:
                    error = type(error)(
                        f"Could not {what} after {attempt} tries: {error.user_message} "
                        "Retry it later.",
                        code=error.code,
                    )
                raise error from exc
            delay = backoff(attempt, timeouts)
            log.info("Could not %s (%s); retry %d in %.1fs", what, error.code, attempt, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
