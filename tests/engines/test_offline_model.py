"""The offline engine writes closed, textured, budget-respecting GLBs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import trimesh
from PIL import Image, ImageDraw

from image2model_desktop.engines.offline.model import OfflineModelStats, build_offline_model

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


def product_photo(size: int = 400) -> npt.NDArray[np.uint8]:
    """A red bottle-like shape on a light gradient background, with noise."""
    gradient = np.linspace(235, 205, size)[:, None, None] * np.ones((1, size, 3))
    image = Image.fromarray(gradient.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.3, size * 0.35, size * 0.7, size * 0.9), fill=(190, 40, 35))
    draw.rectangle((size * 0.44, size * 0.1, size * 0.56, size * 0.45), fill=(190, 40, 35))
    noisy = np.asarray(image, dtype=np.int16) + np.random.default_rng(0).integers(
        -4, 5, (size, size, 3)
    )
    rgb = np.clip(noisy, 0, 255).astype(np.uint8)
    return np.dstack([rgb, np.full((size, size), 255, np.uint8)])


def load(path: Path) -> trimesh.Trimesh:
    mesh = trimesh.load(str(path), force="mesh")
    assert isinstance(mesh, trimesh.Trimesh)
    return mesh


def assert_solid_and_textured(mesh: trimesh.Trimesh) -> None:
    assert mesh.is_watertight
    assert mesh.is_winding_consistent
    assert mesh.volume > 0
    assert mesh.visual.kind == "texture"
    assert mesh.visual.material.baseColorTexture is not None


@pytest.mark.parametrize("limit", [500, 5000, 20000])
def test_border_colour_subject_is_closed_textured_and_within_budget(
    tmp_path: Path, limit: int
) -> None:
    out = tmp_path / "model.glb"
    stats = build_offline_model(product_photo(), out, face_limit=limit)
    mesh = load(out)
    assert_solid_and_textured(mesh)
    assert len(mesh.faces) == stats.faces <= limit
    assert stats.faces > 0.5 * limit
    extents = mesh.extents
    assert extents.max() == pytest.approx(1.0)
    assert extents.min() > 0.15
    # The bottle is taller than wide: Y is up.
    assert extents[1] > 1.3 * extents[0]
    assert list(tmp_path.iterdir()) == [out]


def test_default_budget_is_20000(tmp_path: Path) -> None:
    stats = build_offline_model(product_photo(), tmp_path / "m.glb")
    assert isinstance(stats, OfflineModelStats)
    assert stats.textured
    assert 10_000 < stats.faces <= 20_000


def test_alpha_cutout_follows_the_alpha_channel(tmp_path: Path) -> None:
    rgba = np.zeros((300, 300, 4), np.uint8)
    rgba[..., :3] = (20, 200, 60)
    yy, xx = np.mgrid[0:300, 0:300]
    # A wide ellipse, touching the left border; RGB alone could not find it.
    rgba[..., 3] = np.where(((xx - 100) / 140) ** 2 + ((yy - 150) / 60) ** 2 < 1, 255, 0)
    out = tmp_path / "cut.glb"
    build_offline_model(rgba, out, face_limit=5000)
    mesh = load(out)
    assert_solid_and_textured(mesh)
    width, height = mesh.extents[0], mesh.extents[1]
    assert width / height == pytest.approx(240 / 120, rel=0.1)


def test_plain_image_becomes_a_textured_slab(tmp_path: Path) -> None:
    rgba = np.full((200, 300, 4), 128, np.uint8)
    rgba[..., 3] = 255
    out = tmp_path / "plain.glb"
    build_offline_model(rgba, out, face_limit=2000)
    mesh = load(out)
    assert_solid_and_textured(mesh)
    assert mesh.extents[0] / mesh.extents[1] == pytest.approx(1.5, rel=0.05)


def test_thin_shape_stays_closed(tmp_path: Path) -> None:
    rgba = np.full((400, 400, 4), 255, np.uint8)
    rgba[40:360, 198:202, :3] = 0
    out = tmp_path / "thin.glb"
    build_offline_model(rgba, out, face_limit=500)
    mesh = load(out)
    assert_solid_and_textured(mesh)
    assert mesh.extents[1] == pytest.approx(1.0)
    assert mesh.extents[0] < 0.1


def test_subject_touching_the_border_is_kept(tmp_path: Path) -> None:
    rgba = np.full((300, 300, 4), 240, np.uint8)
    rgba[100:300, 80:220, :3] = (30, 60, 200)
    out = tmp_path / "edge.glb"
    build_offline_model(rgba, out, face_limit=3000)
    mesh = load(out)
    assert_solid_and_textured(mesh)
    assert mesh.extents[0] / mesh.extents[1] == pytest.approx(140 / 200, rel=0.1)


def test_front_texture_is_not_mirrored(tmp_path: Path) -> None:
    rgba = product_photo()
    rgba[:, :200, :3] = np.where(rgba[:, :200, :1] < 200, (30, 40, 190), rgba[:, :200, :3])
    out = tmp_path / "halves.glb"
    build_offline_model(rgba, out, face_limit=5000)
    mesh = load(out)
    front = mesh.vertices[:, 2] > 0.05
    colours = mesh.visual.to_color().vertex_colors[:, :3].astype(int)
    left = front & (mesh.vertices[:, 0] < -0.1)
    right = front & (mesh.vertices[:, 0] > 0.1)
    assert colours[left, 2].mean() > colours[left, 0].mean()  # blue on the left
    assert colours[right, 0].mean() > colours[right, 2].mean()  # red on the right


def test_tiny_limit_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="face_limit"):
        build_offline_model(product_photo(), tmp_path / "m.glb", face_limit=10)


@pytest.mark.parametrize("name", ["mug.jpg", "duck.png"])
def test_samples_build(tmp_path: Path, name: str) -> None:
    rgba = np.asarray(Image.open(SAMPLES / name).convert("RGBA"))
    out = tmp_path / "sample.glb"
    stats = build_offline_model(rgba, out, face_limit=8000)
    assert stats.faces <= 8000
    assert_solid_and_textured(load(out))
