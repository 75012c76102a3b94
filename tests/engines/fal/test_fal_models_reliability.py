"""Every generator keeps the money rules: a quit mid-generation resumes at the saved
endpoint without a second submit, a 422 fails the photo alone, a 429 on submit is
retried once, and a cancel reaches FAL. The real fal-client against the fake."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from testkit import make_photo, next_event, open_test_runtime

from image2model_desktop.core.events import FileUpdated
from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.service import StagedInput
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.fal import registry
from image2model_desktop.engines.fal.engine import FalEngine
from image2model_desktop.runtime import Runtime
from tests.fakefal import FakeFal, Scenario

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=0.5)]
MODELS = list(registry.GENERATORS)
WAIT = 60.0


def runtime(root: Path, fake: FakeFal) -> Runtime:
    return open_test_runtime(root, lambda name: FalEngine(key=fake.key), hold_on_balance=False)


def entries(tmp_path: Path, *names: str) -> list[StagedInput]:
    photos = [make_photo(tmp_path / name, 96) for name in names]
    return [StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos]


async def finished(rt: Runtime, job: Job) -> Job:
    return await asyncio.wait_for(rt.service.wait_finished(job.job_id), WAIT)


@pytest.mark.parametrize("model", MODELS)
async def test_a_quit_mid_generation_resumes_at_the_saved_endpoint(
    model: str, fake: FakeFal, tmp_path: Path
) -> None:
    fake.plan(Scenario(generation_seconds=2.5), name_contains="statue")
    root = tmp_path / "lib"
    first = runtime(root, fake)
    job = await first.service.submit(
        entries(tmp_path, "statue.png"), JobParameters(engine="fal", model=model)
    )
    await next_event(
        first.service, lambda e: isinstance(e, FileUpdated) and e.file.request_id is not None, WAIT
    )
    await first.aclose()  # a quit: the file stays resumable
    db = sqlite3.connect(root / "library.sqlite3")
    ((saved_model, endpoint),) = db.execute("SELECT model, endpoint FROM files").fetchall()
    db.close()
    generator = registry.get(model)
    assert (saved_model, endpoint) == (model, generator.endpoint)

    second = runtime(root, fake)
    try:
        assert await second.service.start() == [job.job_id]
        done = await finished(second, second.service.get_job(job.job_id))
    finally:
        await second.aclose()
    (item,) = done.files
    assert item.state == FileState.COMPLETED, item.error_message
    (submit,) = fake.submits()
    assert submit.endpoint_id == generator.endpoint and item.request_id == submit.request_id
    assert [e.request_id for e in fake.log("result")] == [submit.request_id]


@pytest.mark.parametrize("model", MODELS)
async def test_422_fails_alone_and_429_is_retried(
    model: str, fake: FakeFal, tmp_path: Path
) -> None:
    rt = runtime(tmp_path / "lib", fake)
    try:
        job = await rt.service.submit(
            entries(tmp_path, "cat_reject422.png", "cup_ratelimited.png"),
            JobParameters(engine="fal", model=model),
        )
        done = await finished(rt, job)
    finally:
        await rt.aclose()
    states = {f.filename: f for f in done.files}
    assert states["cat_reject422.png"].error_code == "FAL_VALIDATION"
    assert states["cup_ratelimited.png"].state == FileState.COMPLETED
    assert len(fake.submits()) == 2
    assert {s.endpoint_id for s in fake.submits()} == {registry.get(model).endpoint}


@pytest.mark.parametrize("model", MODELS)
async def test_cancel_reaches_fal(model: str, fake: FakeFal, tmp_path: Path) -> None:
    rt = runtime(tmp_path / "lib", fake)
    try:
        job = await rt.service.submit(
            entries(tmp_path, "slow_slowgen.png"), JobParameters(engine="fal", model=model)
        )
        await next_event(
            rt.service, lambda e: isinstance(e, FileUpdated) and e.file.request_id is not None, WAIT
        )
        rt.service.cancel_job(job.job_id)
        done = await finished(rt, job)
    finally:
        await rt.aclose()
    (item,) = done.files
    assert item.state == FileState.CANCELLED
    assert [c.request_id for c in fake.cancels()] == [item.request_id]
    assert [c.http_status for c in fake.cancels()] == [202]


@pytest.mark.parametrize(
    "model", [name for name, g in registry.GENERATORS.items() if g.multiview is not None]
)
async def test_every_multiview_model_takes_three_views_in_one_submit(
    model: str, fake: FakeFal, tmp_path: Path
) -> None:
    front, left, back = entries(tmp_path, "front.png", "left.png", "back.png")
    rt = runtime(tmp_path / "lib", fake)
    try:
        job = await rt.service.submit(
            [replace(front, views=(left, back))], JobParameters(engine="fal", model=model)
        )
        done = await finished(rt, job)
    finally:
        await rt.aclose()
    (item,) = done.files
    assert item.state == FileState.COMPLETED, item.error_message
    assert len(item.view_names) == 2
    generator = registry.get(model)
    (submit,) = fake.submits()
    assert submit.endpoint_id == registry.endpoint_for(generator, 3)
    assert len(submit.image_urls) == 3
