"""Issue 24 on the results page: warnings in sight, no made-up sizes, a layout that holds.

Real windows at real sizes (1024×700, 1600×1000) under Xvfb; the engine is the
gated one, told what to say (``real_size``, ``warning``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from testkit import photo_variant, until

from image2model_desktop.gui.qt import QFrame
from image2model_desktop.gui.results.grid import ICON, WARNED
from image2model_desktop.gui.results.page import SIZE_NOT_KNOWN
from image2model_desktop.gui.shell.header import Phase
from image2model_desktop.gui.style import current
from image2model_desktop.resources import sample_photos

from .conftest import GatedEngine

SIZES = [(1024, 700), (1600, 1000)]
WARNING = (
    "No subject stood out from the background, so the model is the whole photo; "
    "try a photo of one object against a plain background."
)


def finished(open_window, run, model: Path, photos: list[Path], size=(1320, 860), **says):
    engine = GatedEngine(model, **says)
    engine.gate.set()
    window = open_window(engine).window
    window.resize(*size)
    run(window.upload.add_paths(photos))
    run(until(window.upload.generate_button.isEnabled, timeout=30, what="the photos to be checked"))
    window.upload.generate_button.click()
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results page"))
    return window


def long_named(tmp_path: Path, count: int) -> list[Path]:
    """``count`` different photos whose names are far longer than a tile."""
    base = sample_photos()[0]
    made = []
    for index in range(count):
        variant = photo_variant(shutil.copy(base, tmp_path / base.name), index)
        name = f"a-very-long-photo-name-from-a-camera-roll-{index}-{'x' * 30}{variant.suffix}"
        made.append(variant.rename(tmp_path / name))
    return made


def test_a_warned_model_shows_it_on_its_tile_in_the_notice_and_the_summary(
    open_window, run, model_glb
) -> None:
    window = finished(open_window, run, model_glb, [sample_photos()[0]], warning=WARNING)
    results = window.results
    entry = results.grid.item(0)
    assert entry.text().splitlines()[1] == WARNED
    assert WARNING in entry.toolTip()
    assert entry.foreground().color().name() == current().warning.lower()
    assert WARNING in results.notice.text() and results.notice.kind() == "warning"
    assert results.summary.text().endswith("1 with a warning")


def test_without_a_real_size_nothing_shows_a_made_up_length(open_window, run, tmp_path) -> None:
    import trimesh

    box = trimesh.creation.box(extents=(0.2, 1.0, 0.5))
    model = tmp_path / "box.glb"
    box.export(model)
    window = finished(open_window, run, model, [sample_photos()[0]])
    results = window.results
    preview = results.preview
    assert SIZE_NOT_KNOWN in results.stats.text() and " cm" not in results.stats.text()
    run(until(lambda: preview.model is not None, timeout=30, what="the model"))
    preview.toolbar.action("dimensions").trigger()
    titles = sorted(r.GetTitle() for r in preview.view._overlays["dimensions"][1:])
    assert titles == ["D 50 %", "H 100 %", "W 20 %"]
    assert preview.status.text().startswith("Size not known")


def test_a_real_size_is_shown_in_the_chosen_unit(open_window, run, tmp_path) -> None:
    import trimesh

    box = trimesh.creation.box(extents=(0.2, 1.0, 0.5))
    model = tmp_path / "box.glb"
    box.export(model)
    window = finished(open_window, run, model, [sample_photos()[0]], real_size=True)
    results = window.results
    preview = results.preview
    assert "20.0 cm × 50.0 cm × 100 cm" in results.stats.text()
    run(until(lambda: preview.model is not None, timeout=30, what="the model"))
    preview.toolbar.action("dimensions").trigger()
    titles = sorted(r.GetTitle() for r in preview.view._overlays["dimensions"][1:])
    assert titles == ["D 50.0 cm", "H 100 cm", "W 20.0 cm"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_long_lines_and_names_never_widen_the_window_or_move_the_tiles(
    open_window, run, model_glb, tmp_path: Path, size
) -> None:
    photos = long_named(tmp_path, 3)
    window = finished(open_window, run, model_glb, photos, size=size)
    results = window.results
    grid = results.grid
    sidebar = window.findChild(QFrame, "sidebar")
    run(until(lambda: grid.count() == 3, timeout=30, what="three tiles"))
    widths = (window.width(), sidebar.width(), grid.width())
    columns = None
    for row in range(grid.count()):
        grid.setCurrentRow(row)
        # A line as long as a reused model's, with a long name in it.
        results.stats.setText(f"{results.stats.text()}  ·  Reused from batch {'y' * 300}")
        QTest.qWait(0)
        rects = [grid.visualItemRect(grid.item(i)) for i in range(grid.count())]
        assert (window.width(), sidebar.width(), grid.width()) == widths
        assert window.width() == size[0]
        assert len({(r.width(), r.height()) for r in rects}) == 1  # tiles of one size
        assert all(r.width() <= grid.gridSize().width() for r in rects)
        assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
        now = len({r.x() for r in rects})
        assert columns in (None, now)  # the grid keeps its columns while selecting
        columns = now
    assert grid.width() >= ICON + 60


def test_at_1024x700_the_preview_and_every_button_fit(open_window, run, model_glb) -> None:
    window = finished(open_window, run, model_glb, [sample_photos()[0]], size=(1024, 700))
    results = window.results
    run(until(lambda: results.preview.model is not None, timeout=30, what="the model"))
    view = results.preview.view
    assert view.width() >= 400 and view.height() >= 300, (view.width(), view.height())
    right = window.mapToGlobal(window.rect().bottomRight())
    for button in (
        results.open_folder_button,
        results.print_check_button,
        results.save_all_button,
        results.save_button,
    ):
        assert button.isVisible()
        corner = button.mapToGlobal(button.rect().bottomRight())
        assert corner.x() <= right.x() and corner.y() <= right.y(), button.text()
        assert button.width() >= button.sizeHint().width()  # not squeezed into a sliver
    assert window.width() == 1024


def test_the_screenshot_dialog_opens_where_the_last_one_was_saved(
    open_window, run, model_glb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from image2model_desktop.gui.widgets import file_dialogs

    window = finished(open_window, run, model_glb, [sample_photos()[0]])
    preview = window.results.preview
    run(until(lambda: preview.model is not None, timeout=30, what="the model"))
    starts: list[str] = []
    folder = tmp_path / "shots"
    folder.mkdir()

    def dialog(parent, title, start, filters):
        starts.append(start)
        return str(folder / f"view{len(starts)}.png"), filters

    monkeypatch.setattr(file_dialogs.QFileDialog, "getSaveFileName", staticmethod(dialog))
    monkeypatch.chdir(tmp_path)
    preview.toolbar.choice("screenshot", "opaque").trigger()
    preview.toolbar.choice("screenshot", "opaque").trigger()
    assert (folder / "view1.png").exists() and (folder / "view2.png").exists()
    assert Path(starts[0]).parent != tmp_path  # never the working folder
    assert Path(starts[1]).parent == folder  # where the last one went
