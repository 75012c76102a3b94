"""What the fake does with one input image: the scenario and how it is chosen.

A scenario is picked at submit time from the image the request names, in this
order: a plan registered for the image's sha256 (`FakeFal.plan(data=...)`), a
plan registered for a substring of the uploaded file's name, a marker in the file
name (`MARKERS`), else the fake's default. fal-client's `upload_file` sends the
base name in `X-Fal-File-Name`, so naming a test image `cat_reject422.png` is
enough; `upload()`/`upload_image()` without a name and `data:` URIs rely on the
sha256 plan. Failures that happen "once" or "N times" count per input image, so
the app's retry succeeds whether it re-fetches or resubmits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

ScenarioKind = Literal[
    "ok",
    "unauthorized",
    "locked",
    "reject_422",
    "rate_limited_then_ok",
    "runner_503_then_ok",
    "never_finishes",
    "model_download_fails_once",
    "model_download_drops_once",
    "model_download_truncated",
    "slow_generation",
    "upload_fails_once",
    "submit_503_once",
    "status_resets_once",
    "model_download_stalls_once",
    "submit_answer_cut",
]

SCENARIO_KINDS: tuple[ScenarioKind, ...] = get_args(ScenarioKind)

#: How GET …/status/stream answers: normally, refused (404 / 405, as a proxy or an
#: older queue would), or cut after the first event without finishing the body.
StreamMode = Literal["ok", "refuse_404", "refuse_405", "drop"]
STREAM_MODES: tuple[StreamMode, ...] = get_args(StreamMode)

# Checked against the lower-cased file name with "-", "_", "." and spaces
# removed; longest first so "downloadfails" is not read as something shorter.
MARKERS: dict[str, ScenarioKind] = {
    "downloadstalls": "model_download_stalls_once",
    "neverfinishes": "never_finishes",
    "downloadfails": "model_download_fails_once",
    "downloaddrops": "model_download_drops_once",
    "statusresets": "status_resets_once",
    "unauthorized": "unauthorized",
    "ratelimited": "rate_limited_then_ok",
    "uploadfails": "upload_fails_once",
    "reject422": "reject_422",
    "runner503": "runner_503_then_ok",
    "truncated": "model_download_truncated",
    "submit503": "submit_503_once",
    "submitcut": "submit_answer_cut",
    "slowgen": "slow_generation",
    "locked": "locked",
}

# Stream markers combine with the kind markers: "cat_slowgen_streamdrops.png".
STREAM_MARKERS: dict[str, StreamMode] = {
    "streamrefused": "refuse_404",
    "stream405": "refuse_405",
    "streamdrops": "drop",
}

SLOW_GENERATION_SECONDS = 5.0


@dataclass(frozen=True)
class Scenario:
    """How the fake treats requests for one input image.

    kind: what goes wrong, if anything (see `ScenarioKind`).
    generation_seconds: submit → COMPLETED; None takes the fake's default
        (`SLOW_GENERATION_SECONDS` for slow_generation).
    times: how often a `*_then_ok` / `*_once` failure happens before it stops.
    queue_fraction: share of generation_seconds spent IN_QUEUE.
    queue_positions: the first queue_position reported; it counts down to 0.
    model_size: pad the GLB to this many bytes (streaming tests); None keeps ~2 kB.
    download_bytes_per_second: throttle model downloads; None sends at once.
    upload_delay_seconds: hold the answer to an upload of this input this long
        (the file is stored at once; the client waits), e.g. to kill a client
        while it uploads.
    slow_times: how many uploads / model downloads of an input the delay and the
        throttle apply to; None applies them every time.
    stall_seconds: how long a `model_download_stalls_once` download pauses after
        its first half, before the connection is dropped.
    stream: how this input's status stream answers (see `StreamMode`); "ok"
        defers to the fake-wide `FakeFal.status_stream`.
    stream_times: how many stream connections get a non-"ok" `stream`, after
        which the stream works; None means every one.

    Failure kinds beyond the names: `upload_fails_once` answers 500 on both of
    fal-client's upload routes (its CDN, then its fallback), `times` uploads in a
    row, so the app itself must send the photo again; `submit_503_once` answers
    a submit 503 with `x-fal-request-id` (FAL's own answer: fal-client does not
    retry it, and nothing was enqueued); `status_resets_once` resets the status
    connection before any answer; `submit_answer_cut` takes the submit (the
    request is queued, will complete and is billed) and then resets the
    connection without answering, `times` submits in a row: the client cannot
    know FAL took it (fal-client's own submit retries this, 10 requests).
    """

    kind: ScenarioKind = "ok"
    generation_seconds: float | None = None
    times: int = 1
    queue_fraction: float = 0.3
    queue_positions: int = 2
    model_size: int | None = None
    download_bytes_per_second: float | None = None
    upload_delay_seconds: float | None = None
    slow_times: int | None = None
    stall_seconds: float = 5.0
    stream: StreamMode = "ok"
    stream_times: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in SCENARIO_KINDS:
            raise ValueError(f"unknown scenario kind {self.kind!r}; one of {SCENARIO_KINDS}")
        if self.stream not in STREAM_MODES:
            raise ValueError(f"unknown stream mode {self.stream!r}; one of {STREAM_MODES}")
        if not 0.0 <= self.queue_fraction <= 1.0:
            raise ValueError("queue_fraction must be within 0..1")

    def seconds(self, default: float) -> float:
        if self.generation_seconds is not None:
            return self.generation_seconds
        if self.kind == "slow_generation":
            return max(default, SLOW_GENERATION_SECONDS)
        return default


def scenario_from_name(file_name: str) -> ScenarioKind | None:
    """Return the scenario a file name asks for through a marker, if any."""
    squashed = _squash(file_name)
    for marker, kind in MARKERS.items():
        if marker in squashed:
            return kind
    return None


def stream_from_name(file_name: str) -> StreamMode | None:
    """Return the stream behaviour a file name asks for through a marker, if any."""
    squashed = _squash(file_name)
    for marker, mode in STREAM_MARKERS.items():
        if marker in squashed:
            return mode
    return None


def _squash(file_name: str) -> str:
    squashed = file_name.lower()
    for char in "-_. ":
        squashed = squashed.replace(char, "")
    return squashed
