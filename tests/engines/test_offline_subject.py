"""The offline engine says when it found no subject, and leaves soft shadows out of the model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hard_photos import BOX, busy_background_photo, grey_object_photo, shadow_photo
from PIL import Image
from testkit import subprocess_env

from image2model_desktop.engines.offline.model import build_offline_model

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
BOX_ASPECT = (BOX[2] - BOX[0]) / (BOX[3] - BOX[1])


def aspect(path: Path) -> float:
    mesh = trimesh.load(str(path), force="mesh")
    return float(mesh.extents[0] / mesh.extents[1])


def test_busy_background_gives_a_model_and_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "busy.glb"
    stats = build_offline_model(busy_background_photo(), out, face_limit=2000)
    assert out.exists() and stats.faces > 0
    assert stats.warning is not None and "plain background" in stats.warning


def test_plain_frame_warns_that_no_subject_stood_out(tmp_path: Path) -> None:
    rgba = np.full((200, 300, 4), 128, np.uint8)
    stats = build_offline_model(rgba, tmp_path / "plain.glb", face_limit=2000)
    assert stats.warning is not None and stats.warning.startswith("No subject stood out")


@pytest.mark.parametrize("make", [shadow_photo, grey_object_photo], ids=["shadow", "grey box"])
def test_soft_contact_shadow_is_not_part_of_the_model(tmp_path: Path, make) -> None:
    out = tmp_path / "box.glb"
    stats = build_offline_model(make(), out, face_limit=4000)
    assert stats.warning is None
    # The shadow falls to the right: were it kept, the model would be about square.
    assert aspect(out) == pytest.approx(BOX_ASPECT, rel=0.08)


@pytest.mark.parametrize("name", ["mug.jpg", "vase.jpg", "apple.jpg", "duck.png"])
def test_samples_have_no_warning(tmp_path: Path, name: str) -> None:
    rgba = np.asarray(Image.open(SAMPLES / name).convert("RGBA"))
    stats = build_offline_model(rgba, tmp_path / "m.glb", face_limit=3000)
    assert stats.warning is None


def test_cli_shows_the_warning_on_the_file(tmp_path: Path, isolated_environment: Path) -> None:
    photo = tmp_path / "busy.png"
    offline_to = ["--engine", "offline", "--out", str(tmp_path / "out")]
    Image.fromarray(busy_background_photo()).save(photo)
    result = subprocess.run(
        [sys.executable, "-m", "image2model_desktop", "generate", str(photo), *offline_to],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "busy.glb").exists()
    line = next(x for x in result.stdout.splitlines() if "busy.png: done" in x)
    assert "— warning:" in line and "against a plain background" in line
    assert "downloading" not in result.stdout


def _cutout(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    """A 400² cutout whose opaque pixels are ``boxes`` (left, top, right, bottom)."""
    rgba = np.zeros((400, 400, 4), np.uint8)
    rgba[..., :3] = (200, 80, 40)
    for left, top, right, bottom in boxes:
        rgba[top:bottom, left:right, 3] = 255
    return rgba


def test_two_separate_objects_give_the_larger_and_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "two.glb"
    stats = build_offline_model(_cutout((30, 100, 150, 300), (250, 120, 360, 280)), out, 3000)
    assert stats.warning is not None and "(2 separate parts)" in stats.warning
    mesh = trimesh.load(str(out), force="mesh")
    assert len(mesh.split(only_watertight=False)) == 1
    # The larger box (120 × 200) is the model, not both (330 wide).
    assert mesh.extents[0] / mesh.extents[1] == pytest.approx(120 / 200, rel=0.1)


def test_a_part_a_thin_gap_away_is_joined(tmp_path: Path) -> None:
    out = tmp_path / "seam.glb"
    stats = build_offline_model(_cutout((60, 100, 198, 300), (202, 100, 340, 300)), out, 3000)
    assert stats.warning is None
    mesh = trimesh.load(str(out), force="mesh")
    assert len(mesh.split(only_watertight=False)) == 1
    assert mesh.extents[0] / mesh.extents[1] == pytest.approx(280 / 200, rel=0.1)


def test_a_tiny_subject_warns(tmp_path: Path) -> None:
    rgba = np.full((400, 400, 4), 235, np.uint8)
    rgba[185:215, 185:215, :3] = (30, 60, 200)  # 0.6 % of the photo
    stats = build_offline_model(rgba, tmp_path / "dot.glb", face_limit=2000)
    assert stats.warning is not None and stats.warning.startswith("The subject found is very small")
