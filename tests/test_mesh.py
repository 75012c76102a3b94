"""Inspect, export, decimate and render real model files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from image2model_desktop.engines.offline_model import build_offline_model
from image2model_desktop.mesh.decimate import decimate_model
from image2model_desktop.mesh.export import SUPPORTED_FORMATS, export_model, format_keeps_texture
from image2model_desktop.mesh.inspect import inspect_mesh

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rgba = np.asarray(Image.open(SAMPLES / "duck.png").convert("RGBA"))
    out = tmp_path_factory.mktemp("model") / "duck.glb"
    build_offline_model(rgba, out, face_limit=6000)
    return out


def test_inspect_reports_a_closed_textured_model(model: Path) -> None:
    stats = inspect_mesh(model)
    assert 0 < stats.faces <= 6000
    assert stats.vertices > 0
    assert stats.textured and stats.watertight
    width, depth, height = stats.extents
    assert max(width, height) == pytest.approx(1.0)
    assert depth == pytest.approx(stats.bounds_max[2] - stats.bounds_min[2])
    assert height == pytest.approx(stats.bounds_max[1] - stats.bounds_min[1])


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_export_round_trips(model: Path, tmp_path: Path, fmt: str) -> None:
    written = export_model(model, tmp_path / "out" / "duck.model", fmt)
    assert written.exists()
    assert [p.name for p in written.parent.iterdir()] == [written.name]
    faces = inspect_mesh(model).faces
    if fmt == "obj":
        assert written.suffix == ".zip"
        with zipfile.ZipFile(written) as archive:
            assert sorted(archive.namelist()) == ["duck.mtl", "duck.obj", "duck.png"]
            archive.extractall(tmp_path / "unzipped")
        reloaded = inspect_mesh(tmp_path / "unzipped" / "duck.obj")
    else:
        assert written.suffix == f".{fmt}"
        trimesh.load(str(written))
        reloaded = inspect_mesh(written)
    assert reloaded.faces == faces
    assert reloaded.textured == format_keeps_texture(fmt)
    assert reloaded.extents == pytest.approx(inspect_mesh(model).extents, abs=1e-4)


def test_ply_carries_vertex_colours(model: Path, tmp_path: Path) -> None:
    mesh = trimesh.load(str(export_model(model, tmp_path / "d", "ply")), force="mesh")
    colours = mesh.visual.vertex_colors[:, :3]
    # The duck is mostly yellow: strong red and green, little blue.
    assert colours[:, 0].mean() > 150 and colours[:, 2].mean() < 120


def test_unknown_format_is_refused(model: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        export_model(model, tmp_path / "x", "fbx")


def test_export_to_unwritable_folder_raises_oserror(model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        export_model(model, blocker / "duck", "stl")


@pytest.mark.parametrize("budget", [500, 2000])
def test_decimate_fits_the_budget_and_keeps_the_texture(
    model: Path, tmp_path: Path, budget: int
) -> None:
    dest = tmp_path / "small.glb"
    written = decimate_model(model, dest, budget)
    stats = inspect_mesh(dest)
    assert written == stats.faces <= budget
    assert stats.faces > 0.8 * budget
    assert stats.textured


def test_decimate_leaves_small_models_alone(model: Path, tmp_path: Path) -> None:
    faces = inspect_mesh(model).faces
    assert decimate_model(model, tmp_path / "same.glb", faces + 10) == faces


@pytest.mark.slow
def test_render_preview_draws_the_textured_model(model: Path, tmp_path: Path) -> None:
    from image2model_desktop.mesh.render import render_preview

    out = render_preview(model, tmp_path / "preview.png", size=200)
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert pixels.shape == (200, 200, 3)
    yellow = (pixels[..., 0] > 150) & (pixels[..., 1] > 110) & (pixels[..., 2] < 90)
    assert yellow.mean() > 0.1
    assert [p.name for p in tmp_path.iterdir()] == ["preview.png"]
