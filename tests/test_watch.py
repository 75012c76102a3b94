"""Watching a folder: complete photos only, debounced, each becomes a model in --out."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

from testkit import make_photo, subprocess_env, until

from image2model_desktop.core.watch import GIVE_UP_SECONDS, FolderWatcher


class Clock:
    """The watcher's notion of time, moved by the test (the files are real)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_only_new_complete_photos_are_handed_out(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_photo(folder / "already.jpg")
    clock = Clock()
    watcher = FolderWatcher(folder, debounce=1.5, clock=clock)
    whole = make_photo(tmp_path / "whole.jpg").read_bytes()

    half = folder / "new.jpg"
    half.write_bytes(whole[: len(whole) // 2])
    (folder / ".hidden.jpg").write_bytes(whole)
    (folder / "notes.txt").write_text("not a photo")
    assert watcher.poll() == []
    clock.now = 5.0
    # Stable for longer than the debounce, but it does not decode: still waiting.
    assert watcher.poll() == []
    half.write_bytes(whole)
    clock.now = 5.5
    assert watcher.poll() == []  # it changed: the debounce starts again
    clock.now = 6.5
    assert watcher.poll() == []
    clock.now = 7.1
    assert watcher.poll() == [half]
    clock.now = 20.0
    assert watcher.poll() == []  # once only


def test_a_broken_photo_is_handed_out_after_a_while_to_be_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    clock = Clock()
    watcher = FolderWatcher(folder, clock=clock)
    broken = folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    assert watcher.poll() == []
    clock.now = GIVE_UP_SECONDS - 1
    assert watcher.poll() == []
    clock.now = GIVE_UP_SECONDS + 1
    assert watcher.poll() == [broken]


def test_watch_command_makes_five_models_and_waits_for_half_written_files(
    tmp_path: Path,
) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    sources = [make_photo(tmp_path / f"photo{i}.jpg", 200 + 16 * i) for i in range(5)]
    command = ["watch", str(inbox), "--out", str(out), "--engine", "offline"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "image2model_desktop", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:

        def started() -> bool:
            return any(line.startswith("Watching") for line in lines) or proc.poll() is not None

        asyncio.run(until(started, timeout=60, what="the watcher to start"))
        assert proc.poll() is None, "".join(lines)
        # One photo is half written while four others arrive whole: the four become
        # models (each waited out the debounce) while the half photo is left alone.
        slow = sources[0].read_bytes()
        with open(inbox / "photo0.jpg", "wb") as partial:
            partial.write(slow[: len(slow) // 2])
            partial.flush()
            for source in sources[1:]:
                shutil.copy(source, inbox / source.name)
            wait_for_models(out, 4, proc, lines)
            assert not (out / "photo0.glb").exists()
            assert not any("photo0.jpg" in line for line in lines), "".join(lines)
            partial.write(slow[len(slow) // 2 :])
        wait_for_models(out, 5, proc, lines)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    text = "".join(lines)
    assert sorted(p.name for p in out.glob("*.glb")) == [f"photo{i}.glb" for i in range(5)]
    assert "✗" not in text and "refused" not in text.lower()
    assert "photo0.jpg: done" in text  # the same progress lines as generate


def wait_for_models(out: Path, count: int, proc: subprocess.Popen[str], lines: list[str]) -> None:
    """Wait until ``out`` holds ``count`` models (the watcher's output), or fail saying why."""

    def done() -> bool:
        return len(list(out.glob("*.glb"))) >= count or proc.poll() is not None

    asyncio.run(until(done, timeout=180, what=f"{count} models in {out}"))
    assert proc.poll() is None, "".join(lines)
    assert len(list(out.glob("*.glb"))) >= count, "".join(lines)
