"""Issue 21 in the window: the print check, its maps in the preview, print options, slicers.

Real parts throughout: the check runs in the process pool, the fixes write real
3MF files read back with trimesh, the slicer is a real executable on a PATH the
test makes. Only the file chooser is replaced (``results.ask_save_path``).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PySide6.QtTest import QTest
from testkit import until

from image2model_desktop.gui.qt import Qt
from image2model_desktop.gui.shell.header import Phase
from image2model_desktop.resources import sample_photos

from .conftest import GatedEngine
from .test_export_dialog import _pick, _type


@pytest.fixture(scope="module")
def open_box_glb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 m cube with one triangle missing: one hole, so the check says red."""
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    box = trimesh.Trimesh(box.vertices, box.faces[:-1], process=False)
    path = tmp_path_factory.mktemp("print") / "open-box.glb"
    box.export(path)
    return path


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ clearly between two pictures of the view."""
    return float((np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 30).mean())


def results_with(open_window, run, model: Path, **engine_says):
    engine = GatedEngine(model, **engine_says)
    engine.gate.set()
    window = open_window(engine).window
    run(window.upload.add_paths([sample_photos()[0]]))
    window.upload.generate_button.click()
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results page"))
    preview = window.results.preview
    run(until(lambda: preview.model is not None, timeout=30, what="the model in the preview"))
    return window


def test_print_check_says_red_for_a_hole_repairs_it_and_maps_the_walls(
    open_window, run, open_box_glb, tmp_path: Path
) -> None:
    window = results_with(open_window, run, open_box_glb)
    results = window.results
    preview = results.preview
    toolbar = preview.toolbar
    assert not toolbar.action("thickness").isEnabled()  # no check yet, no map
    QTest.mouseClick(results.print_check_button, Qt.MouseButton.LeftButton)
    dialog = results.print_check
    assert dialog is not None and dialog.isVisible()

    # No real size known: the check needs a height before it runs.
    QTest.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert "Type the printed height" in dialog.verdict.text()
    _type(dialog.height_edit, "40mm")
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    QTest.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    run(until(lambda: dialog.report is not None, timeout=60, what="the print check"))
    report = dialog.report
    assert report.verdict.value == "red"
    assert dialog.verdict.text().startswith("Red:")
    assert dialog.verdict.property("kind") == "error"
    assert any(50 <= value < 100 for value in seen), seen  # between the two stages
    assert abs(report.size_mm[2] - 40.0) < 0.1
    assert "holes" in dialog.fix_buttons

    # The maps are offered for this model; one at a time, with a legend.
    view = preview.view
    run(until(toolbar.action("thickness").isEnabled, timeout=10, what="the thickness map"))
    plain = preview.screenshot()
    drawn = view.frames
    toolbar.action("thickness").trigger()
    run(until(lambda: view.frames > drawn, timeout=10, what="a new frame"))
    assert view.face_colours_shown
    assert preview.legend.isVisible() and "Walls" in preview.legend.title
    assert "0.8 mm" in preview.legend.title  # FDM's minimum wall
    assert changed(preview.screenshot(), plain) > 0.02
    toolbar.action("overhang").trigger()
    assert not toolbar.is_checked("thickness") and toolbar.is_checked("overhang")
    assert "Overhangs" in preview.legend.title
    toolbar.action("overhang").trigger()
    assert not view.face_colours_shown and not preview.legend.isVisible()

    # Repair writes a new, closed 3MF at the checked height; the library's model stays.
    results.ask_save_path = lambda suggested: (tmp_path / suggested.name, "")
    QTest.mouseClick(dialog.fix_buttons["holes"], Qt.MouseButton.LeftButton)
    stem = results.selected_item().output_stem
    written = tmp_path / f"{stem}.repaired.3mf"
    run(until(lambda: "Saved" in results.notice.text(), timeout=60, what="the repaired file"))
    mesh = trimesh.load(written, force="mesh")
    assert mesh.is_watertight
    assert abs(float(mesh.extents[2]) - 40.0) < 0.1
    dialog.close()


def test_colours_show_in_the_preview_and_the_3mf_prints_the_edited_palette(
    open_window, run, model_glb, tmp_path: Path
) -> None:
    window = results_with(open_window, run, model_glb)
    results = window.results
    preview = results.preview
    results.ask_save_path = lambda suggested: (tmp_path / "colours.3mf", "")
    QTest.mouseClick(results.save_button, Qt.MouseButton.LeftButton)
    dialog = results.export_dialog
    _pick(dialog.format_box, "3MF (.3mf)")
    _type(dialog.height_edit, "6cm")
    box = dialog.print_box
    box.colours_box.setValue(4)
    assert box.show_colours.isEnabled()
    box.show_colours.setChecked(True)
    run(until(lambda: len(box.swatches) == 4, timeout=60, what="four colour swatches"))
    run(until(lambda: preview.view.face_colours_shown, timeout=30, what="the colours shown"))
    shown = preview.screenshot()
    box.set_colour(0, (255, 0, 255))
    run(
        until(
            lambda: changed(preview.screenshot(), shown) > 0.01,
            timeout=30,
            what="the edited colour in the preview",
        )
    )
    assert box.filament_colours[0] == (255, 0, 255)
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    written = tmp_path / "colours.3mf"
    run(until(lambda: "Saved colours.3mf" in results.notice.text(), timeout=90, what="the 3MF"))
    assert "#FF00FF" in results.notice.text()  # the palette by filament slot
    with zipfile.ZipFile(written) as archive:
        model = archive.read("3D/3dmodel.model").decode()
    assert model.count("<base ") == 4 and 'displaycolor="#FF00FF' in model
    # The dialog closed: the preview shows the model's own look again.
    run(until(lambda: not preview.view.face_colours_shown, timeout=10, what="the own look"))


def fake_slicer(folder: Path, log: Path) -> Path:
    """An executable named like PrusaSlicer's that writes the file it was asked to open."""
    folder.mkdir()
    script = folder / "prusa-slicer"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{log}"\n')
    script.chmod(0o755)
    return folder


def test_save_and_open_in_the_slicer_found_or_say_which_were_looked_for(
    open_window, run, model_glb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # no AppImages or Flatpaks of this user
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    window = results_with(open_window, run, model_glb)
    results = window.results
    results.ask_save_path = lambda suggested: (tmp_path / "part.3mf", "")
    QTest.mouseClick(results.save_button, Qt.MouseButton.LeftButton)
    dialog = results.export_dialog
    assert not dialog.slicer_button.isVisibleTo(dialog)  # GLB: not a print
    _pick(dialog.format_box, "3MF (.3mf)")
    _type(dialog.height_edit, "5cm")
    assert dialog.slicer_button.text() == "Save and open in a slicer…"
    QTest.mouseClick(dialog.slicer_button, Qt.MouseButton.LeftButton)
    said = dialog.warning_label.text()
    assert "PrusaSlicer, OrcaSlicer, Bambu Studio and Cura" in said, said
    assert dialog.isVisible() and not (tmp_path / "part.3mf").exists()
    dialog.reject()

    opened = tmp_path / "opened.txt"
    bin_dir = fake_slicer(tmp_path / "bin", opened)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    QTest.mouseClick(results.save_button, Qt.MouseButton.LeftButton)
    dialog = results.export_dialog
    _pick(dialog.format_box, "3MF (.3mf)")
    _type(dialog.height_edit, "5cm")
    assert dialog.slicer_button.text() == "Save and open in PrusaSlicer…"
    QTest.mouseClick(dialog.slicer_button, Qt.MouseButton.LeftButton)
    run(until(opened.exists, timeout=60, what="the slicer started"))
    assert opened.read_text() == str(tmp_path / "part.3mf")
    assert (tmp_path / "part.3mf").exists()
    assert "in PrusaSlicer" in results.notice.text()


def test_web_profile_says_its_size_before_writing_the_files_it_planned(
    open_window, run, model_glb, tmp_path: Path
) -> None:
    from image2model_desktop.mesh.web import format_size

    window = results_with(open_window, run, model_glb)
    results = window.results
    asked: list[Path] = []

    def choose(suggested: Path) -> tuple[Path, str]:
        asked.append(suggested)
        return tmp_path / suggested.name, ""

    results.ask_save_path = choose
    QTest.mouseClick(results.save_button, Qt.MouseButton.LeftButton)
    dialog = results.export_dialog
    assert not dialog.web_box.isVisibleTo(dialog)
    _pick(dialog.format_box, "Web/game (Draco glTF + LODs) (.glb)")
    assert dialog.web_box.isVisibleTo(dialog)
    assert "Computing the web export" in dialog.web_box.size_label.text()
    assert not dialog.save_button.isEnabled()
    run(until(lambda: dialog.web_plan is not None, timeout=60, what="the web plan"))
    plan = dialog.web_plan
    said = dialog.web_box.size_label.text()
    assert said.startswith(f"≈ {format_size(plan.total_bytes)} in 4 files"), said
    assert not any(tmp_path.glob("*.glb"))  # nothing written before Save
    _type(dialog.web_box.lods_box, "2")
    run(until(lambda: dialog.web_plan is not None, timeout=60, what="the new plan"))
    assert len(dialog.web_plan.files) == 2
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stem = results.selected_item().output_stem
    run(until(lambda: "for the web" in results.notice.text(), timeout=60, what="the files"))
    assert sorted(p.name for p in tmp_path.glob("*.glb")) == [f"{stem}.glb", f"{stem}.lod1.glb"]
    assert (tmp_path / f"{stem}.glb").read_bytes() == dialog.web_plan.files[0].data
