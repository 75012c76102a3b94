"""Build the PyInstaller bundle and prove it: size, launch time, self-test, CLI.

    python bench/bundle.py --build     # what `./bootstrap.sh bundle` runs
    python bench/bundle.py             # measure an existing dist/Image2Model

Prints:
* build time (with --build): PyInstaller with build.spec into dist/Image2Model;
* bundle size (MiB, as du -sh): total, and the 15 heaviest folders/libraries
  (goal ≤ 600 MB), and as a .tar.xz (``tar | xz -6``, counted, not kept; goal
  ≤ 180 MB; skipped with --no-xz and when CI is set: minutes of both cores for
  a figure, not a check);
* version: ``Image2Model --version`` against pyproject.toml, and the dist-info it reads;
* launch → window visible: from starting the bundle's executable to its window
  being painted on screen (goal < 1.5 s). "Painted" is read from the screen
  itself: the screen is grabbed every few ms and the window counts as visible
  once a large area differs from the screen before launch;
* self-test: ``Image2Model --self-test --screenshot`` run from a copy of the
  folder in a fresh directory with a clean environment (``env -i``-like: no
  venv, no PYTHONPATH, a new HOME), so it proves the bundle needs no Python;
* CLI: ``Image2Model generate SAMPLE --engine offline --out DIR`` from that copy,
  then ``Image2Model turntable`` of that model to MP4 (the bundled ffmpeg) and
  GIF, and ``turntable --all`` (a contact sheet), each file checked.

Without a DISPLAY it starts its own Xvfb. Exits 1 if the build, the self-test
or a CLI run fails (size and timing goals are reported, not enforced).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "Image2Model"
EXE = BUNDLE / "Image2Model"
SCREEN = (1600, 1000)
SIZE_GOAL_MB = 600
XZ_GOAL_MB = 180
MB = 1024 * 1024  # sizes in MiB, as `du -sh` prints them
LAUNCH_GOAL_S = 1.5
#: Share of the screen that must change for the window to count as painted
#: (the window's first frame covers about 70 % of a 1600×1000 screen).
VISIBLE_SHARE = 0.25


def build() -> float:
    """Run PyInstaller with build.spec into dist/; return the seconds it took.

    On Linux the small ffmpeg is built first (tools/build-ffmpeg.sh; once, then kept).
    """
    start = time.monotonic()
    if sys.platform.startswith("linux"):
        built = subprocess.run(["bash", str(ROOT / "tools" / "build-ffmpeg.sh")], cwd=ROOT)
        if built.returncode != 0:
            # Debian drops a source package from its pool when it updates it: the bundle
            # still works with the wheel's 76 MB ffmpeg, and the size report shows the cost.
            print("The small ffmpeg could not be built (see above); the bundle ships the wheel's.")
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(ROOT / "build"),
        str(ROOT / "build.spec"),
    ]
    print("building:", " ".join(command[2:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    return time.monotonic() - start


# -- size ------------------------------------------------------------------------


def tree_size(path: Path) -> int:
    """Bytes of the files under ``path`` (symlinks count as nothing, like du)."""
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def report_size() -> float:
    total = tree_size(BUNDLE)
    internal = BUNDLE / "_internal"
    parts = [(tree_size(p), p) for p in internal.iterdir()] if internal.is_dir() else []
    parts.sort(key=lambda item: item[0], reverse=True)
    goal = "met" if total / MB <= SIZE_GOAL_MB else "missed"
    print(f"bundle size: {total / MB:.0f} MB in {BUNDLE} (goal ≤ {SIZE_GOAL_MB} MB: {goal})")
    for size, path in parts[:15]:
        kind = "/" if path.is_dir() and not path.is_symlink() else ""
        print(f"  {size / MB:7.1f} MB  {path.name}{kind}")
    vtk = internal / "vtkmodules"
    if vtk.is_dir():
        files = sorted(vtk.iterdir(), key=tree_size, reverse=True)[:5]
        heaviest = ", ".join(f"{p.name} {tree_size(p) / MB:.0f}" for p in files)
        print(f"  (vtkmodules: {len(list(vtk.iterdir()))} files; heaviest MB: {heaviest})")
    return total / MB


def report_xz_size() -> float:
    """MiB of the folder as a .tar.xz (xz's default level, all cores), counted as it streams."""
    start = time.monotonic()
    tar = subprocess.Popen(
        ["tar", "-C", str(DIST), "-cf", "-", BUNDLE.name], stdout=subprocess.PIPE
    )
    xz = subprocess.Popen(["xz", "-6", "-T0", "-c"], stdin=tar.stdout, stdout=subprocess.PIPE)
    assert tar.stdout is not None and xz.stdout is not None
    tar.stdout.close()  # xz holds the pipe now
    size = sum(len(chunk) for chunk in iter(lambda: xz.stdout.read(1 << 20), b""))
    if tar.wait() or xz.wait():
        raise SystemExit("tar | xz failed (install xz-utils)")
    goal = "met" if size / MB <= XZ_GOAL_MB else "missed"
    print(
        f"as .tar.xz: {size / MB:.0f} MB (xz -6, {time.monotonic() - start:.0f} s; "
        f"goal ≤ {XZ_GOAL_MB} MB: {goal})",
        flush=True,
    )
    return size / MB


# -- environment -------------------------------------------------------------------


@contextlib.contextmanager
def x_display() -> Iterator[str]:
    """Yield a DISPLAY: the current one, else a private Xvfb started (and stopped) here."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{SCREEN[0]}x{SCREEN[1]}x24",
            "-nolisten",
            "tcp",
        ],
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


def clean_env(display: str, home: Path) -> dict[str, str]:
    """The environment of a machine with no Python: PATH, HOME, locale, the display."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "DISPLAY": display}
    if os.environ.get("XAUTHORITY"):
        env["XAUTHORITY"] = os.environ["XAUTHORITY"]
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the app started here (its own process group: the app and any workers)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


# -- launch → window visible ------------------------------------------------------


class Screen:
    """Grabs the X screen through Qt (the venv's PySide6; the bundle is not involved)."""

    def __init__(self, display: str) -> None:
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        from PySide6.QtGui import QGuiApplication

        self.app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
        self.screen = self.app.primaryScreen()

    def grab(self) -> object:
        import numpy as np
        from PySide6.QtGui import QImage

        image = self.screen.grabWindow(0).toImage().convertToFormat(QImage.Format.Format_RGB888)
        width, height, stride = image.width(), image.height(), image.bytesPerLine()
        pixels = np.frombuffer(image.constBits(), np.uint8, stride * height)
        return pixels.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def changed_share(before: object, after: object) -> float:
    """Share of pixels (every 4th row and column) that changed noticeably."""
    import numpy as np

    a = np.asarray(before)[::4, ::4].astype(np.int16)
    b = np.asarray(after)[::4, ::4].astype(np.int16)
    return float((np.abs(b - a).sum(axis=2) > 30).mean())


def launch_to_visible(screen: Screen, env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data, tempfile.TemporaryFile() as log:
            before = screen.grab()
            start = time.monotonic()
            app = subprocess.Popen(
                [str(EXE)],
                env={**env, "IMAGE2MODEL_DATA_DIR": data},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
            try:
                while True:
                    now = time.monotonic()
                    if changed_share(before, screen.grab()) >= VISIBLE_SHARE:
                        times.append(now - start)
                        break
                    if app.poll() is not None:
                        log.seek(0)
                        output = log.read().decode(errors="replace")[-2000:]
                        raise SystemExit(f"the app exited before showing its window:\n{output}")
                    if now - start > 60:
                        raise SystemExit("the window did not appear within 60 s")
                    time.sleep(0.005)
            finally:
                stop(app)
            time.sleep(0.3)  # let the X server drop the window before the next baseline
    return times


# -- self-test and CLI from a clean copy -------------------------------------------


def run_checked(name: str, command: list[str], env: dict[str, str], cwd: Path) -> bool:
    start = time.monotonic()
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    elapsed = time.monotonic() - start
    verdict = "passed" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"{name}: {verdict} in {elapsed:.1f} s")
    lines = (result.stdout + result.stderr).strip().splitlines()
    for line in lines[-6:] if result.returncode else lines[-3:]:
        print(f"  | {line}")
    return result.returncode == 0


def check_version(env: dict[str, str]) -> bool:
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = subprocess.run(
        [str(EXE), "--version"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    shown = result.stdout.strip()
    # copy_metadata() takes whichever metadata importlib finds first: the
    # site-packages .dist-info, or the .egg-info an editable install leaves in the repo.
    dist_info = sorted(BUNDLE.glob("_internal/image2model_desktop*.*-info"))
    ok = result.returncode == 0 and shown == f"Image2Model {wanted}" and bool(dist_info)
    where = dist_info[0].name if dist_info else "no image2model_desktop metadata in the bundle"
    print(f"version: {'ok' if ok else 'WRONG'}: {shown!r} (pyproject {wanted}; {where})")
    return ok


def check_turntables(exe: str, model: Path, env: dict[str, str], work: Path) -> bool:
    """``turntable`` to MP4 (the bundled ffmpeg) and GIF, and ``--all``; check each file."""
    from PIL import Image

    ok = True
    frames = 24
    for name in ("turntable.mp4", "turntable.gif"):
        out = work / name
        ok &= run_checked(
            f"CLI turntable {out.suffix[1:].upper()} ({frames} frames, clean env)",
            [exe, "turntable", str(model), str(out), "--frames", str(frames), "--size", "320x320"],
            env,
            work,
        )
        if out.exists():
            ok &= check_frames(out, frames)
        else:
            print(f"  no file at {out}")
            ok = False
    sheet = work / "sheet.png"
    ok &= run_checked(
        "CLI turntable --all (contact sheet, clean env)",
        [exe, "turntable", "--all", str(model.parent), str(sheet)],
        env,
        work,
    )
    if sheet.exists():
        with Image.open(sheet) as image:
            print(f"  contact sheet: {image.width}×{image.height} PNG")
    else:
        print(f"  no contact sheet at {sheet}")
        ok = False
    return ok


def check_frames(path: Path, wanted: int) -> bool:
    """Count the frames in the file with the venv's readers, not the bundle's."""
    if path.suffix == ".gif":
        from PIL import Image

        with Image.open(path) as image:
            frames = int(getattr(image, "n_frames", 1))
    else:
        import imageio_ffmpeg

        frames = int(imageio_ffmpeg.count_frames_and_secs(str(path))[0])
    good = frames == wanted
    size = path.stat().st_size / 1024
    print(f"  {path.name}: {frames} frames, {size:.0f} KB ({'ok' if good else f'WANTED {wanted}'})")
    return good


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="store_true", help="build dist/Image2Model first")
    parser.add_argument("--runs", type=int, default=5, help="launches to time (default 5)")
    parser.add_argument("--screenshot", type=Path, help="keep the self-test's screenshot here")
    parser.add_argument("--no-xz", action="store_true", help="skip the .tar.xz size")
    args = parser.parse_args()

    if args.build:
        print(f"build: {build():.0f} s (goal < 300 s)", flush=True)
    if not EXE.exists():
        print(f"No bundle at {EXE}: run `python bench/bundle.py --build`.", file=sys.stderr)
        return 2
    report_size()
    if args.no_xz or os.environ.get("CI"):
        print("as .tar.xz: not measured (--no-xz or CI)")
    else:
        report_xz_size()
    ok = True
    scratch_dir = tempfile.TemporaryDirectory(prefix="image2model-bundle-")
    with scratch_dir as scratch, x_display() as display:
        work = Path(scratch)
        home = work / "home"
        home.mkdir()
        env = clean_env(display, home)
        ok &= check_version(env)

        screen = Screen(display)
        times = launch_to_visible(screen, env, args.runs)
        goal = "met" if statistics.median(times) < LAUNCH_GOAL_S else "missed"
        print(
            f"launch → window visible: median {statistics.median(times):.2f} s, "
            f"best {min(times):.2f} s, worst {max(times):.2f} s over {len(times)} launches "
            f"(goal < {LAUNCH_GOAL_S} s: {goal})",
            flush=True,
        )

        copy = work / "elsewhere" / "Image2Model"
        start = time.monotonic()
        shutil.copytree(BUNDLE, copy, symlinks=True)
        print(f"copied the folder to a fresh directory in {time.monotonic() - start:.1f} s")
        exe = str(copy / "Image2Model")
        shot = args.screenshot.resolve() if args.screenshot else work / "self-test.png"
        ok &= run_checked(
            "self-test (clean env, copied folder)",
            [exe, "--self-test", "--screenshot", str(shot)],
            env,
            work,
        )
        if not shot.exists():
            print(f"  no screenshot at {shot}")
            ok = False
        sample = copy / "_internal" / "resources" / "samples" / "mug.jpg"
        out = work / "models"
        ok &= run_checked(
            "CLI generate (offline engine, clean env)",
            [exe, "generate", str(sample), "--engine", "offline", "--out", str(out)],
            {**env, "IMAGE2MODEL_DATA_DIR": str(work / "library")},
            work,
        )
        models = sorted(out.glob("*.glb"))
        if not models:
            print(f"  no model in {out}")
            ok = False
        else:
            ok &= check_turntables(exe, models[0], env, work)
    print("bundle: all checks passed" if ok else "bundle: CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
