"""Money you can trust on FAL (issue 20): the real FAL engine, fal-client and httpx against
the loopback fake, a real library and job service.

A submit is sent once; a cut answer leaves the photo "unconfirmed" until the
person resends it. Every submit turns FAL's model fallbacks off, every upload
carries the batch's lifecycle, prices come from FAL's pricing endpoint, and what
each request cost is read from FAL's billing events after the fact.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from testkit import make_photo, open_test_runtime

from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.paths import LibraryPaths
from image2model_desktop.core.service import JobService, StagedInput
from image2model_desktop.core.settings import Settings
from image2model_desktop.core.states import FileState
from image2model_desktop.core.store import Store
from image2model_desktop.core.summary import batch_summary
from image2model_desktop.engines.fal.engine import FalEngine
from image2model_desktop.engines.stats import model_stats
from tests.fakefal import FakeFal, Scenario

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=0.4)]
FAL = JobParameters(engine="fal")
WAIT = 60.0
TRIPO = "tripo3d/tripo/v2.5/image-to-3d"


class Rig:
    def __init__(self, root: Path, fake: FakeFal, **settings: Any) -> None:
        self.fake = fake
        self.root = root
        self.runtime = open_test_runtime(root, self._engine, hold_on_balance=False, **settings)
        self.service = self.runtime.service

    def _engine(self, name: str) -> FalEngine:
        return FalEngine(key=self.fake.key, data_dir=self.root)

    async def submit(self, photos: list[Path], parameters: JobParameters = FAL) -> Job:
        entries = [StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos]
        return await self.service.submit(entries, parameters)

    async def run(self, photos: list[Path], parameters: JobParameters = FAL) -> Job:
        job = await self.submit(photos, parameters)
        return await asyncio.wait_for(self.service.wait_finished(job.job_id), WAIT)


@pytest_asyncio.fixture
async def rig(tmp_path: Path, fake: FakeFal) -> AsyncIterator[Rig]:
    r = Rig(tmp_path / "lib", fake)
    yield r
    await r.runtime.aclose()


def photos(tmp_path: Path, *names: str) -> list[Path]:
    return [make_photo(tmp_path / name, 96) for name in names]


async def test_a_cut_answer_is_sent_once_and_resent_only_on_the_users_word(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    job = await rig.run(photos(tmp_path, "cup_submitcut.png"))
    (item,) = job.files
    assert item.state == FileState.UNCONFIRMED
    assert item.request_id is None and item.error_code == "UNCONFIRMED"
    sentence = item.error_message or ""
    assert "FAL may have received it" in sentence and "about $0.30" in sentence
    assert "not sent again" in sentence and sentence.endswith(".")
    assert item.estimated_usd == 0.3
    (first,) = fake.submits()
    assert first.answer_cut
    # The fake queued it: FAL would run and bill it. Nothing sends it again on its own,
    # not even a restart of the library.
    await asyncio.to_thread(fake.wait_for, lambda: fake.billing_events(), 10)
    assert await rig.service.start() == []
    assert len(fake.submits()) == 1
    assert rig.service.unconfirmed_jobs() == [job.job_id]
    assert await rig.service.retry(job.job_id) is None  # a retry is not a resend

    task_id = await rig.service.resend(job.job_id)
    assert task_id is not None
    final = await asyncio.wait_for(rig.service.wait_finished(job.job_id), WAIT)
    assert final.files[0].state == FileState.COMPLETED, final.files[0].error_message
    second = fake.submits()[1]
    assert len(fake.submits()) == 2 and not second.answer_cut
    assert final.files[0].request_id == second.request_id
    assert rig.service.unconfirmed_jobs() == []


async def test_every_submit_disables_fallbacks_and_every_upload_expires(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    week = FAL.model_copy(update={"fal_retention": "7d"})
    await rig.run(photos(tmp_path, "a.png", "b.png"))
    await rig.run(photos(tmp_path, "c.png"), week)
    await rig.run(photos(tmp_path, "d.png"), FAL.model_copy(update={"fal_retention": "account"}))
    submits = fake.submits()
    assert len(submits) == 4
    assert all(s.disables_fallbacks for s in submits), [s.headers for s in submits]
    lifecycles = dict(fake.upload_lifecycles())
    assert lifecycles == {
        "a.png": {"expiration_duration_seconds": 86_400},
        "b.png": {"expiration_duration_seconds": 86_400},
        "c.png": {"expiration_duration_seconds": 604_800},
        "d.png": None,
    }


async def test_what_a_request_cost_is_read_from_fals_billing(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    fake.set_price(TRIPO, 0.012, "credits")
    job = await rig.run(photos(tmp_path, "lamp.png", "vase.png"))
    job = await rig.service.settle_costs(job.job_id, 20)
    billed = {e.request_id: e.usd for e in fake.billing_events()}
    for item in job.files:
        assert item.state == FileState.COMPLETED
        assert item.request_id is not None
        assert item.spent_usd == pytest.approx(billed[item.request_id]) == 0.36
    summary = batch_summary(job)
    assert summary["spent_usd"] == pytest.approx(0.72)
    assert [r["spent_usd"] for r in summary["results"]] == [0.36, 0.36]


async def test_a_key_that_may_not_read_billing_never_slows_or_fails_the_batch(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    fake.billing_access = False
    job = await rig.run(photos(tmp_path, "one.png", "two.png"))
    job = await rig.service.settle_costs(job.job_id, 20)
    assert job.status == "completed"
    assert [f.spent_usd for f in job.files] == [None, None]
    assert [f.estimated_usd for f in job.files] == [0.3, 0.3]
    asked = len(fake.log("billing_events"))
    assert 1 <= asked <= 2  # the two files may ask at once, before the first refusal
    later = await rig.run(photos(tmp_path, "three.png"))
    await rig.service.settle_costs(later.job_id, 20)
    assert len(fake.log("billing_events")) == asked, "a key refused once is not asked again"
    balance = await rig.service.account_balance()
    assert balance.usd is None and balance.reason is not None
    assert "admin key" in balance.reason and fake.key not in balance.reason


async def test_a_late_bill_is_read_quietly_later(tmp_path: Path, fake: FakeFal) -> None:
    fake.billing_lag_seconds = 1.5
    paths = LibraryPaths(tmp_path / "lib")
    paths.root.mkdir(parents=True)
    store = Store.open(paths.database)
    service = JobService(
        store,
        paths,
        Settings(engine="fal"),
        lambda name: FalEngine(key=fake.key),
        has_fal_key=lambda: True,
        cost_read_delays=(0.5,) * 8,
        inspect_model=model_stats,
    )
    try:
        photo = make_photo(tmp_path / "late.png", 96)
        job = await service.submit([StagedInput(photo, photo.name, 1, "image/png")], FAL)
        job = await asyncio.wait_for(service.wait_finished(job.job_id), WAIT)
        assert job.files[0].spent_usd is None  # the batch did not wait for the bill
        job = await service.settle_costs(job.job_id, 20)
        assert job.files[0].spent_usd == 0.3
        assert len(fake.log("billing_events")) >= 2
    finally:
        await service.aclose()
        store.close()


async def test_the_account_balance(rig: Rig, fake: FakeFal) -> None:
    fake.balance_usd = 12.75
    balance = await rig.service.account_balance()
    assert balance.usd == 12.75 and balance.reason is None


async def test_prices_from_fals_pricing_endpoint_say_where_they_come_from(
    rig: Rig, fake: FakeFal
) -> None:
    asked = FAL.model_copy(update={"texture": "HD"})
    assert rig.service.estimate_cost(asked, 1) == 0.4
    assert rig.service.price_source(asked) == "table of 2026-12-01"
    fake.set_price(TRIPO, 0.015, "credits")
    fake.set_price("fal-ai/trellis-2", 2.0, "megapixels")  # a unit the table does not count
    await rig.service.refresh_prices("fal")
    assert rig.service.estimate_cost(asked, 2) == 1.2
    assert rig.service.price_source(asked) == "FAL, today"
    trellis = FAL.model_copy(update={"model": "trellis-2"})
    assert rig.service.estimate_cost(trellis, 1) == 0.3
    assert rig.service.price_source(trellis) == "table of 2026-12-01"
    # Kept in the library: the next run without network still knows them.
    assert (rig.root / "fal-prices.json").is_file()
    later = FalEngine(key=fake.key, data_dir=rig.root)
    assert later.estimate_cost(asked, 1) == 0.6 and later.price_source(asked) == "FAL, today"


async def test_streams_are_closed_by_the_code_that_opened_them(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    """No async generator of the FAL path is left to the garbage collector (which closes
    it from another task: the window printed ~2 tracebacks a file)."""
    left: list[str] = []
    hooks = sys.get_asyncgen_hooks()

    def finalizer(agen: Any) -> None:
        left.append(agen.__qualname__)
        if hooks.finalizer is not None:
            hooks.finalizer(agen)

    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finalizer)
    try:
        names = [f"p{i}.png" for i in range(6)] + ["cut_streamdrops.png"]
        job = await rig.run(photos(tmp_path, *names))
        assert job.status == "completed"
        gc.collect()
    finally:
        sys.set_asyncgen_hooks(*hooks)
    assert fake.status_stream_count() >= 7
    assert left == []


async def test_a_photo_in_a_running_batch_is_paid_once_when_the_app_quits_mid_submit(
    tmp_path: Path, fake: FakeFal
) -> None:
    """The unconfirmed state survives a restart: the file is not resumed, not resubmitted."""
    root = tmp_path / "lib"
    first = Rig(root, fake)
    job = await first.run(photos(tmp_path, "mug_submitcut.png"))
    await first.runtime.aclose()
    second = Rig(root, fake)
    try:
        assert await second.service.start() == []
        item = second.service.get_job(job.job_id).files[0]
        assert item.state == FileState.UNCONFIRMED
        assert len(fake.submits()) == 1
    finally:
        await second.runtime.aclose()


@pytest.mark.parametrize("times", [2])
async def test_a_resend_whose_answer_is_cut_again_waits_again(
    rig: Rig, fake: FakeFal, tmp_path: Path, times: int
) -> None:
    photo = make_photo(tmp_path / "bowl.png", 96)
    fake.plan(Scenario(kind="submit_answer_cut", times=times), path=photo)
    job = await rig.run([photo])
    await rig.service.resend(job.job_id)
    final = await asyncio.wait_for(rig.service.wait_finished(job.job_id), WAIT)
    assert final.files[0].state == FileState.UNCONFIRMED
    assert len(fake.submits()) == 2
