"""Issue 22 through the real CLI (subprocesses) and fal-client against the loopback fake:
a Hunyuan3D v3 result's FBX and USDZ saved byte for byte by `export`, generator options
as flags, and `remesh MODEL --quad --faces 5000`: one submit, a new version beside the
original, the spent figure shown."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import make_photo, subprocess_env

from tests.fakefal import FakeFal

pytestmark = pytest.mark.fal_fake(generation_seconds=0.3, patch=False)

CLI = [sys.executable, "-m", "image2model_desktop"]
REMESH = "fal-ai/meshy/v5/remesh"


def run_cli(fake: FakeFal, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(**fake.env()),
        stdin=subprocess.DEVNULL,
    )


def library_files(root: Path) -> list[tuple[str, str, str, int, str | None]]:
    """(job id, file id, state, version, parent) of every file, oldest first."""
    db = sqlite3.connect(root / "library.sqlite3")
    try:
        rows = db.execute(
            "SELECT job_id, file_id, state, version, parent_file_id FROM files ORDER BY created"
        ).fetchall()
    finally:
        db.close()
    return [(str(a), str(b), str(c), int(d), e) for a, b, c, d, e in rows]


def served(fake: FakeFal, suffix: str) -> bytes:
    (data,) = [f.data for f in fake._state.files.values() if f.name.endswith(suffix)]
    return data


def test_export_hands_out_hunyuans_fbx_and_usdz_byte_for_byte(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path
) -> None:
    photo = make_photo(tmp_path / "vase.png", 96)
    made = run_cli(fake, "generate", str(photo), "--engine", "fal", "--model", "hunyuan3d-v3")
    assert made.returncode == 0, made.stdout + made.stderr
    ((job_id, file_id, _, _, _),) = library_files(isolated_environment)
    ref = f"{job_id}/{file_id}"
    listed = run_cli(fake, "export", ref, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "FBX" in listed.stdout and "as FAL gave it" in listed.stdout
    assert "converted by Image2Model" in listed.stdout
    for fmt in ("fbx", "usdz"):
        dest = tmp_path / f"out.{fmt}"
        result = run_cli(fake, "export", ref, str(dest))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "as FAL gave it, byte for byte" in result.stdout
        assert dest.read_bytes() == served(fake, f".{fmt}")
    # The GLB FAL gave, unconverted, on request.
    glb = tmp_path / "same.glb"
    result = run_cli(fake, "export", file_id, str(glb), "--as-given")
    assert result.returncode == 0, result.stderr
    assert (
        glb.read_bytes()
        == (isolated_environment / "jobs" / job_id / "outputs" / "vase.glb").read_bytes()
    )
    # A format FAL did not give, asked as given: one sentence, nothing written.
    refused = run_cli(fake, "export", ref, str(tmp_path / "x.stl"), "--as-given")
    assert refused.returncode == 2 and "FAL returned no STL" in refused.stderr
    assert not (tmp_path / "x.stl").exists()


def test_generator_options_are_flags_and_priced(fake: FakeFal, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "chair.png", 96)
    result = run_cli(
        fake,
        "generate",
        str(photo),
        "--engine",
        "fal",
        "--model",
        "tripo-h3.1",
        "--quad",
        "--real-size",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Estimated cost: $0.35 for 1 models" in result.stdout
    (submit,) = fake.submits()
    assert submit.arguments["quad"] is True and submit.arguments["auto_size"] is True
    assert "chair.fbx" in result.stdout
    refused = run_cli(
        fake, "generate", str(photo), "--engine", "fal", "--model", "trellis-2", "--quad"
    )
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "TRELLIS.2 makes no quad meshes; turn Quad off." in line
    assert len(fake.submits()) == 1


def test_remesh_makes_a_version_beside_the_original_once(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path
) -> None:
    photo = make_photo(tmp_path / "duck.png", 96)
    made = run_cli(fake, "generate", str(photo), "--engine", "fal")
    assert made.returncode == 0, made.stdout + made.stderr
    ((job_id, file_id, _, _, _),) = library_files(isolated_environment)
    original = isolated_environment / "jobs" / job_id / "outputs" / "duck.glb"
    before = original.read_bytes()
    out = tmp_path / "out"
    result = run_cli(
        fake,
        "remesh",
        str(original),
        "--quad",
        "--faces",
        "5000",
        "--formats",
        "fbx",
        "--out",
        str(out),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Estimated cost: $0.20 (price: FAL, today)" in result.stdout
    assert "Spent on FAL: $0.20 (estimated $0.20)." in result.stdout
    (submit,) = fake.submits_to(REMESH)
    assert (submit.arguments["topology"], submit.arguments["target_polycount"]) == ("quad", 5000)
    rows = library_files(isolated_environment)
    assert [(r[2], r[3], r[4]) for r in rows] == [("completed", 1, None), ("completed", 2, file_id)]
    assert original.read_bytes() == before
    assert (out / "duck.v2.glb").is_file()
    listed = run_cli(fake, "versions", file_id)
    assert listed.returncode == 0, listed.stderr
    assert "v1 · generated" in listed.stdout and "v2 · remeshed (meshy-remesh)" in listed.stdout
    assert "duck.v2.fbx" in listed.stdout

    # Asked again: reused, not sent.
    again = run_cli(
        fake, "remesh", f"{job_id}/{file_id}", "--quad", "--faces", "5000", "--formats", "fbx"
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Estimated cost: $0.00" in again.stdout
    assert len(fake.submits_to(REMESH)) == 1
