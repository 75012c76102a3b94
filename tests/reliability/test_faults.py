"""Faults at every step of a paid file, against the fake FAL, in this process.

Each case sends a good photo and a faulty one in one batch. The good one must
complete; the faulty one must end completed (a passing fault) or failed with a
sentence (a lasting one); the store on disk must say the same; nothing partial
may be left; and FAL must never have been asked twice for the same photo.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from faultrig import FalRig, assert_model_intact, library_leftovers, saved_states
from testkit import make_photo

from image2model_desktop.core.states import FileState
from image2model_desktop.engines.fal import download
from tests.fakefal import FakeFal, Scenario, StartedReply

pytestmark = pytest.mark.asyncio

ALWAYS = 99


def statuses(fake: FakeFal, endpoint: str) -> list[int]:
    # started(): a stalled reply is there at once, the log has it only once it ends.
    return [r.status for r in fake.started(endpoint)]


@dataclass(frozen=True)
class Fault:
    name: str
    scenario: Scenario
    #: None: the file completes; else text its failure message must contain.
    fails_with: str | None
    #: Proof, from the fake's log, that the fault really happened.
    happened: Callable[[FakeFal], bool]
    #: Accepted submits of the faulty photo (a submit that FAL refused is not one).
    submits: int = 1


def _any(endpoint: str, status: int) -> Callable[[FakeFal], bool]:
    return lambda fake: status in statuses(fake, endpoint)


def _detail(endpoint: str, text: str) -> Callable[[FakeFal], bool]:
    def check(fake: FakeFal) -> bool:
        entries: list[StartedReply] = fake.started(endpoint)
        return any(text in (e.detail or "") for e in entries)

    return check


FAULTS = [
    Fault(
        "upload fails once",
        Scenario(kind="upload_fails_once"),
        None,
        lambda f: 500 in statuses(f, "upload") and 500 in statuses(f, "storage_initiate"),
    ),
    Fault(
        "upload always fails",
        Scenario(kind="upload_fails_once", times=ALWAYS),
        "Could not upload the photo after 5 tries",
        _any("upload", 500),
        submits=0,
    ),
    Fault("submit answers 503 once", Scenario(kind="submit_503_once"), None, _any("submit", 503)),
    Fault(
        "submit always answers 503",
        Scenario(kind="submit_503_once", times=ALWAYS),
        "Could not submit the request after 5 tries",
        _any("submit", 503),
        submits=0,
    ),
    Fault(
        "status connection resets once",
        # The reset hits a status poll: the stream is refused so the engine polls.
        Scenario(kind="status_resets_once", stream="refuse_404"),
        None,
        _detail("status", "reset"),
    ),
    Fault(
        "result answers 503 once", Scenario(kind="runner_503_then_ok"), None, _any("result", 503)
    ),
    Fault(
        "result always answers 503",
        Scenario(kind="runner_503_then_ok", times=ALWAYS),
        "Could not fetch the result after 5 tries",
        _any("result", 503),
    ),
    Fault(
        "model download truncated once",
        Scenario(kind="model_download_truncated"),
        None,
        _detail("download", "truncated"),
    ),
    Fault(
        "model download always truncated",
        Scenario(kind="model_download_truncated", times=ALWAYS),
        "cut short",
        _detail("download", "truncated"),
    ),
    Fault(
        "model download dropped once",
        Scenario(kind="model_download_drops_once"),
        None,
        _detail("download", "dropped"),
    ),
    Fault(
        "model download stalls once",
        Scenario(kind="model_download_stalls_once", stall_seconds=2.0),
        None,
        _detail("download", "stalled"),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_fault_ends_each_file_cleanly(
    rig: FalRig, fake: FakeFal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Fault
) -> None:
    # A stall is noticed by the read timeout; 60 s in the app, 0.5 s here.
    rig.timeouts = replace(rig.timeouts, download_read=0.5, download_connect=5.0)
    fake.plan(fault.scenario, name_contains="faulty")
    good = make_photo(tmp_path / "good.png", 96)
    faulty = make_photo(tmp_path / "faulty.png", 112)

    job = await rig.run([good, faulty])

    assert fault.happened(fake), f"the fake never produced the fault: {fake.log()}"
    files = {f.filename: f for f in job.files}
    assert files["good.png"].state == FileState.COMPLETED, files["good.png"].error_message
    item = files["faulty.png"]
    if fault.fails_with is None:
        assert item.state == FileState.COMPLETED, item.error_message
    else:
        assert item.state == FileState.FAILED
        assert fault.fails_with in (item.error_message or ""), item.error_message
        assert "\n" not in (item.error_message or "")
        assert "Traceback" not in (item.error_message or "")
    # The store on disk says what the service said.
    saved = saved_states(rig.paths.database)
    assert saved["faulty.png"][0] == item.state.value
    assert saved["good.png"][0] == "completed"
    # Finished models are whole; nothing partial or empty anywhere.
    outputs = rig.paths.outputs(job.job_id)
    for f in job.files:
        if f.output is not None:
            request = next(s for s in fake.submits() if s.request_id == f.request_id)
            assert_model_intact(outputs / f.output.model_filename)
            assert request.request_id == f.request_id
    if item.output is None:
        assert not list(outputs.glob("faulty*")), list(outputs.iterdir())
    assert library_leftovers(rig.paths.root) == []
    counts = fake.submit_count_by_input()
    assert counts["good.png"] == 1
    assert counts["faulty.png"] == fault.submits


def _failing_write(error: OSError) -> Callable[..., object]:
    """Replace the download's file writer: write a little, then fail like the disk did."""

    async def stream_to(response: httpx.Response, path: Path) -> int:
        with open(path, "wb") as handle:
            handle.write(b"glTF" + bytes(60))
        raise error

    return stream_to


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (OSError(errno.EROFS, "Read-only file system"), "Read-only file system"),
    ],
    ids=["disk full", "read-only folder"],
)
async def test_output_write_error_fails_the_file_and_a_retry_does_not_pay_again(
    rig: FalRig,
    fake: FakeFal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: OSError,
    reason: str,
) -> None:
    healthy = download.stream_to
    monkeypatch.setattr(download, "stream_to", _failing_write(error))
    photo = make_photo(tmp_path / "chair.png", 96)

    job = await rig.run([photo])

    (item,) = job.files
    assert item.state == FileState.FAILED and item.error_code == "OUTPUT"
    assert reason in (item.error_message or "")
    assert "Free some disk space" in (item.error_message or "")
    assert library_leftovers(rig.paths.root) == []
    assert not list(rig.paths.outputs(job.job_id).iterdir())
    assert len(fake.submits()) == 1

    # The user frees space and retries: FAL still holds the paid result.
    monkeypatch.setattr(download, "stream_to", healthy)
    await rig.service.retry(job.job_id)
    final = await rig.service.wait_finished(job.job_id)

    (item,) = final.files
    assert item.state == FileState.COMPLETED, item.error_message
    assert len(fake.submits()) == 1, "retrying a failed save paid for the model again"
    assert item.output is not None
    assert_model_intact(rig.paths.outputs(job.job_id) / item.output.model_filename)
    assert library_leftovers(rig.paths.root) == []
