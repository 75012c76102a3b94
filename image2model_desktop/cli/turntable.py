"""``image2model turntable MODEL OUT.{gif,mp4}``: an orbit of a model, drawn off-screen.

``--all`` makes a contact sheet instead: one PNG with a picture of every model
given (files, or folders searched for .glb), e.g. a batch's outputs folder.
Runs in this process: there is no window to keep responsive.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from image2model_desktop.core.errors import TurntableError
from image2model_desktop.mesh.turntable import DEFAULT_FPS, DEFAULT_FRAMES, DEFAULT_SIZE, parse_size

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MODEL_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply")


def add_turntable_parser(commands: Any) -> None:
    """Register ``turntable`` on the CLI's subcommand parsers."""
    turntable = commands.add_parser(
        "turntable",
        help="render a model turning around as GIF or MP4 (or --all: a contact sheet PNG)",
        description=(
            "Render one orbit of MODEL off-screen and save it as OUT (.gif or .mp4). With "
            "--all, MODEL may be several files or folders and OUT is a PNG contact sheet."
        ),
    )
    turntable.add_argument("paths", nargs="+", type=Path, metavar="MODEL… OUT")
    turntable.add_argument("--frames", type=int, default=DEFAULT_FRAMES, metavar="N")
    turntable.add_argument("--size", default=f"{DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}", metavar="WxH")
    turntable.add_argument("--fps", type=int, default=DEFAULT_FPS, metavar="N")
    turntable.add_argument(
        "--all", action="store_true", help="a contact sheet PNG of every model given"
    )


def run_turntable(args: argparse.Namespace) -> int:
    if len(args.paths) < 2:
        return _usage("give the model and the file to write, e.g. chair.glb chair.gif")
    *sources, out = args.paths
    try:
        if args.all:
            return _contact_sheet(sources, out)
        if len(sources) != 1:
            return _usage("a turntable takes one model (use --all for a contact sheet)")
        return _turntable(sources[0], out, args.frames, parse_size(args.size), args.fps)
    except TurntableError as error:
        return _usage(str(error))


def _turntable(model: Path, out: Path, frames: int, size: tuple[int, int], fps: int) -> int:
    from image2model_desktop.mesh.turntable import check_request, even, make_turntable

    if not model.is_file():
        return _usage(f"{model} does not exist")
    check_request(out, frames, even(size) if out.suffix.lower() == ".mp4" else size)
    if not 1 <= fps <= 60:
        return _usage("--fps must be between 1 and 60")
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            print(f"\rRendering frame {done}/{total}", end="", file=sys.stderr, flush=True)

    try:
        make_turntable(model, out, frames, size, fps, progress)
    except (OSError, ValueError) as error:
        if tty:
            print(file=sys.stderr)
        print(f"image2model: the turntable could not be made: {error}", file=sys.stderr)
        return EXIT_FAILED
    if tty:
        print(file=sys.stderr)
    print(f"Wrote {out} ({frames} frames, {size[0]}×{size[1]}, {fps} fps)")
    return EXIT_OK


def _contact_sheet(sources: list[Path], out: Path) -> int:
    from image2model_desktop.mesh.turntable import contact_sheet

    if out.suffix.lower() != ".png":
        return _usage(f"{out.name}: a contact sheet is saved as .png")
    models: list[Path] = []
    for source in sources:
        if source.is_dir():
            models += sorted(p for p in source.iterdir() if p.suffix.lower() in MODEL_SUFFIXES)
        elif source.is_file():
            models.append(source)
        else:
            return _usage(f"{source} does not exist")
    if not models:
        return _usage("no model (.glb, .gltf, .obj, .stl, .ply) was found in what was given")
    try:
        contact_sheet(models, out)
    except (OSError, ValueError) as error:
        print(f"image2model: the contact sheet could not be made: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Wrote {out} ({len(models)} model{'s' if len(models) != 1 else ''})")
    return EXIT_OK


def _usage(sentence: str) -> int:
    print(f"image2model turntable: {sentence.rstrip('.')}.", file=sys.stderr)
    return EXIT_USAGE
