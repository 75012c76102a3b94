"""Helpers of the reliability suite (a unique module name: every folder has a conftest).

``FalRig`` is the headless app in this process: a real library (SQLite store,
job folders), the real ``JobService`` and ``FalEngine`` on the real
fal-client, pointed at the loopback ``FakeFal``. ``library_leftovers`` finds
what a crash or a failed write must never leave behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from testkit import open_test_runtime

from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.service import StagedInput
from image2model_desktop.engines.fal.engine import FalEngine
from image2model_desktop.engines.fal.timeouts import FalTimeouts
from tests.fakefal import FakeFal

FAL = JobParameters(engine="fal", face_limit=8000, texture="standard")
WAIT = 60.0
GLB_MAGIC = b"glTF"


class FalRig:
    """The app without a front end, on ``root``, talking to ``fake``."""

    def __init__(
        self, root: Path, fake: FakeFal, timeouts: FalTimeouts, **settings: object
    ) -> None:
        self.fake = fake
        #: Read when the engine is made (at the first file): a test may shorten one first.
        self.timeouts = timeouts
        self.runtime = open_test_runtime(
            root,
            lambda name: FalEngine(key=fake.key, timeouts=self.timeouts),
            hold_on_balance=False,
            **settings,
        )
        self.paths = self.runtime.paths
        self.service = self.runtime.service

    async def run(self, photos: Sequence[Path], parameters: JobParameters = FAL) -> Job:
        entries = [StagedInput(p, p.name, p.stat().st_size, "image/png") for p in photos]
        job = await self.service.submit(entries, parameters)
        return await asyncio.wait_for(self.service.wait_finished(job.job_id), WAIT)

    async def close(self) -> None:
        await self.runtime.aclose()


def library_leftovers(root: Path) -> list[Path]:
    """Partial files and empty files under the library's job folders."""
    jobs = root / "jobs"
    if not jobs.exists():
        return []
    return sorted(
        p
        for p in jobs.rglob("*")
        if p.is_file() and (p.name.endswith(".part") or p.stat().st_size == 0)
    )


def saved_states(database: Path) -> dict[str, tuple[str, str | None, str | None]]:
    """Read the store from disk, as the next start would: filename → (state, code, message)."""
    db = sqlite3.connect(database)
    try:
        rows = db.execute("SELECT filename, state, error_code, error_message FROM files").fetchall()
    finally:
        db.close()
    return {name: (state, code, message) for name, state, code, message in rows}


def assert_model_intact(path: Path, expected_size: int | None = None) -> None:
    """A finished model is a whole GLB: right magic, declared length, expected size."""
    data = path.read_bytes()
    assert data[:4] == GLB_MAGIC, f"{path.name} is not a GLB"
    declared = int.from_bytes(data[8:12], "little")
    assert declared == len(data), f"{path.name}: header says {declared} B, file has {len(data)} B"
    if expected_size is not None:
        assert len(data) == expected_size, f"{path.name}: {len(data)} B, FAL sent {expected_size} B"
