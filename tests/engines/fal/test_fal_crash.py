"""kill -9 in the middle of a paid batch, then start again: nothing lost, nothing paid twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import make_photo, subprocess_env

from tests.fakefal import FakeFal

pytestmark = pytest.mark.fal_fake(generation_seconds=4.0, patch=False)

CLI = [sys.executable, "-m", "image2model_desktop"]


def test_kill_9_after_every_submit_then_resume(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path
) -> None:
    photos = [make_photo(tmp_path / f"shoe{i}.png", 128) for i in range(5)]
    env = subprocess_env(**fake.env())
    proc = subprocess.Popen(
        [*CLI, "generate", *map(str, photos), "--engine", "fal", "--concurrency", "5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    try:
        # A status request (stream or poll) comes only after the request id was
        # committed to the store.
        fake.wait_for(
            lambda: (
                len(fake.submits()) == 5
                and all(
                    fake.status_stream_count(s.request_id) or fake.status_polls(s.request_id)
                    for s in fake.submits()
                )
            ),
            timeout=60,
        )
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert all(fake.request_state(s.request_id) != "COMPLETED" for s in fake.submits())

    db = sqlite3.connect(isolated_environment / "library.sqlite3")
    saved = db.execute("SELECT state, request_id FROM files").fetchall()
    db.close()
    assert len(saved) == 5 and all(rid for _, rid in saved), saved

    result = subprocess.run(
        [*CLI, "resume"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 successful" in result.stdout
    assert len(fake.submits()) == 5
    assert set(fake.submit_count_by_input().values()) == {1}
    outputs = list((isolated_environment / "jobs").rglob("outputs/*.glb"))
    assert len(outputs) == 5
    assert not list((isolated_environment / "jobs").rglob("*.part"))
    assert fake.key not in result.stdout + result.stderr


def test_cli_with_a_key_uses_fal_shows_cost_and_names_failures(
    fake: FakeFal, tmp_path: Path
) -> None:
    photos = [make_photo(tmp_path / name, 96) for name in ("chair.png", "cat_reject422.png")]
    env = subprocess_env(**fake.env())
    result = subprocess.run(
        [*CLI, "generate", *map(str, photos), "--texture", "HD"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Engine: FAL Tripo v2.5" in result.stdout
    assert "Estimated cost: $0.80 for 2 models" in result.stdout
    assert "  ✓ chair.png → " in result.stdout and "chair.glb  [tripo-v2.5]" in result.stdout
    assert "  ✗ cat_reject422.png: FAL could not use this image: " in result.stdout
    assert fake.key not in result.stdout + result.stderr
