"""Turntables and contact sheets: real PyVista off-screen renders, real GIF/MP4/PNG files."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from testkit import make_textured_sphere_glb, subprocess_env

from image2model_desktop.mesh.turntable import frame_count

CLI = [sys.executable, "-m", "image2model_desktop", "turntable"]


@pytest.fixture(scope="module")
def sphere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_textured_sphere_glb(tmp_path_factory.mktemp("tt") / "sphere.glb", 3_000)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_turntable_file_has_the_frames_asked_for(sphere: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"orbit{suffix}"
    done = run_cli(str(sphere), str(out), "--frames", "16", "--size", "160x120")
    assert done.returncode == 0, done.stderr
    assert "16 frames" in done.stdout
    assert frame_count(out) == 16


def test_gif_frames_turn_the_model(sphere: Path, tmp_path: Path) -> None:
    out = tmp_path / "orbit.gif"
    assert run_cli(str(sphere), str(out), "--frames", "8", "--size", "96x96").returncode == 0
    with Image.open(out) as gif:
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append(np.asarray(gif.convert("RGB")).astype(int))
    assert frames[0].shape == (96, 96, 3)
    # The checker texture moves from each frame to the next.
    for before, after in itertools.pairwise(frames):
        assert np.abs(after - before).mean() > 3


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["orbit.avi"], "saved as .gif or .mp4"),
        (["orbit.gif", "--frames", "1"], "between 2 and"),
        (["orbit.gif", "--size", "big"], "not a size like 640x480"),
    ],
)
def test_bad_requests_exit_2_with_one_sentence(
    sphere: Path, tmp_path: Path, args: list[str], sentence: str
) -> None:
    done = run_cli(str(sphere), *(str(tmp_path / a) if a.startswith("orbit") else a for a in args))
    assert done.returncode == 2
    assert sentence in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_contact_sheet_of_a_folder(sphere: Path, tmp_path: Path) -> None:
    import shutil

    import trimesh

    folder = tmp_path / "outputs"
    folder.mkdir()
    shutil.copy(sphere, folder / "a.glb")
    trimesh.creation.box(extents=(1, 2, 1)).export(folder / "b.glb")
    sheet = tmp_path / "sheet.png"
    done = run_cli("--all", str(folder), str(sheet))
    assert done.returncode == 0, done.stderr
    assert "2 models" in done.stdout
    with Image.open(sheet) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    # Two tiles side by side, each with a model in it.
    tile = pixels[12 : 12 + 256]
    for left in (12, 12 + 256 + 12):
        cell = tile[:, left : left + 256]
        assert (np.abs(cell - cell[:, :1]).sum(axis=2) > 30).mean() > 0.05
