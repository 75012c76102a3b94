"""The FAL engine follows each request over FAL's status stream, and falls back to
polling when the stream is refused or cut: the real fal-client and httpx-sse
against the loopback fake, a real library and job service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from testkit import make_photo, open_test_runtime

from image2model_desktop.core.events import Event, FileUpdated
from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.service import StagedInput
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.fal.engine import FalEngine
from tests.fakefal import FakeFal, Scenario

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=1.0)]
FAL = JobParameters(engine="fal")
WAIT = 60.0


class Rig:
    def __init__(self, root: Path, fake: FakeFal) -> None:
        self.fake = fake
        self.engines: list[FalEngine] = []
        self.runtime = open_test_runtime(root, self._engine, hold_on_balance=False)
        self.service = self.runtime.service
        self.events: list[tuple[float, Event]] = []
        self.service.on_event(lambda e: self.events.append((time.monotonic(), e)))

    def _engine(self, name: str) -> FalEngine:
        engine = FalEngine(key=self.fake.key)
        self.engines.append(engine)
        return engine

    async def run(self, *names: str, tmp: Path) -> Job:
        photos = [make_photo(tmp / name, 96) for name in names]
        entries = [StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos]
        job = await self.service.submit(entries, FAL)
        return await asyncio.wait_for(self.service.wait_finished(job.job_id), WAIT)

    def updates(self, state: FileState) -> list[FileUpdated]:
        return [e for _, e in self.events if isinstance(e, FileUpdated) and e.file.state == state]


@pytest_asyncio.fixture
async def rig(tmp_path: Path, fake: FakeFal) -> AsyncIterator[Rig]:
    r = Rig(tmp_path / "lib", fake)
    yield r
    await r.runtime.aclose()


async def test_stream_follows_queue_and_logs_with_no_polls(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    fake.plan(Scenario(generation_seconds=1.5, queue_fraction=0.3), name_contains="vase")
    job = await rig.run("vase.png", tmp=tmp_path)
    assert job.status == "completed", [f.error_message for f in job.files]
    (submit,) = fake.submits()
    assert fake.status_poll_count() == 0
    (connection,) = fake.status_streams(submit.request_id)
    assert connection.outcome == "completed" and connection.with_logs
    assert rig.engines[0].status_polls == 0 and rig.engines[0].status_streams == 1
    # Queue position and log lines reach the file, each log line once.
    assert any(e.file.queue_position is not None for e in rig.updates(FileState.QUEUED))
    messages = [e.file.message for e in rig.updates(FileState.GENERATING)]
    assert any("Progress" in m for m in messages)
    logged = [m for m in messages if m != "FAL is building the model"]
    assert len(logged) == len(set(logged)), logged


async def test_completion_is_seen_within_100_ms(rig: Rig, fake: FakeFal, tmp_path: Path) -> None:
    fake.plan(Scenario(generation_seconds=1.2), name_contains="lamp")
    job = await rig.run("lamp.png", tmp=tmp_path)
    assert job.status == "completed"
    (submit,) = fake.submits()
    finished_at = submit.t + 1.2
    # The engine asks for the result as soon as it hears COMPLETED.
    (result,) = [e for e in fake.log("result") if e.request_id == submit.request_id]
    assert 0 <= result.t - finished_at < 0.1, result.t - finished_at


@pytest.mark.parametrize("mode", ["refuse_404", "refuse_405"])
async def test_refused_stream_falls_back_to_polling(
    mode: str, rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    fake.status_stream = mode  # type: ignore[assignment]
    # Long enough for polls about once a second to see it in progress.
    fake.plan(Scenario(generation_seconds=2.5), name_contains="chair")
    job = await rig.run("chair.png", tmp=tmp_path)
    assert job.status == "completed", [f.error_message for f in job.files]
    (submit,) = fake.submits()
    (connection,) = fake.status_streams(submit.request_id)
    assert connection.outcome == "refused"
    assert fake.status_poll_count(submit.request_id) >= 1
    assert any("Progress" in e.file.message for e in rig.updates(FileState.GENERATING))
    assert len(fake.submits()) == 1


async def test_a_stream_cut_once_is_reconnected(rig: Rig, fake: FakeFal, tmp_path: Path) -> None:
    fake.plan(Scenario(stream="drop", stream_times=1), name_contains="shoe")
    job = await rig.run("shoe.png", tmp=tmp_path)
    assert job.status == "completed", [f.error_message for f in job.files]
    (submit,) = fake.submits()
    outcomes = [c.outcome for c in fake.status_streams(submit.request_id)]
    assert outcomes == ["dropped", "completed"]
    assert fake.status_poll_count(submit.request_id) == 0
    assert len(fake.submits()) == 1


async def test_a_stream_cut_twice_falls_back_to_polling(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    job = await rig.run("toy_streamdrops.png", tmp=tmp_path)
    assert job.status == "completed", [f.error_message for f in job.files]
    (submit,) = fake.submits()
    outcomes = [c.outcome for c in fake.status_streams(submit.request_id)]
    assert outcomes == ["dropped", "dropped"]
    assert fake.status_poll_count(submit.request_id) >= 1
    assert len(fake.submits()) == 1


async def test_a_bad_key_on_the_stream_is_an_auth_error(fake: FakeFal, tmp_path: Path) -> None:
    """The stream's 401 is classified as a poll's would be (the file fails, no fallback)."""
    import fal_client

    from image2model_desktop.core.errors import AuthError
    from image2model_desktop.engines.fal.client import FalClient
    from image2model_desktop.engines.fal.timeouts import FalTimeouts

    paid = fal_client.AsyncClient(key=fake.key)
    handle = await paid.submit(
        "tripo3d/tripo/v2.5/image-to-3d", {"image_url": f"{fake.base_url}/files/chair.png"}
    )
    await handle.client.aclose()
    stranger = FalClient("not-the-key", FalTimeouts())
    try:
        with pytest.raises(AuthError):
            async for _ in stranger.status_stream(
                "tripo3d/tripo/v2.5/image-to-3d", handle.request_id
            ):
                pass
    finally:
        await stranger.aclose()
    assert fake.status_poll_count() == 0
