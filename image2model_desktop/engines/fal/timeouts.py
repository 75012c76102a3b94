"""How long the FAL engine waits and how often it tries: one object, passed in.

Production uses the defaults; tests pass a ``FalTimeouts`` with short values
instead of patching module constants.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FalTimeouts:
    #: Seconds between status polls when nothing better is known.
    poll_interval: float = 1.0
    #: Never poll one request more often than this (≤ 1.5 polls a second).
    min_poll_interval: float = 0.67
    #: Attempts for a step that failed transiently (429, network, 5xx runner errors).
    max_attempts: int = 5
    #: Backoff before retry n is ``backoff_base * 2**(n-1)``, capped, with jitter.
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    #: Tells FAL how long the request may wait to start (``X-Fal-Request-Timeout``).
    start_timeout: float = 3600.0
    #: The submit is sent once (never retried once its body may have left): how
    #: long its answer may take (fal-client's default, 120 s) and its connect.
    submit_read: float = 120.0
    submit_connect: float = 30.0
    #: Fetching a finished request's result.
    result_read: float = 120.0
    result_connect: float = 30.0
    #: Downloads of models and previews: a stalled body fails after ``download_read``
    #: seconds without a byte and is retried.
    download_read: float = 60.0
    download_connect: float = 15.0
    #: How long a quit waits for a submit already on the wire to be answered.
    submit_grace: float = 30.0
    #: Follow requests over FAL's status stream (False: poll, as before the stream).
    stream: bool = True
    #: A stream silent this long is dropped; FAL sends a keep-alive at least
    #: every 15 s (fal-js gives up after 15 s), so 45 s means it is gone.
    stream_read: float = 45.0
    stream_connect: float = 30.0
    #: After COMPLETED the stream is read to its end (FAL closes it at once) for
    #: at most this long, so every body iterator ends in the task that opened it.
    stream_drain: float = 2.0
    #: FAL's platform API (prices, billing events, balance): one answer's wait.
    platform_read: float = 20.0
    platform_connect: float = 10.0
