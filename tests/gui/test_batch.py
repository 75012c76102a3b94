"""Phases 2 and 3: generate → rows progress → results; the preview draws; saving works."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import trimesh
from testkit import until

from image2model_desktop.core.states import FileState
from image2model_desktop.gui.qt import QIcon
from image2model_desktop.gui.selftest import model_pixel_share
from image2model_desktop.gui.shell.header import Phase


def test_generate_shows_progress_then_results_with_a_textured_preview(open_window, run, photos):
    harness = open_window()
    window, upload = harness.window, harness.window.upload
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
    upload.parameters.face_limit.set_value(5_000)
    run(upload.add_paths(photos[:2]))
    seen: dict[str, list[tuple[str, int]]] = {}
    window.bridge.fileUpdated.connect(
        lambda item: seen.setdefault(item.filename, []).append(
            (item.state.value, window.processing.row(item.file_id).progress.value())
        )
    )

    upload.generate_button.click()

    run(
        until(
            lambda: window.header.phase == Phase.PROCESSING, timeout=10, what="the processing page"
        )
    )
    processing = window.processing
    assert processing.list.count() == 2
    assert processing.list.objectName() == "processingList"
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=90, what="the results page"))
    # Every row went forward and ended at 100 % with its face count in the log line.
    for name, history in seen.items():
        progress = [p for _, p in history]
        assert progress == sorted(progress), name
        assert history[-1] == ("completed", 100), name
    for row in processing.rows():
        assert "faces" in row.message.text()
        assert row.item.output.face_count <= 5_000
    assert processing.overall.value() == 1000

    results = window.results
    assert results.grid.count() == 2
    preview = results.preview
    run(until(lambda: preview.model is not None, timeout=30, what="the model in the preview"))
    assert preview.model.textured
    pixels = preview.screenshot()
    assert model_pixel_share(pixels) > 0.02
    assert "faces" in results.stats.text() and "size: not known" in results.stats.text()
    # Texture off changes the picture.
    preview.toolbar.action("texture").trigger()
    untextured = preview.screenshot()
    assert np.abs(untextured.astype(int) - pixels.astype(int)).sum() > 0
    preview.toolbar.action("texture").trigger()
    run(until(lambda: not results.grid.item(0).icon().isNull(), timeout=60, what="the grid render"))
    # A selected picture keeps its colours (the item's background shows the selection).
    icon = results.grid.item(0).icon()
    selected = icon.pixmap(64, 64, QIcon.Mode.Selected).toImage()
    assert selected == icon.pixmap(64, 64, QIcon.Mode.Normal).toImage()


def test_save_as_writes_files_that_load(open_window, run, model_glb, tmp_path):
    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)
    engine.gate.set()
    harness = open_window(engine)
    window = harness.window
    photo = sorted(Path(__file__).parents[2].joinpath("resources", "samples").glob("*.jpg"))[0]
    run(window.upload.add_paths([photo]))
    window.upload.generate_button.click()
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results page"))
    results = window.results
    out = tmp_path / "saved"

    # Save as… opens the export dialog; its Save… asks for the file (a typed .stl picks STL).
    results.ask_save_path = lambda start: (out / "model.stl", "")
    results.save_button.click()
    results.export_dialog.save_button.click()
    run(
        until(
            lambda: (out / "model.stl").exists() and "Saved" in results.notice.text(),
            timeout=30,
            what='(out / "model.stl").exists() and "Saved" in results.notice.text()',
        )
    )
    assert (
        len(trimesh.load(out / "model.stl").faces)
        == 2 * len(trimesh.load(model_glb, force="mesh").faces) // 2
    )
    assert "texture will not be saved" in results.notice.text()

    results.ask_save_path = lambda start: (out / "model", "")
    results.save_button.click()
    dialog = results.export_dialog
    dialog.format_box.setCurrentIndex(dialog.format_box.findText("OBJ (zipped) (.obj.zip)"))
    dialog.save_button.click()
    run(
        until(
            lambda: (out / "model.obj.zip").exists(),
            timeout=30,
            what='(out / "model.obj.zip").exists()',
        )
    )
    names = zipfile.ZipFile(out / "model.obj.zip").namelist()
    assert {"model.obj", "model.mtl"} <= set(names) and any(n.endswith(".png") for n in names)

    results.ask_folder = lambda start: out / "all"
    results.save_all_button.click()
    results.export_dialog.save_button.click()
    run(
        until(
            lambda: "Saved 1 model" in results.notice.text(),
            timeout=30,
            what='"Saved 1 model" in results.notice.text()',
        )
    )
    saved = list((out / "all").glob("*.glb"))
    assert len(saved) == 1
    assert trimesh.load(saved[0]).is_empty is False
    assert "contact sheet (contact-sheet.png)" in results.notice.text()
    from PIL import Image

    with Image.open(out / "all" / "contact-sheet.png") as sheet:
        assert model_pixel_share(np.asarray(sheet.convert("RGB"))[12:268, 12:268]) > 0.05


def test_turntable_export_shows_progress_and_writes_the_frames(
    open_window, run, model_glb, tmp_path
):
    from image2model_desktop.mesh.turntable import DEFAULT_FRAMES, frame_count

    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)
    engine.gate.set()
    window = open_window(engine).window
    photo = sorted(Path(__file__).parents[2].joinpath("resources", "samples").glob("*.jpg"))[0]
    run(window.upload.add_paths([photo]))
    window.upload.generate_button.click()
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results page"))
    results = window.results
    run(
        until(
            lambda: results.preview.model is not None, timeout=30, what="the model in the preview"
        )
    )
    target = tmp_path / "orbit.mp4"
    results.ask_turntable_path = lambda suggested: target
    seen: list[int] = []
    results.task_progress.valueChanged.connect(seen.append)
    results.preview.toolbar.action("turntable").trigger()
    run(
        until(lambda: "Saved orbit.mp4" in results.notice.text(), timeout=120, what="the turntable")
    )
    assert seen == sorted(seen) and seen[-1] == DEFAULT_FRAMES and len(set(seen)) > 3
    assert not results.task_progress.isVisible()
    assert frame_count(target) == DEFAULT_FRAMES


def test_cancel_then_retry(open_window, run, model_glb, photos):
    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)
    harness = open_window(engine, with_3d=False)
    window = harness.window
    harness.runtime.service.set_concurrency(1)
    run(window.upload.add_paths(photos[:3]))
    window.upload.generate_button.click()
    run(until(lambda: window.processing.list.count() == 3, timeout=10, what="three rows"))
    rows = window.processing.rows()
    run(
        until(
            lambda: rows[0].item.state == FileState.GENERATING,
            timeout=10,
            what="the first file to start",
        )
    )

    rows[2].cancel_button.click()
    run(until(lambda: rows[2].item.state == FileState.CANCELLED, timeout=10, what="the cancel"))
    assert rows[2].retry_button.isVisible() and not rows[2].cancel_button.isVisible()
    assert rows[2].state.text() == "Cancelled"

    window.processing.cancel_all_button.click()
    run(
        until(
            lambda: all(r.item.state == FileState.CANCELLED for r in rows),
            timeout=10,
            what="cancel all",
        )
    )
    assert "Cancelling" in window.processing.notice.text()

    engine.gate.set()
    rows[2].retry_button.click()
    run(
        until(
            lambda: rows[2].item.state == FileState.COMPLETED, timeout=30, what="the retried file"
        )
    )
    assert rows[0].item.state == FileState.CANCELLED
    # A finished batch with a model moves on to the results; details lead back.
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=10, what="the results page"))
    assert "did not become a model" in window.results.notice.text()
    window.results.details_button.click()
    rows = window.processing.rows()
    assert window.processing.retry_failed_button.isVisible()
    window.processing.retry_failed_button.click()
    run(
        until(
            lambda: all(r.item.state == FileState.COMPLETED for r in rows),
            timeout=30,
            what="retry all",
        )
    )


def test_ctrl_click_a_second_result_compares_the_two(open_window, run, model_glb, photos):
    from PySide6.QtTest import QTest

    from image2model_desktop.gui.qt import Qt

    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)
    engine.gate.set()
    window = open_window(engine).window
    run(window.upload.add_paths(photos[:2]))
    window.upload.generate_button.click()
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results page"))
    results = window.results
    grid = results.grid
    run(until(lambda: results.preview.model is not None, timeout=30, what="the first model"))
    first, second = (grid.visualItemRect(grid.item(row)).center() for row in (0, 1))
    QTest.mouseClick(
        grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, first
    )
    QTest.mouseClick(
        grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, second
    )
    run(until(lambda: results.preview.comparing, timeout=30, what="the side-by-side view"))
    names = [item.filename for item in results.compared_items()]
    assert len(names) == 2 and all(name in results.stats.text() for name in names)
    # A plain click on one goes back to a single model.
    QTest.mouseClick(
        grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, first
    )
    run(until(lambda: not results.preview.comparing, timeout=30, what="one model again"))
