"""Inspect, export, decimate and render real model files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from image2model_desktop.core.errors import UnknownFormatError
from image2model_desktop.mesh.export import export_with_options
from image2model_desktop.mesh.formats import ExportFormat
from image2model_desktop.mesh.inspect import inspect_mesh
from image2model_desktop.mesh.options import ExportOptions


@pytest.fixture
def model(offline_duck_glb: Path) -> Path:
    return offline_duck_glb


def test_inspect_reports_a_closed_textured_model(model: Path) -> None:
    stats = inspect_mesh(model)
    assert 0 < stats.faces <= 6000
    assert stats.vertices > 0
    assert stats.textured and stats.watertight
    width, depth, height = stats.extents
    assert max(width, height) == pytest.approx(1.0)
    assert depth == pytest.approx(stats.bounds_max[2] - stats.bounds_min[2])
    assert height == pytest.approx(stats.bounds_max[1] - stats.bounds_min[1])


#: The formats of Save as…, by the name a person picks (OBJ comes zipped with its texture).
FORMATS = {"glb": ".glb", "obj": ".obj.zip", "stl": ".stl", "ply": ".ply"}


def export_as(model: Path, dest: Path, fmt: str, options: ExportOptions | None = None) -> Path:
    """Save ``model`` as ``fmt`` the way Save as… does (default options unless given)."""
    target = dest.with_name(dest.name.split(".")[0] + FORMATS[fmt])
    return export_with_options(model, target, options or ExportOptions()).path


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_round_trips(model: Path, tmp_path: Path, fmt: str) -> None:
    written = export_as(model, tmp_path / "out" / "duck.model", fmt)
    assert written.exists()
    assert [p.name for p in written.parent.iterdir()] == [written.name]
    faces = inspect_mesh(model).faces
    if fmt == "obj":
        assert written.name == "duck.obj.zip"
        with zipfile.ZipFile(written) as archive:
            assert sorted(archive.namelist()) == ["duck.mtl", "duck.obj", "duck.png"]
            mtl = archive.read("duck.mtl").decode().splitlines()
            # The texture shows as it is in viewers that multiply it by Kd.
            assert "Kd 1.00000000 1.00000000 1.00000000" in mtl
            assert "map_Kd duck.png" in mtl
            archive.extractall(tmp_path / "unzipped")
        reloaded = inspect_mesh(tmp_path / "unzipped" / "duck.obj")
    else:
        assert written.suffix == f".{fmt}"
        trimesh.load(str(written))
        reloaded = inspect_mesh(written)
    assert reloaded.faces == faces
    assert reloaded.textured == ExportFormat(FORMATS[fmt]).keeps_texture
    width, depth, height = inspect_mesh(model).extents
    if fmt == "stl":
        # Millimetres, Z up: inspect reads Y as up, so depth and height trade places.
        expected = (width * 1000, height * 1000, depth * 1000)
        assert reloaded.extents == pytest.approx(expected, abs=1e-2)
    else:
        assert reloaded.extents == pytest.approx((width, depth, height), abs=1e-4)


def test_ply_carries_vertex_colours(model: Path, tmp_path: Path) -> None:
    mesh = trimesh.load(str(export_as(model, tmp_path / "d", "ply")), force="mesh")
    colours = mesh.visual.vertex_colors[:, :3]
    # The duck is mostly yellow: strong red and green, little blue.
    assert colours[:, 0].mean() > 150 and colours[:, 2].mean() < 120


def test_unknown_format_is_refused(model: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match=r"unknown extension \.fbx"):
        export_with_options(model, tmp_path / "x.fbx", ExportOptions())


def test_export_to_unwritable_folder_raises_oserror(model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        export_as(model, blocker / "duck", "stl")


@pytest.mark.parametrize("budget", [500, 2000])
def test_decimate_fits_the_budget_and_keeps_the_texture(
    model: Path, tmp_path: Path, budget: int
) -> None:
    dest = tmp_path / "small.glb"
    report = export_with_options(model, dest, ExportOptions(faces=budget))
    stats = inspect_mesh(dest)
    assert report.faces == stats.faces <= budget
    assert stats.faces > 0.8 * budget
    assert stats.textured


def test_decimate_leaves_small_models_alone(model: Path, tmp_path: Path) -> None:
    faces = inspect_mesh(model).faces
    report = export_with_options(model, tmp_path / "same.glb", ExportOptions(faces=faces + 10))
    assert report.faces == inspect_mesh(tmp_path / "same.glb").faces == faces


@pytest.mark.slow
def test_render_preview_draws_the_textured_model(model: Path, tmp_path: Path) -> None:
    from image2model_desktop.mesh.render import render_preview

    out = render_preview(model, tmp_path / "preview.png", size=200)
    pixels = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert pixels.shape == (200, 200, 3)
    yellow = (pixels[..., 0] > 150) & (pixels[..., 1] > 110) & (pixels[..., 2] < 90)
    assert yellow.mean() > 0.1
    assert [p.name for p in tmp_path.iterdir()] == ["preview.png"]


def _model_pixels(pixels: np.ndarray) -> np.ndarray:
    """Mask of pixels that differ from the background (column 0 of the same row)."""
    return np.abs(pixels - pixels[:, :1]).max(axis=2) > 6


def _centroid(mask: np.ndarray) -> np.ndarray:
    rows, columns = np.nonzero(mask)
    return np.array([columns.mean(), rows.mean()])


@pytest.mark.slow
def test_render_preview_is_neither_mirrored_nor_upside_down(tmp_path: Path) -> None:
    from image2model_desktop.mesh.render import render_preview

    # Seen from the front (+Z): a red block up on the left, a blue block down on the right.
    left = trimesh.creation.box(extents=(1, 1, 1))
    left.apply_translation((-0.6, 0.6, 0))
    left.visual.face_colors = (255, 0, 0, 255)
    right = trimesh.creation.box(extents=(1, 1, 1))
    right.apply_translation((0.6, -0.6, 0))
    right.visual.face_colors = (0, 0, 255, 255)
    path = tmp_path / "blocks.ply"
    trimesh.util.concatenate([left, right]).export(str(path))
    pixels = np.asarray(Image.open(render_preview(path, tmp_path / "b.png", 96))).astype(int)
    red = (pixels[..., 0] > 2 * pixels[..., 2] + 30) & (pixels[..., 1] < 80)
    blue = (pixels[..., 2] > 2 * pixels[..., 0] + 30) & (pixels[..., 1] < 80)
    assert red.mean() > 0.05 and blue.mean() > 0.05
    (red_x, red_y), (blue_x, blue_y) = _centroid(red), _centroid(blue)
    assert red_x < blue_x - 15 and red_y < blue_y - 15


@pytest.mark.slow
def test_render_preview_shows_texture_the_right_way_round(tmp_path: Path) -> None:
    from image2model_desktop.mesh.render import render_preview

    # A quad facing +Z; its texture is red on the left half and blue on the right,
    # with green along the top rows.
    texture = np.zeros((64, 64, 3), dtype=np.uint8)
    texture[:, :32] = (255, 0, 0)
    texture[:, 32:] = (0, 0, 255)
    texture[:8] = (0, 255, 0)
    vertices = [[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]]
    uv = [[0, 0], [1, 0], [1, 1], [0, 1]]
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.fromarray(texture))
    quad = trimesh.Trimesh(
        vertices=vertices,
        faces=[[0, 1, 2], [0, 2, 3]],
        visual=trimesh.visual.TextureVisuals(uv=uv, material=material),
        process=False,
    )
    path = tmp_path / "quad.glb"
    quad.export(str(path))
    pixels = np.asarray(Image.open(render_preview(path, tmp_path / "q.png", 96))).astype(int)
    red = (pixels[..., 0] > 2 * pixels[..., 2] + 30) & (pixels[..., 1] < 80)
    blue = (pixels[..., 2] > 2 * pixels[..., 0] + 30) & (pixels[..., 1] < 80)
    green = (pixels[..., 1] > pixels[..., 0] + 40) & (pixels[..., 1] > pixels[..., 2] + 40)
    assert red.mean() > 0.05 and blue.mean() > 0.05 and green.mean() > 0.005
    assert _centroid(red)[0] < _centroid(blue)[0] - 10
    assert _centroid(green)[1] < min(_centroid(red)[1], _centroid(blue)[1]) - 10


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["stl", "ply"])
def test_render_preview_of_untextured_formats(model: Path, tmp_path: Path, fmt: str) -> None:
    from image2model_desktop.mesh.render import render_preview

    exported = export_as(model, tmp_path / "duck", fmt)
    pixels = np.asarray(Image.open(render_preview(exported, tmp_path / "p.png", 120))).astype(int)
    shown = _model_pixels(pixels)
    assert shown.mean() > 0.2
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    yellow = (pixels[..., 0] > 150) & (pixels[..., 1] > 110) & (pixels[..., 2] < 90)
    if fmt == "stl":
        # Grey #b8b4ac: nearly neutral everywhere.
        assert (spread[shown] < 30).mean() > 0.95
        assert not yellow.any()
    else:
        assert yellow.mean() > 0.1
