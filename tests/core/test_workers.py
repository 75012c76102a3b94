"""The worker processes: pictures in one worker apart from the mesh pool, idle exit, restart.

Real spawned processes throughout; the jobs are this module's functions (a
spawned worker imports this module by name to run them).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import until

from image2model_desktop.core import workers


@workers.draws_pictures
def picture_job() -> int:
    return os.getpid()


def mesh_job() -> int:
    return os.getpid()


def die_once(marker: str) -> int:
    """End this worker abruptly the first time (as the out-of-memory killer would)."""
    if not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)
    return os.getpid()


@pytest.fixture(autouse=True)
def stop_workers() -> Iterator[None]:
    yield
    workers.shutdown_process_pool()


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def worker_processes() -> list[int]:
    """This process's workers and fork server (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        ours = parent == os.getpid() and b"multiprocessing" in command
        if ours and b"resource_tracker" not in command:
            found.append(int(stat.parent.name))
    return found


def test_pictures_are_drawn_in_one_worker_apart_from_the_mesh_pool() -> None:
    async def run() -> tuple[set[int], set[int]]:
        mesh = await asyncio.gather(*(workers.run_in_process(mesh_job) for _ in range(6)))
        pictures = await asyncio.gather(*(workers.run_in_process(picture_job) for _ in range(4)))
        return set(mesh), set(pictures)

    mesh, pictures = asyncio.run(run())
    assert len(pictures) == 1, f"pictures were drawn in several processes: {pictures}"
    assert not pictures & mesh, "a mesh worker drew a picture"
    assert os.getpid() not in mesh | pictures


def test_workers_exit_when_idle_and_come_back_for_the_next_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "IDLE_EXIT_SECONDS", 0.3)

    async def run() -> None:
        first = await workers.run_in_process(mesh_job)
        drawer = await workers.run_in_process(picture_job)
        assert worker_processes(), "expected worker processes (or a fork server) to run"
        await until(
            lambda: not workers.workers_running() and not alive(first) and not alive(drawer),
            timeout=30,
            what="the idle workers to exit",
        )
        # The fork server too: it holds the preloaded libraries.
        await until(lambda: not worker_processes(), timeout=30, what="the fork server to exit")
        again = await workers.run_in_process(mesh_job)
        assert again != first and alive(again)

    asyncio.run(run())


def test_a_worker_that_died_is_replaced_and_the_pool_still_retires(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(workers, "IDLE_EXIT_SECONDS", 0.3)

    async def run() -> None:
        pid = await workers.run_in_process(die_once, str(tmp_path / "died"))
        assert alive(pid)
        # The broken pool's job must not count as running forever: the new pool retires.
        await until(
            lambda: not workers.workers_running() and not alive(pid),
            timeout=30,
            what="the replacement pool to retire when idle",
        )

    asyncio.run(run())
