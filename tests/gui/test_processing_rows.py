"""The processing list builds a big batch's rows a few per loop turn, losing no update."""

from __future__ import annotations

import shutil
from pathlib import Path

from testkit import until

from image2model_desktop.core.states import FileState
from image2model_desktop.gui.processing.page import FIRST_ROWS
from image2model_desktop.gui.shell.header import Phase

from .conftest import GatedEngine


def test_rows_of_a_full_batch_are_built_over_several_turns(
    open_window, run, photos, model_glb, tmp_path: Path
) -> None:
    many = tmp_path / "many"
    many.mkdir()
    batch = [shutil.copy(photos[i % len(photos)], many / f"photo_{i:02d}.jpg") for i in range(25)]
    harness = open_window(GatedEngine(model_glb), with_3d=False)
    window, upload = harness.window, harness.window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    run(upload.add_paths([Path(p) for p in batch]))
    upload.generate_button.click()
    run(
        until(
            lambda: window.header.phase == Phase.PROCESSING, timeout=10, what="the processing page"
        )
    )
    processing = window.processing
    job = window.runtime.service.get_job(processing.job_id)
    assert len(job.files) == 25

    # Shown again from scratch: only the first screenful exists before the loop turns.
    processing.show_job(job)
    assert processing.list.count() == FIRST_ROWS
    last = job.files[-1]
    failed = last.model_copy(
        update={"state": FileState.FAILED, "error_message": "Kept while unbuilt."}
    )
    processing.on_file_updated(failed)

    run(until(lambda: processing.list.count() == 25, timeout=10, what="all 25 rows"))
    row = processing.row(last.file_id)
    assert row.state.text() == "Failed"
    assert row.message.text() == "Kept while unbuilt."
    # The list's order is the batch's order.
    names = [processing.list.itemWidget(processing.list.item(i)).name.text() for i in range(25)]
    assert names == [f.filename for f in job.files]


def test_asking_for_a_row_builds_it_at_once(open_window, run, photos, model_glb) -> None:
    harness = open_window(GatedEngine(model_glb), with_3d=False)
    window, upload = harness.window, harness.window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    run(upload.add_paths(photos))
    upload.generate_button.click()
    run(
        until(
            lambda: window.header.phase == Phase.PROCESSING, timeout=10, what="the processing page"
        )
    )
    processing = window.processing
    job = window.runtime.service.get_job(processing.job_id)
    processing.show_job(job)
    assert [r.file_id for r in processing.rows()] == [f.file_id for f in job.files]
