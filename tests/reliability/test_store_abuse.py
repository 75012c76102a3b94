"""The library under abuse: two app instances on one data folder, a broken database.

Decision (core/store.py): one process owns a data folder at a time, by an OS
lock that dies with its process. A second `generate`, `resume` or `serve` on
the same folder is refused with one sentence and exit code 2, and touches
nothing; the first carries on undisturbed. Two engines resuming one paid
request would pay twice, so "both work" is not offered.
"""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from faultrig import library_leftovers, saved_states
from testkit import make_photo, subprocess_env

from tests.fakefal import FakeFal, Scenario

pytestmark = pytest.mark.fal_fake(generation_seconds=1.0, patch=False)

CLI = [sys.executable, "-m", "image2model_desktop"]
REFUSAL = "already using this library"


class Child:
    """A CLI subprocess whose output lines can be awaited with a timeout."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*CLI, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout} s: {self.lines}") from None
            if line is None:
                raise AssertionError(f"exited before {text!r}: {self.lines}")
            self.lines.append(line)
            if text in line:
                return line

    def finish(self, timeout: float = 120) -> str:
        self.proc.wait(timeout=timeout)
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        return "".join(self.lines)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL
    )


def assert_refused(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert REFUSAL in result.stderr
    assert "IMAGE2MODEL_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def assert_library_sound(root: Path) -> None:
    db = sqlite3.connect(root / "library.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    assert library_leftovers(root) == []


def test_second_cli_is_refused_while_a_batch_runs(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path
) -> None:
    fake.plan(Scenario(generation_seconds=3.0), name_contains="first")
    env = subprocess_env(**fake.env())
    photos = [make_photo(tmp_path / f"first{i}.png", 96 + 8 * i) for i in range(2)]
    intruder = make_photo(tmp_path / "second.png", 80)
    first = Child(["generate", *map(str, photos), "--engine", "fal"], env)
    try:
        fake.wait_for(lambda: len(fake.submits()) == 2 or first.proc.poll() is not None, 60)

        assert_refused(run_cli("generate", str(intruder), "--engine", "offline", env=env))
        assert_refused(run_cli("resume", env=env))

        output = first.finish()
    finally:
        first.proc.kill()
    assert first.proc.returncode == 0, output
    saved = saved_states(isolated_environment / "library.sqlite3")
    assert sorted(saved) == ["first0.png", "first1.png"]
    assert {state for state, _, _ in saved.values()} == {"completed"}
    assert len(fake.submits()) == 2
    assert_library_sound(isolated_environment)


def test_serve_and_cli_exclude_each_other(
    fake: FakeFal, tmp_path: Path, isolated_environment: Path
) -> None:
    env = subprocess_env(**fake.env())
    photo = make_photo(tmp_path / "first.png", 96)

    server = Child(["serve", "--port", "0", "--engine", "offline"], env)
    try:
        server.wait_for_line("Press Ctrl-C to stop")
        assert_refused(run_cli("generate", str(photo), "--engine", "offline", env=env))
        server.proc.send_signal(signal.SIGINT)
        server.finish(timeout=30)
    finally:
        server.proc.kill()
    assert server.proc.returncode == 0, server.lines

    fake.plan(Scenario(generation_seconds=3.0), name_contains="first")
    batch = Child(["generate", str(photo), "--engine", "fal"], env)
    try:
        fake.wait_for(lambda: fake.submits() or batch.proc.poll() is not None, 60)
        assert_refused(run_cli("serve", "--port", "0", env=env))
        output = batch.finish()
    finally:
        batch.proc.kill()
    assert batch.proc.returncode == 0, output
    assert_library_sound(isolated_environment)


def test_damaged_database_is_refused_with_a_sentence(
    tmp_path: Path, isolated_environment: Path
) -> None:
    isolated_environment.mkdir(parents=True, exist_ok=True)
    database = isolated_environment / "library.sqlite3"
    database.write_bytes(b"this is not a database, a disk error wrote over it\n" * 200)
    photo = make_photo(tmp_path / "chair.png", 64)

    result = run_cli("generate", str(photo), "--engine", "offline", env=subprocess_env())

    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot be opened" in result.stderr and "Move it aside" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # Refused, not "repaired": the damaged file is left for the user to keep or move.
    assert database.read_bytes().startswith(b"this is not a database")
