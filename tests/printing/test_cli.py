"""``image2model print-check`` and the export's print flags, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import trimesh
from testkit import make_textured_sphere_glb, subprocess_env

from image2model_desktop.cli import main

from .shapes import cube, cup, open_box, save

CLI = [sys.executable, "-m", "image2model_desktop"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or subprocess_env(),
        stdin=subprocess.DEVNULL,
    )


def test_exit_codes_printable_warnings_not_printable(tmp_path: Path) -> None:
    good = save(cube(20), tmp_path / "cube.stl")
    thin = save(cup(), tmp_path / "cup.stl")
    holed = save(open_box(), tmp_path / "box.stl")
    done = run("print-check", str(good), "--height", "30mm")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "cube.stl: GREEN, printable (30.0 × 30.0 × 30.0 mm, FDM, PLA)"
    assert all(line.startswith("  ✓ ") for line in lines[1:])
    done = run("print-check", str(thin))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "  ! Walls down to 0.50 mm" in done.stdout
    done = run("print-check", str(holed), "--printer", "resin")
    assert done.returncode == 4
    assert done.stdout.splitlines()[1].startswith("  ✗ 1 hole in the surface")


def test_batch_over_a_folder_takes_the_worst_and_json_lists_each(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    save(cube(20), folder / "a.stl")
    save(cup(), folder / "b.stl")
    done = run("print-check", str(folder), "--json")
    assert done.returncode == 3, done.stderr
    body = json.loads(done.stdout)
    assert [Path(m["file"]).name for m in body["models"]] == ["a.stl", "b.stl"]
    assert [m["verdict"] for m in body["models"]] == ["green", "amber"]
    thin = body["models"][1]
    assert thin["thinnest_wall_mm"] == pytest.approx(0.5, abs=0.01)
    assert {f["code"] for f in thin["findings"]} >= {"thin_walls", "overhangs", "material"}


def test_a_library_job(tmp_path: Path, isolated_environment: Path) -> None:
    job = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
    outputs = isolated_environment / "jobs" / job / "outputs"
    outputs.mkdir(parents=True)
    save(cube(20), outputs / "cube.stl")
    assert main(["print-check", "--job", job]) == 0
    assert main(["print-check", "--job", job.replace("1b", "2c")]) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--height", "80"], "has no unit"),
        (["--material", "resin"], "not printed on a fdm printer"),
        (["--build-volume", "big"], "not a build volume"),
        (["--overhang", "120"], "between 0 and 90"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    model = save(cube(20), tmp_path / "cube.stl")
    assert main(["print-check", str(model), *extra]) == 2
    assert message in capsys.readouterr().err


def test_export_hollow_drain_colours_orient(tmp_path: Path) -> None:
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 4_000)
    dest = tmp_path / "ball.3mf"
    done = run(
        "export", str(src), str(dest), "--height", "40mm",
        "--hollow", "2mm", "--drain", "4mm", "--colors", "4", "--orient",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Hollowed with 2 mm walls" in out and "4 mm drain hole" in out
    assert "Colours by filament slot: 1 #" in out and "Kept the pose" in out
    mesh = trimesh.load(str(dest), force="mesh")
    assert mesh.is_watertight
    assert mesh.volume < 0.5 * (4 / 3) * 3.1416 * 20**3
    done = run("export", str(src), str(tmp_path / "x.stl"), "--drain", "4mm")
    assert done.returncode == 2 and "needs a hollow model" in done.stderr
