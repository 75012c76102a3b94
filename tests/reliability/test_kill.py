"""kill -9 while uploading, while generating and while downloading; then `image2model resume`.

The CLI runs as a real subprocess against the fake FAL, which lives in this
process and so outlives the killed client. The moment to kill is read from the
fake (a held upload, requests seen in progress, throttled downloads under way),
never guessed with a sleep. After the restart every file must complete, FAL
must have been asked exactly once per photo, and no partial file may remain.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from faultrig import assert_model_intact, library_leftovers, saved_states
from testkit import make_photo, subprocess_env

from tests.fakefal import FakeFal, Scenario

pytestmark = pytest.mark.fal_fake(generation_seconds=1.0, patch=False)

CLI = [sys.executable, "-m", "image2model_desktop"]
FILES = 3


def _uploading(fake: FakeFal) -> bool:
    return any("kill" in (r.detail or "") for r in fake.started("upload"))


def _generating(fake: FakeFal) -> bool:
    submits = fake.submits()
    # Seen in progress over the status stream (or a poll, if it fell back to polling).
    return len(submits) == FILES and all(
        any(p.state == "IN_PROGRESS" for p in fake.status_polls(s.request_id))
        or any("IN_PROGRESS" in c.states for c in fake.status_streams(s.request_id))
        for s in submits
    )


def _downloading(fake: FakeFal) -> bool:
    return len([r for r in fake.started("download") if r.detail == "model"]) == FILES


PHASES: dict[str, tuple[Scenario, Callable[[FakeFal], bool]]] = {
    # The first upload is held for a minute: the CLI is killed while it waits.
    "upload": (Scenario(upload_delay_seconds=60.0), _uploading),
    "generation": (Scenario(generation_seconds=4.0), _generating),
    # 1.2 MB at 150 kB/s: eight seconds of download, the first time only.
    "download": (
        Scenario(model_size=1_200_000, download_bytes_per_second=150_000, slow_times=1),
        _downloading,
    ),
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_kill_9_then_resume_completes_every_file_once(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path, phase: str
) -> None:
    scenario, in_phase = PHASES[phase]
    fake.plan(scenario, name_contains="kill")
    photos = [make_photo(tmp_path / f"kill{i}.png", 96 + 8 * i) for i in range(FILES)]
    env = subprocess_env(**fake.env())
    log = tmp_path / "generate.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [*CLI, "generate", *map(str, photos), "--engine", "fal", "--concurrency", "3"],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        try:
            fake.wait_for(lambda: in_phase(fake) or child.poll() is not None, timeout=60)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, log.read_text()
    submitted_before = len(fake.submits())
    if phase == "upload":
        assert submitted_before == 0
        fake.plan(Scenario(), name_contains="kill")  # the network is fine again
    else:
        assert submitted_before == FILES
    if phase == "download":
        # Killed mid-stream: only hidden partial files hold the bytes so far.
        assert list(isolated_environment.glob("jobs/*/outputs/.*.part"))
    # Whatever the kill left, no model in the outputs is half written.
    for model in isolated_environment.glob("jobs/*/outputs/*.glb"):
        assert_model_intact(model)

    result = subprocess.run(
        [*CLI, "resume"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert len(fake.submits()) == FILES
    assert set(fake.submit_count_by_input().values()) == {1}
    saved = saved_states(isolated_environment / "library.sqlite3")
    assert {state for state, _, _ in saved.values()} == {"completed"}, saved
    models = sorted(isolated_environment.glob("jobs/*/outputs/*.glb"))
    assert [m.name for m in models] == [f"kill{i}.glb" for i in range(FILES)]
    expected = 1_200_000 if phase == "download" else None
    for model in models:
        assert_model_intact(model, expected)
    assert library_leftovers(isolated_environment) == []
    assert fake.key not in output


def test_kill_9_mid_remesh_then_resume_finishes_it_without_a_second_submit(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path
) -> None:
    """Issue 22: a remesh is resumed by its saved request id like a generation."""
    env = subprocess_env(**fake.env())
    photo = make_photo(tmp_path / "duck.png", 96)
    made = subprocess.run(
        [*CLI, "generate", str(photo), "--engine", "fal"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    (model,) = isolated_environment.glob("jobs/*/outputs/duck.glb")
    # The version's upload is named after it (duck.v2.glb): only the remesh is slow.
    fake.plan(Scenario(generation_seconds=6.0), name_contains="duck.v2")
    remesh = "fal-ai/meshy/v5/remesh"

    def remeshing() -> bool:
        submits = fake.submits_to(remesh)
        return len(submits) == 1 and any(
            "IN_PROGRESS" in c.states for c in fake.status_streams(submits[0].request_id)
        )

    log = tmp_path / "remesh.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [*CLI, "remesh", str(model), "--quad", "--faces", "5000"],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        try:
            fake.wait_for(lambda: remeshing() or child.poll() is not None, timeout=60)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, log.read_text()
    database = isolated_environment / "library.sqlite3"
    # Both versions carry the photo's name: read them by version.
    (first, second) = _versions(database)
    assert first[:2] == (1, "completed")
    # Killed after FAL took it: its request id is saved (the state may lag the stream).
    assert second[1] in ("queued", "generating") and second[2] is not None, second

    result = subprocess.run(
        [*CLI, "resume"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    (submit,) = fake.submits_to(remesh)
    assert _versions(database) == [(1, "completed", None), (2, "completed", submit.request_id)]
    (version,) = isolated_environment.glob("jobs/*/outputs/duck.v2.glb")
    assert_model_intact(version)
    assert "Spent on FAL: $0.20" in result.stdout
    assert library_leftovers(isolated_environment) == []


def _versions(database: Path) -> list[tuple[int, str, str | None]]:
    """(version, state, request id of a version job) of every file, by version."""
    db = sqlite3.connect(database)
    try:
        rows = db.execute(
            "SELECT version, state, CASE WHEN parent_file_id IS NULL THEN NULL ELSE request_id END "
            "FROM files ORDER BY version"
        ).fetchall()
    finally:
        db.close()
    return [(int(v), str(state), request) for v, state, request in rows]
