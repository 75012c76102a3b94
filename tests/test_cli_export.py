"""``image2model export``: the acceptance case as a user runs it, and every refusal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import trimesh
from testkit import subprocess_env

from image2model_desktop.cli import main

CLI = [sys.executable, "-m", "image2model_desktop"]
ACCEPTANCE_FLAGS = ["--faces", "1000", "--height", "100mm", "--pivot", "bottom"]


def test_acceptance_3mf_with_budget_height_and_bottom_pivot(
    offline_duck_glb: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "part.3mf"
    done = subprocess.run(
        [*CLI, "export", str(offline_duck_glb), str(dest), *ACCEPTANCE_FLAGS],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    mesh = trimesh.load(str(dest), force="mesh")
    assert len(mesh.faces) <= 1000
    low, high = mesh.bounds
    assert high[2] - low[2] == pytest.approx(100, abs=0.5)
    assert low[2] == pytest.approx(0, abs=1e-6)
    # The texture warning came before the result line; the result line says what was written.
    assert done.stderr == "Warning: 3MF keeps the shape only: the texture will not be saved.\n"
    assert "part.3mf" in done.stdout and "100.0 mm" in done.stdout and "Z up" in done.stdout


def test_holes_are_reported_with_the_flag_that_fills_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    src = tmp_path / "open.glb"
    trimesh.Trimesh(box.vertices, box.faces[1:]).export(str(src))
    assert main(["export", str(src), str(tmp_path / "open.stl")]) == 0
    err = capsys.readouterr().err
    assert "not watertight: 1 hole" in err and "--fill-holes" in err
    assert main(["export", str(src), str(tmp_path / "closed.stl"), "--fill-holes"]) == 0
    out, err = capsys.readouterr()
    assert "Closed 1 hole" in out and "watertight" not in err
    assert trimesh.load(str(tmp_path / "closed.stl")).is_watertight


@pytest.mark.parametrize(
    ("extra", "dest", "message"),
    [
        (["--height", "100"], "a.stl", "has no unit"),
        (["--height", "tall"], "a.stl", "not a length"),
        (["--height", "2ft"], "a.stl", "Unknown unit 'ft'"),
        (["--height", "10cm", "--scale", "2"], "a.stl", "a height or a scale factor, not both"),
        (["--scale", "-1"], "a.stl", "above zero"),
        (["--up", "z"], "a.glb", "glTF is Y up"),
        ([], "a.fbx", "unknown extension .fbx"),
        ([], "a.gltf", "name it a.gltf.zip"),
        ([], "missing/a.stl", "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(
    offline_duck_glb: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    dest: str,
    message: str,
) -> None:
    code = main(["export", str(offline_duck_glb), str(tmp_path / dest), *extra])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("image2model: ") and message in err
    assert not (tmp_path / dest).exists()


def test_missing_and_unreadable_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "none.glb"), str(tmp_path / "a.stl")]) == 2
    assert "No such model file" in capsys.readouterr().err
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert main(["export", str(notes), str(tmp_path / "a.stl")]) == 2
    assert "not a model file" in capsys.readouterr().err
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"not a model at all")
    assert main(["export", str(broken), str(tmp_path / "a.stl")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.glb could not be read" in err
    assert not (tmp_path / "a.stl").exists()


def test_face_budget_below_four_is_an_argparse_error(
    offline_duck_glb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(offline_duck_glb), str(tmp_path / "a.stl"), "--faces", "3"])
    assert exit_info.value.code == 2
    assert "--faces: must be at least 4" in capsys.readouterr().err


def test_write_failure_exits_1(
    offline_duck_glb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "taken.stl"
    dest.mkdir()  # a folder where the file should go: the rename fails
    assert main(["export", str(offline_duck_glb), str(dest)]) == 1
    err = capsys.readouterr().err
    assert "could not write" in err
