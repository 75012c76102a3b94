"""The export dialog driven by keys and clicks: it previews before writing, then writes that.

Only the file chooser is replaced (``results.ask_save_path``), as the other window tests do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from testkit import until

from image2model_desktop.gui.qt import Qt
from image2model_desktop.gui.shell.header import Phase
from image2model_desktop.resources import sample_photos

from .conftest import GatedEngine


def _results(open_window, run, model_glb, **engine_says):
    engine = GatedEngine(model_glb, **engine_says)
    engine.gate.set()
    window = open_window(engine).window
    run(window.upload.add_paths([sample_photos()[0]]))
    window.upload.generate_button.click()
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results page"))
    return window, engine


def _pick(combo, text: str) -> None:
    """Choose an entry of a combo box with the keyboard, as a person would."""
    from PySide6.QtTest import QTest

    combo.setFocus()
    target = combo.findText(text)
    assert target >= 0, text
    while combo.currentIndex() != target:
        key = Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up
        QTest.keyClick(combo, key)


def _type(widget, text: str) -> None:
    from PySide6.QtTest import QTest

    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(widget, Qt.Key.Key_Backspace)
    QTest.keyClicks(widget, text)


def test_export_dialog_previews_then_writes_what_it_said(
    open_window, run, model_glb, tmp_path: Path
) -> None:
    from PySide6.QtTest import QTest

    window, _ = _results(open_window, run, model_glb)
    results = window.results
    item = results.selected_item()
    assert item is not None and item.output is not None
    asked: list[Path] = []

    def choose(suggested: Path) -> tuple[Path, str]:
        asked.append(suggested)
        return tmp_path / "part", ""

    results.ask_save_path = choose
    QTest.mouseClick(results.save_button, Qt.MouseButton.LeftButton)
    dialog = results.export_dialog
    run(until(dialog.isVisible, timeout=10, what="the export dialog"))

    # GLB keeps everything: no warning; the preview shows the model's own faces.
    assert f"{item.output.face_count:,} faces" in dialog.preview_label.text()
    assert dialog.warning_label.text() == ""
    assert not dialog.fill_holes.isVisibleTo(dialog)

    _pick(dialog.format_box, "3MF (.3mf)")
    assert dialog.fill_holes.isVisibleTo(dialog)
    # The offline-like engine gave no real size: a print needs its height first.
    assert "Type the printed height" in dialog.preview_label.text()
    assert not dialog.save_button.isEnabled()
    _type(dialog.faces_box, "500")
    _type(dialog.height_edit, "100 furlongs")
    assert "Unknown unit" in dialog.preview_label.text()
    assert not dialog.save_button.isEnabled()
    _type(dialog.height_edit, "100mm")
    _pick(dialog.pivot_box, "Base at zero, centred")
    QTest.mouseClick(dialog.fill_holes, Qt.MouseButton.LeftButton)
    assert "3MF keeps the shape only" in dialog.warning_label.text()
    said = dialog.preview_label.text()
    # Sizes in the preview's unit (cm, as the status line), the file's own unit named.
    assert "500 faces" in said and "10.0 cm tall, Z up" in said and "written in mm" in said, said
    assert dialog.save_button.isEnabled()
    assert not asked  # nothing asked, nothing written before Save…

    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert asked == [results._start_folder() / f"{item.output_stem}.3mf"]
    written = tmp_path / "part.3mf"
    run(
        until(
            lambda: written.exists() and "Saved part.3mf" in results.notice.text(),
            timeout=60,
            what='written.exists() and "Saved part.3mf" in results.notice.text()',
        )
    )
    mesh = trimesh.load(written, force="mesh")
    assert len(mesh.faces) <= 500
    low, high = mesh.bounds
    assert abs((high[2] - low[2]) - 100.0) <= 0.5
    assert abs(low[2]) < 1e-6
    assert np.allclose((low[:2] + high[:2]) / 2, 0, atol=0.5)


def test_cancel_writes_nothing_and_save_all_asks_the_format(
    open_window, run, model_glb, tmp_path: Path
) -> None:
    from PySide6.QtTest import QTest

    window, _ = _results(open_window, run, model_glb)
    results = window.results
    results.ask_save_path = lambda suggested: (tmp_path / "never.glb", "")
    QTest.mouseClick(results.save_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(results.export_dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not (tmp_path / "never.glb").exists()

    results.ask_folder = lambda start: tmp_path / "all"
    QTest.mouseClick(results.save_all_button, Qt.MouseButton.LeftButton)
    dialog = results.export_dialog
    assert dialog.windowTitle() == "Save all 1 models"
    _pick(dialog.format_box, "STL (.stl)")
    assert not dialog.save_button.isEnabled()  # no height, no print
    _type(dialog.height_edit, "8cm")
    assert "STL keeps the shape only" in dialog.warning_label.text()
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    run(
        until(
            lambda: "Saved 1 model as STL" in results.notice.text(),
            timeout=60,
            what='"Saved 1 model as STL" in results.notice.text()',
        )
    )
    assert len(list((tmp_path / "all").glob("*.stl"))) == 1
    assert "texture will not be saved" in results.notice.text()


def test_stats_line_shows_the_size_in_the_chosen_unit(open_window, run, model_glb) -> None:
    from image2model_desktop.mesh.units import format_length

    window, _ = _results(open_window, run, model_glb, real_size=True)
    results = window.results
    item = results.selected_item()
    assert item is not None and item.output is not None
    units = results.preview.toolbar.action("units")
    run(until(units.isEnabled, timeout=30, what="the preview's unit tool"))
    for unit in ("mm", "in"):
        results.preview.toolbar.choice("units", unit).trigger()
        assert results.preview.unit == unit
        height = format_length(item.output.extents[2], unit)
        assert f"× {height} (W × D × H)" in results.stats.text()


def test_generate_again_starts_a_new_batch_from_a_finished_row(open_window, run, model_glb) -> None:
    from PySide6.QtTest import QTest

    window, engine = _results(open_window, run, model_glb)
    first_job = window.results.job
    assert first_job is not None
    window.open_processing(first_job.job_id)
    row = window.processing._rows[first_job.files[0].file_id]
    assert row.again_button.isVisible()
    QTest.mouseClick(row.again_button, Qt.MouseButton.LeftButton)
    run(until(lambda: window.current_job_id != first_job.job_id, timeout=30, what="the new batch"))
    again = window.service.get_job(window.current_job_id)
    assert again.files[0].reuse is False and again.parameters.seed is not None
    run(
        until(
            lambda: window.service.get_job(again.job_id).is_finished,
            timeout=30,
            what="the new model",
        )
    )
    done = window.service.get_job(again.job_id).files[0]
    assert done.output is not None and done.output.reused_from is None
    assert len(engine.started) == 2  # the engine ran again: nothing reused


def test_the_same_photo_dropped_again_is_reused_not_generated(open_window, run, model_glb) -> None:
    from image2model_desktop.core.reuse import pixel_hash

    window, engine = _results(open_window, run, model_glb)
    photo = sample_photos()[0]
    upload = window.upload
    run(upload.add_paths([photo]))
    tray = upload.tray.photos[0]
    run(until(lambda: tray.pixel_hash is not None, timeout=30, what="the photo's hash"))
    assert tray.pixel_hash == pixel_hash(photo)
    first = window.current_job_id
    upload.generate_button.click()
    run(until(lambda: window.current_job_id != first, timeout=30, what="the second batch"))
    job = window.service.get_job(window.current_job_id)
    run(until(lambda: window.service.get_job(job.job_id).is_finished, timeout=30, what="the reuse"))
    done = window.service.get_job(job.job_id).files[0]
    assert done.output is not None and done.output.reused_from is not None
    assert len(engine.started) == 1  # the engine ran for the first batch only
    run(
        until(
            lambda: "Reused from batch" in window.results.stats.text(),
            timeout=30,
            what="the stats line",
        )
    )
