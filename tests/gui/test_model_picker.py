"""The upload page's model picker and its "views of one object" slots (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from testkit import until

from image2model_desktop.core.intake import StagedInput
from image2model_desktop.gui.upload.model_choice import MODEL_ROLE

from .test_upload import drop_files


def pick(upload: Any, model: str) -> None:
    combo = upload.parameters.engine
    for index in range(combo.count()):
        if combo.itemData(index, MODEL_ROLE) == model:
            combo.setCurrentIndex(index)
            return
    raise AssertionError(f"{model} is not in the picker")


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "test-key-never-used")


def test_picker_lists_every_model_with_a_line_and_a_price(open_window, with_key) -> None:
    upload = open_window(with_3d=False).window.upload
    combo = upload.parameters.engine
    lines = {combo.itemData(i, MODEL_ROLE): combo.itemText(i) for i in range(combo.count())}
    assert set(lines) >= {"tripo-v2.5", "tripo-h3.1", "tripo-p1", "hunyuan3d-v3", "trellis-2"}
    assert "~$0.30/model" in lines["tripo-v2.5"] and "multiview" in lines["tripo-v2.5"]
    assert "price unknown" in lines["hunyuan3d-v3"]
    assert combo.findData("fal") >= 0  # the default model's entry answers to "fal"


def test_only_the_parameters_a_model_takes_are_shown(open_window, with_key) -> None:
    upload = open_window(with_3d=False).window.upload
    panel = upload.parameters
    pick(upload, "trellis-2")
    assert panel.face_limit.isHidden() and panel.pbr.isHidden()
    assert not panel.seed.isHidden()
    assert "TRELLIS.2" in upload.cost_label.text()
    parameters = panel.parameters()
    assert parameters.model == "trellis-2" and parameters.engine == "fal"
    assert parameters.face_limit is None and parameters.pbr is False
    pick(upload, "hunyuan3d-v3")
    assert panel.seed.isHidden() and not panel.face_limit.isHidden()
    assert panel.parameters().seed is None
    assert "unknown" in upload.cost_label.text()
    pick(upload, "tripo-v2.5")
    assert not panel.face_limit.isHidden() and not panel.pbr.isHidden()
    assert not panel.seed.isHidden()


def test_a_models_own_options_are_shown_and_priced(open_window, with_key) -> None:
    """Issue 22: quad, real size, Rodin's format and pose, Hunyuan's low poly, by policy."""
    upload = open_window(with_3d=False).window.upload
    panel = upload.parameters
    pick(upload, "trellis-2")
    assert panel.options.isHidden()
    pick(upload, "tripo-h3.1")
    assert not panel.quad.isHidden() and not panel.real_size.isHidden()
    assert panel.t_pose.isHidden() and panel.output_format.isHidden()
    before = upload.cost_label.text()
    panel.quad.setChecked(True)
    panel.real_size.setChecked(True)
    parameters = panel.parameters()
    assert (parameters.quad, parameters.real_size) == (True, True)
    assert "$0.35" in upload.cost_label.text() and before != upload.cost_label.text()
    pick(upload, "rodin-v2.5")
    assert not panel.output_format.isHidden() and not panel.t_pose.isHidden()
    assert panel.real_size.isHidden()
    panel.output_format.setCurrentIndex(panel.output_format.findData("usdz"))
    parameters = panel.parameters()
    # Real size was ticked for Tripo; Rodin does not take it, so it is not sent.
    assert (parameters.output_format, parameters.real_size) == ("usdz", False)
    pick(upload, "hunyuan3d-v3")
    assert not panel.low_poly.isHidden() and panel.output_format.isHidden()
    assert panel.parameters().output_format is None


def test_views_mode_makes_one_entry_from_the_slots(
    open_window, run, photos: list[Path], with_key
) -> None:
    upload = open_window(with_3d=False).window.upload
    views = upload.views
    pick(upload, "trellis-2")
    assert not views.mode.isEnabled()
    pick(upload, "tripo-v2.5")
    assert views.mode.isEnabled()
    views.mode.setChecked(True)
    assert upload.tray.isHidden() and not views.slot_row.isHidden()
    assert not upload.generate_button.isEnabled()
    assert "Front and on Left" in upload.count_label.text()
    drop_files(views.slots[0], [photos[0]])
    drop_files(views.slots[1], [photos[1]])
    run(until(lambda: views.view_count() == 2, timeout=30, what="views.view_count() == 2"))
    assert upload.generate_button.isEnabled()
    assert upload.generate_button.text() == "Generate 1 model from 2 views"
    sent: list[Any] = []

    async def submitted(entries: Any, parameters: Any) -> None:  # instead of FAL
        sent.append((entries, parameters))

    upload.submit = submitted
    upload.generate_button.click()
    run(until(lambda: sent, timeout=5, what="the batch handed to submit"))
    ((entries, parameters),) = sent
    (entry,) = entries
    assert isinstance(entry, StagedInput)
    assert entry.source == photos[0] and [v.source for v in entry.views] == [photos[1]]
    assert parameters.model == "tripo-v2.5"
    # A model without views turns the mode off and brings the tray back.
    pick(upload, "tripo-p1")
    assert not views.active and not upload.tray.isHidden()
