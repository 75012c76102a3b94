"""The results page's versions (issue 22): Remesh… prices the request before sending it,
the new version appears beside the original and the two are compared under one camera;
Save as saves the chosen version, and FAL's own files are saved as they came.

The window runs the real FAL engine against the loopback fake. With ``VERSIONS_SHOT``
set to a folder, the compare view is saved there as ``compare-original-remeshed.png``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest
from testkit import make_photo, until

from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.service import StagedInput
from image2model_desktop.gui.qt import QApplication
from image2model_desktop.gui.shell.header import Phase

pytestmark = pytest.mark.fal_fake(generation_seconds=0.3)

WAIT = 60.0


def test_remesh_makes_a_version_compared_with_the_original(open_window, run, fake, tmp_path):
    window = open_window().window
    service = window.service
    photo = make_photo(tmp_path / "duck.png", 128)
    entry = StagedInput(photo, photo.name, photo.stat().st_size, "image/png")
    job = run(service.submit([entry], JobParameters(engine="fal")))
    job = run(asyncio.wait_for(service.wait_finished(job.job_id), WAIT))
    window.resize(1400, 900)
    window.set_phase(Phase.RESULTS)
    results = window.results
    results.show_job(job)
    run(until(lambda: results.preview.model is not None, timeout=30, what="the model"))
    strip = results.versions
    assert [strip.version.itemText(i) for i in range(strip.version.count())] == ["v1 · generated"]

    strip.remesh_button.click()
    dialog = strip.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.quad.setChecked(True)
    dialog.faces.setValue(5000)
    dialog.formats["fbx"].setChecked(True)
    # Priced before anything is sent: the button says what it costs.
    run(until(lambda: dialog.ok_button.isEnabled(), timeout=30, what="the price"))
    assert "Estimated cost: $0.20" in dialog.price.text()
    assert dialog.ok_button.text() == "Remesh (about $0.20)"
    assert fake.submits_to("fal-ai/meshy/v5/remesh") == []
    dialog.ok_button.click()

    run(until(lambda: strip.version.count() == 2, timeout=WAIT, what="version 2 listed"))
    run(until(lambda: results.preview.comparing, timeout=30, what="the side-by-side view"))
    (submit,) = fake.submits_to("fal-ai/meshy/v5/remesh")
    assert (submit.arguments["topology"], submit.arguments["target_polycount"]) == ("quad", 5000)
    assert "v2 · remeshed (meshy-remesh)" in results.stats.text()
    assert "v1 · generated" in results.stats.text()
    assert strip.chosen().version == 2 and strip.compared().version == 1
    assert "is ready" in results.notice.text()

    view = results.preview.view
    drawn = view.frames
    run(until(lambda: view.frames > drawn or view.frames > 0, timeout=10, what="a frame"))
    pixels = view.screenshot()
    half = pixels.shape[1] // 2
    # Both halves show a model: the original cube on one side, the remeshed sphere on the other.
    for side in (pixels[:, :half], pixels[:, half:]):
        background = side[2, 2, :3].astype(int)
        assert (np.abs(side[..., :3].astype(int) - background).sum(axis=2) > 40).mean() > 0.02
    shots = os.environ.get("VERSIONS_SHOT")
    if shots:
        run(asyncio.sleep(0.5))
        QApplication.processEvents()
        # QWidget.grab includes the 3D view's pixels (docs/architecture.md, the native host).
        picture = window.grab()
        Path(shots).mkdir(parents=True, exist_ok=True)
        assert picture.save(str(Path(shots) / "compare-original-remeshed.png"))

    # FAL's own FBX, saved as it came (the menu says where each file comes from).
    labels = [action.text() for action in strip.files_menu.actions()]
    assert any(label.startswith("FBX") and "as FAL gave it" in label for label in labels)
    dest = tmp_path / "duck.v2.fbx"
    strip.ask_save_path = lambda suggested, suffix: dest
    fbx = next(a for a in strip.files_menu.actions() if a.text().startswith("FBX"))
    fbx.trigger()
    (served,) = [f.data for f in fake._state.files.values() if f.name.endswith(".fbx")]
    assert dest.read_bytes() == served

    # Save as saves the chosen version: version 1 again, alone.
    strip.choose(1)
    run(until(lambda: not results.preview.comparing, timeout=30, what="one model again"))
    assert strip.chosen().version == 1


def test_the_library_names_a_version_by_its_photo_and_what_made_it() -> None:
    from image2model_desktop.core.models import FileItem, Job
    from image2model_desktop.gui.shell.library import batch_title

    def job(item: FileItem) -> Job:
        return Job(
            job_id="j",
            task_id="t",
            created=0.0,
            parameters=JobParameters(),
            engine="fal",
            files=(item,),
        )

    original = FileItem(
        file_id="a",
        job_id="j",
        position=0,
        filename="duck.png",
        input_name=None,
        output_stem="duck",
    )
    remeshed = original.model_copy(
        update={"file_id": "b", "parent_file_id": "a", "version": 2, "model": "meshy-remesh"}
    )
    assert batch_title(job(original)) == "duck.png"
    assert batch_title(job(remeshed)) == "duck.png · v2 · remeshed"
