"""Memory of the whole app (window and every worker) through a 25-photo batch and its results.

    python bench/memory.py                       # this checkout
    python bench/memory.py --against e7235d6     # that commit too, in the same run

Starts the window (under its own Xvfb unless ``--display`` is given), adds 25
different photos, generates them with the offline engine (the settings'
default concurrency, 4), waits for the results page (every grid picture and
the preview), clicks through five models, then leaves the app idle for a
minute. Meanwhile the PSS of every process in the app's tree is read every
0.5 s from ``/proc/<pid>/smaps_rollup`` (PSS shares each shared page among
the processes that map it, so the sum is what the app costs the machine).

The pool is forced to 4 workers (``pool_size``), as on a 4-core laptop,
whatever this machine has. Prints, per phase (batch, results, idle), the
peak of the tree's total and each process's own peak, and the tree after a
minute idle. Goals (issue 23): peak ≤ 700 MB, idle ≤ 500 MB.

With ``--against REF`` the same run is made first on ``git archive REF`` (the
code before a change) and then on this checkout, one after the other on the
same machine, and both are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
SAMPLE_SECONDS = 0.5
IDLE_SECONDS = 60.0
PEAK_GOAL_MB = 700
IDLE_GOAL_MB = 500
POOL_SIZE = 4
MB = 1024 * 1024


# -- the app, in a child process ----------------------------------------------------


def child(photos: int, idle: float) -> int:
    """Run the window through a batch, its results and an idle minute; say each phase on stdout."""
    import asyncio

    from gui_lag import stage_photos

    from image2model_desktop.core import workers

    workers.pool_size = lambda: POOL_SIZE  # a 4-core laptop's pool, on any machine
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    from image2model_desktop.gui.app import bootstrap, close_session

    def phase(name: str) -> None:
        print(f"PHASE {name} {time.monotonic():.3f}", flush=True)

    async def drive(window: object, paths: list[Path]) -> str:
        from image2model_desktop.gui.header import Phase

        from image2model_desktop.gui.app import load_3d_stack, wait_exposed

        w: object = window
        await wait_exposed(w)  # type: ignore[arg-type]
        await w.start([])  # type: ignore[attr-defined]
        await load_3d_stack(w)  # type: ignore[arg-type]
        upload = w.upload  # type: ignore[attr-defined]
        upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("offline"))
        await upload.add_paths(paths)
        phase("batch")
        started = time.monotonic()
        upload.generate_button.click()
        while w.current_job_id is None:  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)
        job = await w.service.wait_finished(w.current_job_id)  # type: ignore[attr-defined]
        batch = time.monotonic() - started
        phase("results")
        results = w.results  # type: ignore[attr-defined]
        while w.header.phase != Phase.RESULTS or results.preview.model is None:  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
        grid = results.grid
        while any(grid.item(i).icon().isNull() for i in range(grid.count())):
            await asyncio.sleep(0.05)
        for row in range(min(5, grid.count())):
            grid.setCurrentRow(row)
            wanted = job.files[row].output.model_filename
            while results.preview.model is None or results.preview.model.path.name != wanted:
                await asyncio.sleep(0.05)
        phase("idle")
        await asyncio.sleep(idle)
        phase("end")
        return f"{job.completed_count}/{len(job.files)} models in {batch:.0f} s"

    with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as folder:
        paths = stage_photos(Path(folder), photos)
        session = bootstrap(Path(root))
        session.window.show()  # type: ignore[attr-defined]

        async def run() -> str:
            try:
                return await drive(session.window, paths)
            finally:
                await close_session(session)

        print("SUMMARY " + session.loop.run_until_complete(run()), flush=True)
        session.loop.close()
    return 0


# -- sampling, in this process ----------------------------------------------------


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (from /proc/<pid>/task/*/children)."""
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                queue += [int(c) for c in (task / "children").read_text().split()]
    return found


def pss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def role(pid: int, app: int) -> str:
    """What a process of the tree is: the window, the fork server, a worker (VTK loaded?) …"""
    if pid == app:
        return "window"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        maps = Path(f"/proc/{pid}/maps").read_text()
        parent = parent_of(pid)
    except OSError:
        return "gone"
    if "resource_tracker" in command:
        return "resource tracker"
    # Forked workers keep the fork server's command line: tell them apart by parent.
    if "forkserver" in command and parent == app:
        return "fork server"
    if "spawn_main" in command or "forkserver" in command:
        return "worker, VTK loaded" if "libvtkRenderingOpenGL2" in maps else "worker"
    return command.split()[0].rsplit("/", 1)[-1] if command else "?"


@dataclass
class Phase:
    name: str
    peak_total: int = 0
    peak_at: float = 0.0
    #: pid -> (role, peak PSS)
    peaks: dict[int, tuple[str, int]] = field(default_factory=dict)
    last: dict[int, tuple[str, int]] = field(default_factory=dict)
    last_total: int = 0


class Sampler:
    def __init__(self, app: int) -> None:
        self.app = app
        self.phase = Phase("start-up")
        self.phases: list[Phase] = [self.phase]
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._roles: dict[int, str] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def enter(self, name: str) -> None:
        self.phase = Phase(name)
        self.phases.append(self.phase)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            phase = self.phase
            sample: dict[int, tuple[str, int]] = {}
            for pid in descendants(self.app):
                size = pss_bytes(pid)
                if size is None:
                    continue
                # A worker's role changes once, when it first draws: re-read until then.
                known = self._roles.get(pid)
                if known is None or known == "worker":
                    self._roles[pid] = role(pid, self.app)
                sample[pid] = (self._roles[pid], size)
            total = sum(size for _, size in sample.values())
            if total > phase.peak_total:
                phase.peak_total, phase.peak_at = total, time.monotonic() - self.started
            for pid, (name, size) in sample.items():
                if size > phase.peaks.get(pid, ("", 0))[1]:
                    phase.peaks[pid] = (name, size)
            phase.last, phase.last_total = sample, total


@contextlib.contextmanager
def display(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        raise SystemExit("Xvfb did not start (install the xvfb package)")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def measure(source: Path, label: str, args: argparse.Namespace, screen: str) -> list[Phase]:
    """Run the child against the code in ``source``; return its phases."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(source)]),
        "DISPLAY": screen,
        "QT_QPA_PLATFORM": "xcb",
    }
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--photos",
        str(args.photos),
        "--idle",
        str(args.idle),
    ]
    print(f"\n== {label}: {args.photos} photos, offline engine, pool of {POOL_SIZE}", flush=True)
    app = subprocess.Popen(command, env=env, cwd=source, stdout=subprocess.PIPE, text=True)
    sampler = Sampler(app.pid)
    sampler.start()
    summary = ""
    assert app.stdout is not None
    for line in app.stdout:
        if line.startswith("PHASE "):
            sampler.enter(line.split()[1])
        elif line.startswith("SUMMARY "):
            summary = line[len("SUMMARY ") :].strip()
    sampler.stop()
    if app.wait(60):
        raise SystemExit(f"{label}: the app exited with {app.returncode}")
    print(f"   {summary}")
    phases = [p for p in sampler.phases if p.name not in ("start-up", "end")]
    for phase in phases:
        report(phase)
    return phases


def report(phase: Phase) -> None:
    print(
        f"   {phase.name}: tree peak {phase.peak_total / MB:.0f} MB "
        f"(at {phase.peak_at:.0f} s), per process peak:"
    )
    for pid, (name, size) in sorted(phase.peaks.items(), key=lambda kv: -kv[1][1]):
        print(f"      {size / MB:6.0f} MB  {name} ({pid})")
    if phase.name == "idle":
        print(f"   at the end of the idle time: tree {phase.last_total / MB:.0f} MB:")
        for pid, (name, size) in sorted(phase.last.items(), key=lambda kv: -kv[1][1]):
            print(f"      {size / MB:6.0f} MB  {name} ({pid})")


def verdict(label: str, phases: list[Phase]) -> str:
    peak = max(p.peak_total for p in phases) / MB
    idle = next((p.last_total for p in phases if p.name == "idle"), 0) / MB
    return (
        f"{label}: peak {peak:.0f} MB (goal ≤ {PEAK_GOAL_MB}: "
        f"{'met' if peak <= PEAK_GOAL_MB else 'missed'}), idle after a minute {idle:.0f} MB "
        f"(goal ≤ {IDLE_GOAL_MB}: {'met' if idle <= IDLE_GOAL_MB else 'missed'})"
    )


@contextlib.contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """The tree of ``ref`` in a temporary folder (``git archive``: no worktree left behind)."""
    with tempfile.TemporaryDirectory(prefix="image2model-memory-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        yield Path(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", metavar="REF", help="also measure this git commit, first")
    parser.add_argument("--photos", type=int, default=25)
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS, help="seconds idle at the end")
    parser.add_argument("--display", help="use this X display instead of a private Xvfb")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.photos, args.idle)
    verdicts = []
    with display(args.display) as screen:
        if args.against:
            with checkout(args.against) as old:
                verdicts.append(verdict(args.against, measure(old, args.against, args, screen)))
        verdicts.append(verdict("this checkout", measure(REPO, "this checkout", args, screen)))
    print()
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
