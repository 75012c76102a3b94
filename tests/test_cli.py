"""The command line, run as a user runs it: a real subprocess on real files."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trimesh
from hostile import build_hostile_corpus
from testkit import make_photo, subprocess_env, until

CLI = [sys.executable, "-m", "image2model_desktop"]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )


def test_samples_become_textured_solid_models(sample_photos: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("generate", *map(str, sample_photos), "--engine", "offline", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    models = sorted(out.glob("*.glb"))
    assert [m.stem for m in models] == sorted(p.stem for p in sample_photos)
    for model in models:
        scene = trimesh.load(model, force="scene")
        mesh = next(iter(scene.geometry.values()))
        assert len(mesh.faces) <= 20_000
        assert mesh.visual.kind == "texture" and mesh.visual.material is not None
        assert min(scene.extents) > 0.05 * max(scene.extents), "the model is flat"


def test_face_limit_and_json_summary(photo: Path) -> None:
    result = run_cli("generate", str(photo), "--engine", "offline", "--face-limit", "800", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    assert summary["face_limit"] == 800
    (entry,) = summary["results"]
    assert entry["status"] == "completed" and 0 < entry["face_count"] <= 800
    assert entry["download_url"].endswith("/disc.glb")
    assert "Engine: offline" in result.stderr


def test_hostile_files_each_get_one_line_and_good_ones_complete(tmp_path: Path) -> None:
    corpus = build_hostile_corpus(tmp_path / "hostile")
    good = make_photo(tmp_path / "good.png")
    result = run_cli("generate", str(good), *(str(c.path) for c in corpus), "--engine", "offline")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "✓ good.png" in result.stdout
    lines = result.stdout.lower().splitlines()
    for case in corpus:
        name = case.path.name.lower()
        summary_lines = [line for line in lines if line.strip().startswith(f"✗ {name}:")]
        assert len(summary_lines) == 1, (case.path.name, output)
        assert case.expect_reason_contains in summary_lines[0], summary_lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "missing.jpg"], "No such file or folder"),
        (["generate", "{photo}", "--engine", "fal"], "No FAL key is set"),
        (["generate", "{photo}", "--face-limit", "0"], "from 100 to 2,000,000"),
        (["generate", "{photo}", "--concurrency", "26"], "between 1 and 25"),
        (["frobnicate", "--nope"], "unrecognized arguments"),
    ],
)
def test_usage_and_setup_errors_exit_2(args: list[str], message: str, photo: Path) -> None:
    result = run_cli(*(a.replace("{photo}", str(photo)) for a in args))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_more_than_25_photos_is_refused(photo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(26):
        shutil.copy(photo, folder / f"p{i:02}.png")
    result = run_cli("generate", str(folder))
    assert result.returncode == 2
    assert "Too many photos: 26 given, at most 25" in result.stderr


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def descendants_of(pid: int) -> list[int]:
    """Children, their children …: on Linux the workers are the fork server's children."""
    found = children_of(pid)
    for child in list(found):
        found += descendants_of(child)
    return found


def test_kill_9_mid_batch_keeps_the_store_and_the_next_run_finishes(
    tmp_path: Path, isolated_environment: Path
) -> None:
    photos = [make_photo(tmp_path / f"p{i}.png", 320) for i in range(5)]
    proc = subprocess.Popen(
        [*CLI, "generate", *map(str, photos), "--engine", "offline", "--concurrency", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    seen = []
    for line in proc.stdout:  # blocks on the child's output, no polling
        seen.append(line)
        if "done (" in line:
            break
        assert time.monotonic() < deadline, "".join(seen)
    workers = descendants_of(proc.pid)
    assert len(workers) >= 3, f"the offline engine runs in pool processes: {workers}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # Orphaned pool workers must notice and leave (they would linger forever).
    asyncio.run(
        until(
            lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers),
            timeout=15,
            what=f"workers {workers} to leave after the app was killed",
        )
    )

    db = sqlite3.connect(isolated_environment / "library.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    states = [r[0] for r in db.execute("SELECT state FROM files")]
    db.close()
    assert "completed" in states and set(states) != {"completed"}, states

    result = run_cli("generate", str(make_photo(tmp_path / "after.png")), "--engine", "offline")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Also finishing 1 batch" in result.stdout
    db = sqlite3.connect(isolated_environment / "library.sqlite3")
    states = [r[0] for r in db.execute("SELECT state FROM files")]
    db.close()
    assert states == ["completed"] * 6


def test_a_second_instance_is_refused_with_a_sentence(photo: Path) -> None:
    from image2model_desktop.runtime import open_runtime

    runtime = open_runtime()
    try:
        result = run_cli("generate", str(photo), "--engine", "offline")
    finally:
        runtime.store.close()
    assert result.returncode == 2
    assert "already using this library" in result.stderr


def test_config_set_key_never_echoes_the_key(isolated_environment: Path) -> None:
    secret = "abc123-SECRET-KEY-value-0000"
    stored = subprocess.run(
        [*CLI, "config", "set-key", "--stdin"],
        input=secret + "\n",
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert stored.returncode == 0, stored.stderr
    shown = run_cli("config", "show")
    assert "set, from a private file" in shown.stdout
    key_file = isolated_environment / "fal_key"
    assert key_file.stat().st_mode & 0o077 == 0
    for text in (stored.stdout, stored.stderr, shown.stdout, shown.stderr):
        assert secret not in text
    log_dir = isolated_environment / "logs"
    for log_file in log_dir.glob("*") if log_dir.exists() else []:
        assert secret not in log_file.read_text(encoding="utf-8", errors="replace")


def test_ctrl_c_cancels_cleanly_and_keeps_what_finished(tmp_path: Path) -> None:
    photos = [make_photo(tmp_path / f"p{i}.png", 320) for i in range(6)]
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CLI, "generate", *map(str, photos), "--concurrency", "1", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # blocks on the child's output until the first model is done
        if "done (" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest, errors = proc.communicate(timeout=60)
    assert proc.returncode == 1, rest + errors
    assert "Traceback" not in rest + errors
    assert "Cancelling… finished models are kept" in rest
    kept = [line for line in rest.splitlines() if line.startswith("  ✓ ")]
    cancelled = [
        line
        for line in rest.splitlines()
        if line.startswith("  ✗ ") and line.endswith(": cancelled")
    ]
    assert kept and cancelled, rest
    assert len(kept) + len(cancelled) == 6
    assert len(list(out.glob("*.glb"))) == len(kept)


@pytest.mark.parametrize("value", ["50", "3000000", "-5", "abc", "0"])
def test_face_limit_outside_the_engines_range_is_one_sentence_and_exit_2(
    photo: Path, value: str
) -> None:
    result = run_cli("generate", str(photo), "--engine", "offline", f"--face-limit={value}")
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "face limit" in line and "from 100 to 2,000,000 for the offline engine" in line
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_face_limit_outside_fals_range_is_refused_before_anything_is_sent(photo: Path) -> None:
    result = subprocess.run(
        [*CLI, "generate", str(photo), "--engine", "fal", "--face-limit", "3000000"],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(FAL_KEY="not-a-real-key"),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "from 1 to 2,000,000 for FAL's Tripo v2.5" in result.stderr
