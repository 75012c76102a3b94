"""A short soak in CI (bench/soak.py is the long one): batches in a row leave nothing behind.

After each batch: every file completed, no partial or staging file, no file
task still running, and the job engine holds no finished batch in memory (the
library on disk has them; a long session must not grow with its history).
File descriptors and threads are measured by the bench, out of process: here
the fake FAL's own server threads and sockets share the process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from faultrig import FalRig, library_leftovers
from testkit import make_photo

from tests.fakefal import FakeFal

pytestmark = pytest.mark.asyncio
BATCHES, FILES = 3, 8


async def test_batches_in_a_row_leave_nothing_behind(
    rig: FalRig, fake: FakeFal, tmp_path: Path
) -> None:
    for batch in range(BATCHES):
        # New pixels in every batch: the same photos again would reuse the paid models.
        size = 64 + 40 * batch
        photos = [make_photo(tmp_path / f"soak{batch}_{i}.png", size + i) for i in range(FILES)]
        job = await rig.run(photos)
        assert job.completed_count == FILES, [f.error_message for f in job.files]
        await asyncio.sleep(0)  # let the file tasks that just ended be reaped
        assert library_leftovers(rig.paths.root) == []
        staging = rig.paths.staging
        assert not staging.exists() or not list(staging.iterdir())
        names = {t.get_name() for t in asyncio.all_tasks()}
        assert not names & {f"file-{f.file_id}" for f in job.files}
        # Finished batches live in the library, not in the engine's memory.
        assert rig.service.running_job_ids() == []
        assert rig.service.get_job(job.job_id).completed_count == FILES
    assert len(fake.submits()) == BATCHES * FILES
