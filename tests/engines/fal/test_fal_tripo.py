"""The FAL engine: the real fal-client against a loopback HTTPS fake of FAL's queue.

Everything is real but FAL itself: fal-client, httpx, TLS, the SQLite store,
the job service and the files on disk. Scenarios are chosen by the fake from the
uploaded file's name (the engine uploads under the photo's own name).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import trimesh
from testkit import make_photo, next_event, open_test_runtime

from image2model_desktop.core.events import Event, FileUpdated
from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.service import StagedInput
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.fal.engine import FalEngine
from tests.fakefal import FakeFal

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=1.0)]
FAL = JobParameters(engine="fal", face_limit=8000, texture="HD", seed=7)
WAIT = 60.0


class Rig:
    """The application's wiring on a real library, its FAL engine talking to the fake."""

    def __init__(self, root: Path, fake: FakeFal, **settings: object) -> None:
        self.fake = fake
        self.engines: list[FalEngine] = []
        self.runtime = open_test_runtime(root, self._engine, hold_on_balance=False, **settings)
        self.paths = self.runtime.paths
        self.service = self.runtime.service
        self.events: list[Event] = []
        self.service.on_event(self.events.append)

    def _engine(self, name: str) -> FalEngine:
        engine = FalEngine(key=self.fake.key)
        self.engines.append(engine)
        return engine

    async def run(self, photos: list[Path], parameters: JobParameters = FAL) -> Job:
        entries = [StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos]
        job = await self.service.submit(entries, parameters)
        return await asyncio.wait_for(self.service.wait_finished(job.job_id), WAIT)

    async def close(self) -> None:
        await self.runtime.aclose()


@pytest_asyncio.fixture
async def rig(tmp_path: Path, fake: FakeFal) -> AsyncIterator[Rig]:
    r = Rig(tmp_path / "lib", fake)
    yield r
    await r.close()


def photos(tmp_path: Path, *names: str) -> list[Path]:
    return [make_photo(tmp_path / name, 96) for name in names]


async def test_ten_files_at_concurrency_four(tmp_path: Path, fake: FakeFal) -> None:
    fake.generation_seconds = 2.5  # long enough to be seen queued and in progress
    # The polling fallback's pace is what this checks (the stream's: test_fal_stream.py).
    fake.status_stream = "refuse_404"
    rig = Rig(tmp_path / "lib", fake, concurrency=4)
    try:
        job = await rig.run(photos(tmp_path, *(f"chair{i}.png" for i in range(10))))
    finally:
        await rig.close()
    assert job.status == "completed", [f.error_message for f in job.files]
    assert len(fake.submits()) == 10
    assert set(fake.submit_count_by_input().values()) == {1}
    assert fake.max_in_flight() <= 4
    for item in job.files:
        assert item.output is not None and item.request_id is not None
        model = rig.paths.outputs(job.job_id) / item.output.model_filename
        assert trimesh.load(model, force="scene").geometry
        assert item.output.preview_filename is not None
        assert (rig.paths.outputs(job.job_id) / item.output.preview_filename).is_file()
        polls = fake.status_polls(item.request_id)
        assert len(polls) >= 2
        span = polls[-1].t - polls[0].t
        assert (len(polls) - 1) / span <= 1.5, f"{len(polls)} polls in {span:.2f}s"
    queued = [
        e.file.queue_position
        for e in rig.events
        if isinstance(e, FileUpdated) and e.file.state == FileState.QUEUED
    ]
    assert any(p is not None and p > 0 for p in queued)
    generating = [
        e.file.message
        for e in rig.events
        if isinstance(e, FileUpdated) and e.file.state == FileState.GENERATING
    ]
    assert any("Progress" in m for m in generating)


async def test_arguments_sent_to_tripo(rig: Rig, tmp_path: Path) -> None:
    await rig.run(photos(tmp_path, "lamp.png"))
    (submit,) = rig.fake.submits()
    # Tripo v2.5's body as the app has always sent it (FAL's schema: docs/fal-models.md).
    assert submit.arguments == {
        "image_url": submit.arguments["image_url"],
        "texture": "HD",
        "pbr": False,
        "texture_alignment": "original_image",
        "orientation": "default",
        "face_limit": 8000,
        "seed": 7,
        "texture_seed": 7,
    }


async def test_rejected_image_fails_alone_with_the_models_reason(rig: Rig, tmp_path: Path) -> None:
    job = await rig.run(photos(tmp_path, "good.png", "cat_reject422.png", "fine.png"))
    states = {f.filename: f for f in job.files}
    assert states["good.png"].state == FileState.COMPLETED
    assert states["fine.png"].state == FileState.COMPLETED
    bad = states["cat_reject422.png"]
    assert bad.state == FileState.FAILED and bad.error_code == "FAL_VALIDATION"
    assert bad.error_message is not None
    assert bad.error_message.startswith("FAL could not use this image: ")
    assert "[{" not in bad.error_message and "loc" not in bad.error_message
    assert len(rig.fake.submits()) == 3


async def test_result_503_once_completes_with_one_submit(rig: Rig, tmp_path: Path) -> None:
    job = await rig.run(photos(tmp_path, "vase_runner503.png"))
    assert job.status == "completed"
    assert len(rig.fake.submits()) == 1


@pytest.mark.parametrize(
    "name", ["toy_downloadfails.png", "toy_downloaddrops.png", "toy_truncated.png"]
)
async def test_bad_model_download_is_retried_not_resubmitted(
    rig: Rig, tmp_path: Path, name: str
) -> None:
    job = await rig.run(photos(tmp_path, name))
    assert job.status == "completed", job.files[0].error_message
    assert len(rig.fake.submits()) == 1
    out = rig.paths.outputs(job.job_id)
    assert not list(out.glob("*.part")), "a partial download was left behind"


async def test_rate_limited_submit_is_retried(rig: Rig, tmp_path: Path) -> None:
    job = await rig.run(photos(tmp_path, "cup_ratelimited.png"))
    assert job.status == "completed"
    assert len(rig.fake.submits()) == 1


async def test_rejected_key_stops_after_the_first_401(tmp_path: Path, fake: FakeFal) -> None:
    fake.valid_keys = {"some-other-key"}
    rig = Rig(tmp_path / "lib", fake, concurrency=4)
    try:
        job = await rig.run(photos(tmp_path, *(f"p{i}.png" for i in range(6))))
    finally:
        await rig.close()
    assert {f.state for f in job.files} == {FileState.FAILED}
    assert {f.error_code for f in job.files} == {"FAL_AUTH"}
    (message,) = {f.error_message for f in job.files}
    assert message is not None and message.startswith("FAL rejected the API key")
    assert fake.key not in message
    unauthorized = [r for r in fake.log() if r.status == 401]
    # fal-client falls back to a second upload route once; still one file's worth.
    assert 1 <= len(unauthorized) <= 2, unauthorized
    assert fake.submits() == []


async def test_locked_account_says_where_to_top_up(rig: Rig, tmp_path: Path) -> None:
    rig.fake.locked = True
    job = await rig.run(photos(tmp_path, "a.png", "b.png"))
    assert {f.error_code for f in job.files} == {"FAL_BALANCE"}
    assert all("top up" in (f.error_message or "") for f in job.files)


async def test_request_that_never_finishes_times_out_and_is_cancelled(
    tmp_path: Path, fake: FakeFal
) -> None:
    rig = Rig(tmp_path / "lib", fake, file_timeout_seconds=3)
    try:
        job = await rig.run(photos(tmp_path, "rock_neverfinishes.png"))
    finally:
        await rig.close()
    (item,) = job.files
    assert item.state == FileState.FAILED and item.error_code == "TIMEOUT"
    assert [c.request_id for c in fake.cancels()] == [item.request_id]


async def test_user_cancel_cancels_on_fal(rig: Rig, tmp_path: Path) -> None:
    entries = [
        StagedInput(p, p.name, p.stat().st_size, "image/png")
        for p in photos(tmp_path, "slow_slowgen.png")
    ]
    job = await rig.service.submit(entries, FAL)
    await next_event(
        rig.service, lambda e: isinstance(e, FileUpdated) and e.file.request_id is not None, WAIT
    )
    rig.service.cancel_job(job.job_id)
    final = await asyncio.wait_for(rig.service.wait_finished(job.job_id), WAIT)
    assert final.files[0].state == FileState.CANCELLED
    assert [c.request_id for c in rig.fake.cancels()] == [final.files[0].request_id]


async def test_expired_result_fails_with_a_reason_and_retry_resubmits(
    tmp_path: Path, fake: FakeFal
) -> None:
    root = tmp_path / "lib"
    first = Rig(root, fake)
    entries = [
        StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos(tmp_path, "old.png")
    ]
    job = await first.service.submit(entries, FAL)
    request_id = await asyncio.to_thread(
        fake.wait_for, lambda: fake.submits() and fake.submits()[0].request_id, 30
    )
    await first.close()  # quit before the result arrives
    fake.forget_result(request_id)

    second = Rig(root, fake)
    try:
        await second.service.start()
        final = await asyncio.wait_for(second.service.wait_finished(job.job_id), WAIT)
        assert final.files[0].error_code == "RESULT_GONE"
        assert "kept about an hour" in (final.files[0].error_message or "")
        assert len(fake.submits()) == 1
        await second.service.retry(job.job_id)
        final = await asyncio.wait_for(second.service.wait_finished(job.job_id), WAIT)
        assert final.status == "completed"
        assert len(fake.submits()) == 2
    finally:
        await second.close()


async def test_cost_estimate_table(rig: Rig) -> None:
    engine = FalEngine(key="k")
    assert engine.estimate_cost(JobParameters(texture="no"), 10) == 2.0
    assert engine.estimate_cost(JobParameters(texture="standard"), 10) == 3.0
    assert engine.estimate_cost(JobParameters(texture="HD"), 3) == 1.2
    assert "k" not in repr(engine)


async def test_cancelled_file_uploaded_ahead_leaves_nothing_behind(
    tmp_path: Path, fake: FakeFal
) -> None:
    rig = Rig(tmp_path / "lib", fake, concurrency=1)
    try:
        entries = [
            StagedInput(p, p.name, p.stat().st_size, "image/png")
            for p in photos(tmp_path, "first_slowgen.png", "second.png")
        ]
        job = await rig.service.submit(entries, FAL)
        second = job.files[1].file_id
        await next_event(
            rig.service,
            lambda e: (
                isinstance(e, FileUpdated)
                and e.file.file_id == second
                and e.file.state == FileState.UPLOADING
                and e.file.progress >= 15
            ),
            WAIT,
        )
        (engine,) = rig.engines
        assert second in engine.uploaded_ahead()
        rig.service.cancel_file(second)
        rig.service.cancel_file(job.files[0].file_id)
        final = await asyncio.wait_for(rig.service.wait_finished(job.job_id), WAIT)
        assert {f.state for f in final.files} == {FileState.CANCELLED}
        assert engine.uploaded_ahead() == frozenset()
        assert len(fake.submits()) == 1
    finally:
        await rig.close()
