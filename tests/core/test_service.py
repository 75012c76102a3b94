"""The job engine against a real store and real files, with a scripted generator."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from engines_for_tests import ScriptedEngine
from testkit import next_event, open_test_runtime, photo_variant, until

from image2model_desktop.core.errors import AuthError, BalanceError, EngineError
from image2model_desktop.core.events import Event, FileUpdated, JobFinished, JobProgress
from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.paths import LibraryPaths
from image2model_desktop.core.service import RejectedInput, StagedInput
from image2model_desktop.core.states import FileState
from image2model_desktop.core.store import Store

pytestmark = pytest.mark.asyncio
OFFLINE = JobParameters(engine="offline")
WAIT = 30.0


class Harness:
    """The application's wiring on a real library, with the scripted engine."""

    def __init__(self, root: Path, engine: ScriptedEngine, **settings: object) -> None:
        self.engine = engine
        #: Engine names in the order the service asked for an engine.
        self.made: list[str] = []
        self.runtime = open_test_runtime(root, self._make, **settings)
        self.paths = self.runtime.paths
        self.service = self.runtime.service
        self.events: list[Event] = []
        self.service.on_event(self.events.append)

    def _make(self, name: str) -> ScriptedEngine:
        self.made.append(name)
        return self.engine

    async def close(self) -> None:
        await self.runtime.aclose()


@pytest_asyncio.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path / "lib", ScriptedEngine())
    yield h
    await h.close()


def entries(photo: Path, names: list[str]) -> list[StagedInput | RejectedInput]:
    # One photo per name: the same photo twice would be generated once (core.reuse).
    variants = [photo_variant(photo, i) for i in range(len(names))]
    pairs = zip(variants, names, strict=True)
    return [StagedInput(p, name, p.stat().st_size, "image/png") for p, name in pairs]


async def run_batch(h: Harness, photo: Path, names: list[str]) -> str:
    job = await h.service.submit(entries(photo, names), OFFLINE)
    await asyncio.wait_for(h.service.wait_finished(job.job_id), WAIT)
    return job.job_id


async def test_batch_completes_with_monotonic_progress(harness: Harness, photo: Path) -> None:
    job_id = await run_batch(harness, photo, ["a.png", "b.png", "a.png"])
    job = harness.service.get_job(job_id)
    assert job.status == "completed"
    assert [f.output_stem for f in job.files] == ["a", "b", "a_2"]
    for item in job.files:
        assert item.output is not None and item.output.face_count == 12
        assert (harness.paths.outputs(job_id) / item.output.model_filename).is_file()
    per_file: dict[str, list[float]] = {}
    overall: list[float] = []
    for event in harness.events:
        if isinstance(event, FileUpdated):
            per_file.setdefault(event.file.file_id, []).append(event.file.progress)
        elif isinstance(event, JobProgress):
            overall.append(event.progress)
    for values in per_file.values():
        assert values == sorted(values), values
        assert values[-1] == 100.0
    assert overall == sorted(overall) and overall[-1] == 100.0
    seqs = [e.seq for e in harness.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert isinstance(harness.events[-1], JobFinished)


async def test_every_event_is_in_the_store_before_it_is_published(
    harness: Harness, photo: Path
) -> None:
    reader = sqlite3.connect(harness.paths.database)
    mismatches: list[str] = []

    def check(event: Event) -> None:
        if isinstance(event, FileUpdated):
            row = reader.execute(
                "SELECT state, progress, request_id FROM files WHERE file_id = ?",
                (event.file.file_id,),
            ).fetchone()
            seen = (event.file.state.value, event.file.progress, event.file.request_id)
            if row != seen:
                mismatches.append(f"store {row} != event {seen}")

    harness.engine.request_ids = True
    harness.service.on_event(check)
    await run_batch(harness, photo, ["a.png", "b.png"])
    reader.close()
    assert mismatches == []


async def test_concurrency_is_bounded(tmp_path: Path, photo: Path) -> None:
    h = Harness(tmp_path / "lib", ScriptedEngine(gate=asyncio.Event()), concurrency=2)
    try:
        job = await h.service.submit(entries(photo, [f"{i}.png" for i in range(6)]), OFFLINE)
        await asyncio.wait_for(h.engine.started.wait(), WAIT)
        # Photos are hashed one after another (core.reuse): the second starts a little later.
        await until(lambda: h.service.in_flight("offline") == 2, timeout=WAIT, what="2 running")
        h.engine.gate.set()  # type: ignore[union-attr]
        await asyncio.wait_for(h.service.wait_finished(job.job_id), WAIT)
        assert h.engine.max_running == 2
        assert h.service.get_job(job.job_id).completed_count == 6
    finally:
        await h.close()


async def test_cancel_one_file_keeps_the_others(tmp_path: Path, photo: Path) -> None:
    h = Harness(tmp_path / "lib", ScriptedEngine(gate=asyncio.Event(), request_ids=True))
    try:
        job = await h.service.submit(entries(photo, ["a.png", "b.png"]), OFFLINE)
        await asyncio.wait_for(h.engine.started.wait(), WAIT)
        assert h.service.cancel_file(job.files[0].file_id)
        h.engine.gate.set()  # type: ignore[union-attr]
        final = await asyncio.wait_for(h.service.wait_finished(job.job_id), WAIT)
        assert [f.state for f in final.files] == [FileState.CANCELLED, FileState.COMPLETED]
        assert h.engine.remote_cancels == ["a.png"]
        assert final.status == "partially_completed"
        assert not h.service.cancel_file(job.files[0].file_id)
    finally:
        await h.close()


async def test_cancel_whole_batch_including_waiting_files(tmp_path: Path, photo: Path) -> None:
    h = Harness(tmp_path / "lib", ScriptedEngine(gate=asyncio.Event()), concurrency=1)
    try:
        job = await h.service.submit(entries(photo, ["a.png", "b.png", "c.png"]), OFFLINE)
        await asyncio.wait_for(h.engine.started.wait(), WAIT)
        assert h.service.cancel_job(job.job_id) == 3
        final = await asyncio.wait_for(h.service.wait_finished(job.job_id), WAIT)
        assert {f.state for f in final.files} == {FileState.CANCELLED}
        assert final.status == "cancelled"
        assert h.engine.runs == ["a.png"]
    finally:
        await h.close()


async def test_failure_is_one_sentence_and_retry_runs_only_failed(
    harness: Harness, photo: Path
) -> None:
    harness.engine.errors["bad.png"] = EngineError("FAL could not use this image: too dark.")
    job_id = await run_batch(harness, photo, ["good.png", "bad.png"])
    job = harness.service.get_job(job_id)
    assert job.status == "partially_completed"
    bad = job.files[1]
    assert bad.state == FileState.FAILED
    assert bad.error_message == "FAL could not use this image: too dark."
    del harness.engine.errors["bad.png"]
    harness.engine.runs.clear()
    task_id = await harness.service.retry(job_id)
    assert task_id is not None and task_id != job.task_id
    final = await asyncio.wait_for(harness.service.wait_finished(job_id), WAIT)
    assert final.status == "completed"
    assert harness.engine.runs == ["bad.png"]
    assert await harness.service.retry(job_id) is None
    found = harness.service.find_task(task_id)
    assert found is not None and found[1] == [bad.file_id]


async def test_rejected_key_stops_the_rest_of_the_batch(tmp_path: Path, photo: Path) -> None:
    engine = ScriptedEngine()
    engine.errors["a.png"] = AuthError("FAL rejected the API key — set a valid key.")
    h = Harness(tmp_path / "lib", engine, concurrency=1)
    try:
        job_id = await run_batch(h, photo, ["a.png", "b.png", "c.png"])
        job = h.service.get_job(job_id)
        assert h.engine.runs == ["a.png"]
        assert {f.error_code for f in job.files} == {"AUTH"}
        messages = {f.error_message for f in job.files}
        assert messages == {"FAL rejected the API key — set a valid key."}
    finally:
        await h.close()


async def test_balance_error_holds_the_batch_until_released(tmp_path: Path, photo: Path) -> None:
    engine = ScriptedEngine()
    engine.errors["a.png"] = BalanceError("Your FAL balance is exhausted — top up, then resume.")
    h = Harness(tmp_path / "lib", engine, concurrency=1)
    try:
        job = await h.service.submit(entries(photo, ["a.png", "b.png"]), OFFLINE)
        await next_event(
            h.service,
            lambda e: isinstance(e, FileUpdated) and e.file.message.startswith("Waiting:"),
            WAIT,
        )
        assert h.service.get_job(job.job_id).files[1].state == FileState.PENDING
        assert h.engine.runs == ["a.png"]
        h.service.release_hold("offline")
        final = await asyncio.wait_for(h.service.wait_finished(job.job_id), WAIT)
        assert [f.state for f in final.files] == [FileState.FAILED, FileState.COMPLETED]
    finally:
        await h.close()


async def test_timeout_cancels_remotely_and_fails(tmp_path: Path, photo: Path) -> None:
    h = Harness(
        tmp_path / "lib",
        ScriptedEngine(gate=asyncio.Event(), request_ids=True),
        file_timeout_seconds=0.5,
    )
    try:
        job_id = await run_batch(h, photo, ["slow.png"])
        item = h.service.get_job(job_id).files[0]
        assert item.state == FileState.FAILED and item.error_code == "TIMEOUT"
        assert "Timed out" in (item.error_message or "")
        assert h.engine.remote_cancels == ["slow.png"]
    finally:
        await h.close()


async def test_disk_errors_become_a_sentence(harness: Harness, photo: Path) -> None:
    harness.engine.errors["full.png"] = OSError(28, "No space left on device")  # type: ignore[assignment]
    job_id = await run_batch(harness, photo, ["full.png"])
    item = harness.service.get_job(job_id).files[0]
    assert item.error_code == "OUTPUT"
    assert item.error_message is not None
    assert "No space left on device" in item.error_message
    assert "Traceback" not in item.error_message


async def test_rejected_inputs_join_the_batch_as_failed(harness: Harness, photo: Path) -> None:
    batch = [
        *entries(photo, ["ok.png"]),
        RejectedInput("bad.jpg", "bad.jpg: the file is empty"),
    ]
    job = await harness.service.submit(batch, OFFLINE)
    final = await asyncio.wait_for(harness.service.wait_finished(job.job_id), WAIT)
    assert [f.state for f in final.files] == [FileState.COMPLETED, FileState.FAILED]
    assert final.files[1].error_code == "INVALID_IMAGE"
    assert final.files[1].input_name is None


async def test_late_subscriber_gets_the_current_state_first(harness: Harness, photo: Path) -> None:
    job_id = await run_batch(harness, photo, ["a.png", "b.png"])
    sub = harness.service.subscribe(job_id)
    kinds = []
    while (event := await sub.get(timeout=0.2)) is not None:
        kinds.append(event.kind)
    sub.close()
    assert kinds == ["file_updated", "file_updated", "job_progress", "job_finished"]


async def test_restart_resumes_by_request_id_and_restarts_unpaid(
    tmp_path: Path, photo: Path
) -> None:
    root = tmp_path / "lib"
    first = Harness(root, ScriptedEngine(gate=asyncio.Event(), request_ids=True), concurrency=1)
    job = await first.service.submit(entries(photo, ["paid.png", "unpaid.png"]), OFFLINE)
    await asyncio.wait_for(first.engine.started.wait(), WAIT)
    # Leave the way a crash would: nothing is marked finished.
    await first.close()
    stored = Store.open(LibraryPaths(root).database)
    states = {f.filename: (f.state, f.request_id) for f in stored.load_job(job.job_id).files}  # type: ignore[union-attr]
    stored.close()
    assert states["paid.png"][0] == FileState.GENERATING and states["paid.png"][1]
    assert states["unpaid.png"] == (FileState.PENDING, None)

    second = Harness(root, ScriptedEngine(request_ids=True))
    try:
        assert await second.service.start() == [job.job_id]
        final = await asyncio.wait_for(second.service.wait_finished(job.job_id), WAIT)
        assert final.status == "completed"
        assert second.engine.resumed == ["paid.png"]
        assert sorted(second.engine.runs) == ["paid.png", "unpaid.png"]
        progress = [
            e.file.progress
            for e in second.events
            if isinstance(e, FileUpdated) and e.file.filename == "paid.png"
        ]
        assert progress == sorted(progress) and progress[0] >= 20.0
    finally:
        await second.close()


async def test_engine_choice(harness: Harness) -> None:
    assert harness.service.resolve_engine("auto") == "fal"
    assert harness.service.resolve_engine("offline") == "offline"


async def test_retry_releases_a_balance_hold(tmp_path: Path, photo: Path) -> None:
    engine = ScriptedEngine()
    engine.errors["a.png"] = BalanceError("Your FAL balance is exhausted — top up, then retry.")
    h = Harness(tmp_path / "lib", engine, concurrency=1)
    try:
        job = await h.service.submit(entries(photo, ["a.png", "b.png"]), OFFLINE)
        await next_event(
            h.service,
            lambda e: isinstance(e, FileUpdated) and e.file.state == FileState.FAILED,
            WAIT,
        )
        del engine.errors["a.png"]
        await h.service.retry(job.job_id)
        final = await asyncio.wait_for(h.service.wait_finished(job.job_id), WAIT)
        assert final.status == "completed"
    finally:
        await h.close()


async def test_reset_engine_builds_a_new_one(harness: Harness) -> None:
    harness.service.estimate_cost(OFFLINE, 1)
    harness.service.estimate_cost(OFFLINE, 1)
    assert harness.made == ["offline"]
    harness.service.reset_engine("offline")
    harness.service.estimate_cost(OFFLINE, 1)
    assert harness.made == ["offline", "offline"]
