"""Reuse instead of paying twice, against the FAL fake: the same photo is submitted once.

Real fal-client, real store and files; the fake counts every accepted submit.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image
from testkit import make_photo, open_test_runtime, subprocess_env

from image2model_desktop.core.intake import check_photo
from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.reuse import pixel_hash
from image2model_desktop.core.service import StagedInput
from image2model_desktop.core.states import FileState
from image2model_desktop.core.summary import batch_summary
from image2model_desktop.engines.fal.engine import FalEngine
from tests.fakefal import FakeFal

pytestmark = pytest.mark.fal_fake(generation_seconds=0.5)

CLI = [sys.executable, "-m", "image2model_desktop"]
FAL = JobParameters(engine="fal", face_limit=8000, texture="HD")
WAIT = 60.0


class Rig:
    """The application's wiring on a real library, its FAL engine talking to the fake."""

    def __init__(self, root: Path, fake: FakeFal) -> None:
        self.fake = fake
        self.runtime = open_test_runtime(root, self._engine, hold_on_balance=False)
        self.paths = self.runtime.paths
        self.service = self.runtime.service

    def _engine(self, name: str) -> FalEngine:
        return FalEngine(key=self.fake.key)

    async def run(
        self, photos: list[Path], parameters: JobParameters = FAL, *, reuse: bool = True
    ) -> Job:
        entries = [check_photo(p) for p in photos]
        job = await self.service.submit(entries, parameters, reuse=reuse)
        return await asyncio.wait_for(self.service.wait_finished(job.job_id), WAIT)

    async def close(self) -> None:
        await self.runtime.aclose()


@pytest_asyncio.fixture
async def rig(tmp_path: Path, fake: FakeFal) -> AsyncIterator[Rig]:
    r = Rig(tmp_path / "lib", fake)
    yield r
    await r.close()


def model_bytes(rig: Rig, job: Job, index: int) -> bytes:
    item = job.files[index]
    assert item.output is not None
    return (rig.paths.outputs(job.job_id) / item.output.model_filename).read_bytes()


@pytest.mark.asyncio
async def test_same_photo_twice_in_a_batch_is_submitted_once(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    chair = make_photo(tmp_path / "chair.png", 96)
    copy = Path(shutil.copy(chair, tmp_path / "renamed.png"))
    other = make_photo(tmp_path / "table.png", 96)
    entries = [check_photo(p) for p in (chair, copy, other)]
    assert rig.service.planned_submissions(entries, FAL) == 2
    job = await rig.run([chair, copy, other])

    assert len(fake.submits()) == 2
    assert [f.state for f in job.files] == [FileState.COMPLETED] * 3
    first, second, third = job.files
    assert second.output is not None and second.output.reused_from is not None
    assert second.output.reused_from.file_id == first.file_id
    assert second.output.processing_time == 0.0
    assert second.model == first.model == "tripo-v2.5"
    assert second.message.startswith(f"Reused from batch {job.job_id[:8]} of ")
    assert third.output is not None and third.output.reused_from is None
    # Its own copy, under its own name, with the same model inside.
    assert second.output.model_filename == "renamed.glb"
    assert model_bytes(rig, job, 1) == model_bytes(rig, job, 0)
    # A reused model took no time: the engine's recent durations leave it out.
    assert len(rig.runtime.store.recent_durations("fal")) == 2
    # The API reports it like a completed file, with where it came from.
    results = batch_summary(job)["results"]
    assert results[1]["status"] == "completed"
    assert results[1]["reused_from"]["job_id"] == job.job_id
    assert results[1]["reused_from"]["filename"] == "chair.png"
    assert results[0]["reused_from"] is None


@pytest.mark.asyncio
async def test_reuse_after_a_restart_and_only_for_the_same_request(
    tmp_path: Path, fake: FakeFal
) -> None:
    chair = make_photo(tmp_path / "chair.png", 96)
    first = Rig(tmp_path / "lib", fake)
    try:
        made = await first.run([chair])
    finally:
        await first.close()
    assert len(fake.submits()) == 1

    again = Rig(tmp_path / "lib", fake)  # a new process's view of the same library
    try:
        job = await again.run([chair])
        assert len(fake.submits()) == 1
        origin = job.files[0].output.reused_from  # type: ignore[union-attr]
        assert origin is not None and origin.job_id == made.job_id
        assert origin.job_created == made.created
        # A copy of a copy still names the batch that paid.
        third = await again.run([chair])
        assert third.files[0].output.reused_from == origin  # type: ignore[union-attr]
        # Other parameters are another request: paid for.
        await again.run([chair], FAL.model_copy(update={"face_limit": 5000}))
        assert len(fake.submits()) == 2
        # A seed the first batch did not name is another request too; no seed takes any.
        await again.run([chair], FAL.model_copy(update={"seed": 11}))
        assert len(fake.submits()) == 3
        seeded = await again.run([chair], FAL.model_copy(update={"seed": 11}))
        assert len(fake.submits()) == 3
        assert seeded.files[0].output.reused_from is not None  # type: ignore[union-attr]
    finally:
        await again.close()


@pytest.mark.asyncio
async def test_a_re_encoded_copy_is_reused_a_lossy_one_is_not(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    chair = make_photo(tmp_path / "chair.jpg", 128)
    with Image.open(chair) as image:
        upright = image.convert("RGB")
    # The same pixels saved as PNG under another name (a lossless re-save).
    resaved = tmp_path / "export.png"
    upright.save(resaved)
    # Stored turned on its side with an EXIF orientation that turns it back.
    sideways = tmp_path / "sideways.png"
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed turned 90° clockwise
    upright.transpose(Image.Transpose.ROTATE_90).save(sideways, exif=exif)
    # A lossy re-encode: other pixels for the generator.
    lossy = tmp_path / "lossy.jpg"
    upright.save(lossy, quality=60)
    assert pixel_hash(resaved) == pixel_hash(chair) == pixel_hash(sideways)
    assert pixel_hash(lossy) != pixel_hash(chair)

    await rig.run([chair])
    job = await rig.run([resaved, sideways])
    assert len(fake.submits()) == 1
    assert all(f.output and f.output.reused_from for f in job.files)
    await rig.run([lossy])
    assert len(fake.submits()) == 2


@pytest.mark.asyncio
async def test_no_reuse_and_generate_again_submit_with_a_new_seed(
    rig: Rig, fake: FakeFal, tmp_path: Path
) -> None:
    chair = make_photo(tmp_path / "chair.png", 96)
    made = await rig.run([chair])
    forced = await rig.run([chair], reuse=False)
    assert len(fake.submits()) == 2
    assert forced.files[0].output is not None and forced.files[0].output.reused_from is None

    again = await rig.service.generate_again(made.job_id, made.files[0].file_id)
    assert again.job_id != made.job_id and again.parameters.seed is not None
    again = await asyncio.wait_for(rig.service.wait_finished(again.job_id), WAIT)
    assert again.files[0].state == FileState.COMPLETED
    assert len(fake.submits()) == 3
    assert fake.submits()[-1].arguments.get("seed") == again.parameters.seed
    # The window hands photos over without a hash: the runner hashes them itself.
    bare = StagedInput(chair, "window.png", chair.stat().st_size, "image/png")
    job = await rig.service.submit([bare], FAL)
    job = await asyncio.wait_for(rig.service.wait_finished(job.job_id), WAIT)
    assert job.files[0].pixel_hash == pixel_hash(chair)
    assert job.files[0].output is not None and job.files[0].output.reused_from is not None
    assert len(fake.submits()) == 3


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_cli_acceptance_two_runs_and_a_batch_with_the_photo_twice(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path
) -> None:
    chair = make_photo(tmp_path / "chair.jpg", 128)
    twice = tmp_path / "twice"
    twice.mkdir()
    shutil.copy(chair, twice / "chair.jpg")
    shutil.copy(chair, twice / "chair (copy).jpg")
    env = subprocess_env(**fake.env())

    first = run_cli(env, "generate", str(chair), "--engine", "fal")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Estimated cost: $0.30 for 1 models" in first.stdout
    second = run_cli(env, "generate", str(chair), "--engine", "fal")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Estimated cost: $0.00 for 0 models; 1 reused for free" in second.stdout
    assert "(Reused from batch " in second.stdout and "; $0)" in second.stdout
    assert "1 model reused from earlier work: nothing submitted, $0 charged" in second.stdout
    batch = run_cli(env, "generate", str(twice), "--engine", "fal")
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert "2 successful" in batch.stdout and "2 models reused" in batch.stdout
    assert len(fake.submits()) == 1

    forced = run_cli(env, "generate", str(chair), "--engine", "fal", "--no-reuse")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "Estimated cost: $0.30 for 1 models" in forced.stdout
    assert "Reused" not in forced.stdout
    assert len(fake.submits()) == 2
