"""The FAL engine's parts on their own: hosts, error classes, retries (no network)."""

from __future__ import annotations

import httpx
import pytest

from image2model_desktop.core.errors import (
    AuthError,
    BalanceError,
    EngineError,
    RejectedInputError,
    ResultGoneError,
    TransientError,
)
from image2model_desktop.engines.fal.client import FalHosts
from image2model_desktop.engines.fal.errors import classify_http
from image2model_desktop.engines.fal.retry import retrying, submit_not_taken
from image2model_desktop.engines.fal.timeouts import FalTimeouts

NO_WAIT = FalTimeouts(backoff_base=0.0, max_attempts=3)


def test_hosts_come_from_the_environment_only_when_named() -> None:
    assert FalHosts.from_env({}) is None
    hosts = FalHosts.from_env({"IMAGE2MODEL_FAL_REST_URL": "https://127.0.0.1:9"})
    assert hosts == FalHosts(rest_url="https://127.0.0.1:9", cdn_url=None)


@pytest.mark.parametrize(
    ("status", "kind", "code", "halts", "retryable"),
    [
        (401, AuthError, "FAL_AUTH", True, False),
        (403, BalanceError, "FAL_BALANCE", True, False),
        (422, RejectedInputError, "FAL_VALIDATION", False, False),
        (404, ResultGoneError, "RESULT_GONE", False, False),
        (429, TransientError, "TRANSIENT", False, True),
        (503, TransientError, "TRANSIENT", False, True),
        (400, EngineError, "ENGINE", False, False),
    ],
)
def test_http_answers_become_typed_errors_with_fals_codes(
    status: int, kind: type[EngineError], code: str, halts: bool, retryable: bool
) -> None:
    error = classify_http(status, None, "nope")
    assert type(error) is kind
    assert (error.code, error.halts_batch, error.retryable) == (code, halts, retryable)


def test_validation_reasons_are_joined_without_field_names() -> None:
    detail = [
        {"loc": ["body", "image_url"], "msg": "Image too small", "type": "x"},
        {"loc": ["body"], "msg": "No subject found.", "type": "y"},
    ]
    error = classify_http(422, None, detail)
    assert error.user_message == "FAL could not use this image: Image too small; No subject found."


@pytest.mark.asyncio
async def test_transient_failures_are_retried_then_reported_with_their_code() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise TransientError("FAL is busy.")
        return "done"

    assert await retrying(flaky, "upload the photo", NO_WAIT) == "done"
    assert calls == 3

    async def always_busy() -> str:
        raise TransientError("FAL is busy.", code="TRANSIENT")

    with pytest.raises(TransientError) as caught:
        await retrying(always_busy, "upload the photo", NO_WAIT)
    assert caught.value.user_message.startswith("Could not upload the photo after 3 tries")


@pytest.mark.asyncio
async def test_a_submit_that_may_have_been_taken_is_not_retried() -> None:
    calls = 0

    async def read_timeout() -> str:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("no answer")

    with pytest.raises(TransientError):
        await retrying(read_timeout, "submit the request", NO_WAIT, safe=submit_not_taken)
    assert calls == 1, "a submit FAL may have enqueued was sent again (and billed twice)"
    never_sent = httpx.ConnectError("refused")
    assert submit_not_taken(TransientError("x"), never_sent)
