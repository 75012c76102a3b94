"""``image2model export SRC DEST``: write a model in another format, size and placement.

``--profile web`` writes a LOD chain of Draco-compressed GLBs instead
(``mesh.web``), fitted to ``--budget``. SRC may name a library model (``JOB_ID/FILE_ID``,
a file id; ``--version N`` picks a version of its entry): ``--list`` shows what Save as
offers for it, and a DEST in a format FAL returned (``.fbx``, ``.usdz``…, or any with
``--as-given``) is FAL's own file, copied byte for byte (``mesh.deliverables``).

Runs in this process: with no window to keep responsive, the process pool the
GUI uses for decimation (fast_simplification holds the GIL) would only add the
workers' start-up time.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image2model_desktop.core.errors import (
    ExportOptionsError,
    LengthError,
    PrintError,
    SetupError,
    UnknownFormatError,
    WebProfileError,
)

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED = 0, 1

#: What trimesh raises on a file it cannot parse (it has no error type of its own).
_UNREADABLE = (ValueError, KeyError, IndexError, EOFError, TypeError, NotImplementedError)
#: Model files the export reads.
SOURCE_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply", ".3mf")


def add_export_parser(commands: Any) -> None:
    """Register ``export`` on the CLI's subcommand parsers."""
    export = commands.add_parser(
        "export",
        help="write a model as GLB, glTF, OBJ, STL, PLY or 3MF, resized and placed",
        description=(
            "Write SRC as DEST; DEST's extension picks the format: .glb, .gltf.zip, .obj.zip, "
            ".stl, .ply, .3mf. STL and 3MF are written in millimetres with Z up; the others "
            "keep glTF's metres with Y up."
        ),
    )
    export.add_argument(
        "src",
        type=Path,
        metavar="SRC",
        help="a model file, or a library model: JOB_ID/FILE_ID or a file id",
    )
    export.add_argument(
        "dest", type=Path, nargs="?", metavar="DEST", help="the file to write (not with --list)"
    )
    given = export.add_argument_group("files FAL returned (library models)")
    given.add_argument(
        "--list",
        action="store_true",
        help="list what SRC can be saved as, and where each comes from",
    )
    given.add_argument(
        "--version", type=int, metavar="N", help="the entry's version N (`image2model versions`)"
    )
    given.add_argument(
        "--as-given",
        action="store_true",
        help="write the file FAL returned in DEST's format, byte for byte (no conversion)",
    )
    export.add_argument(
        "--faces", type=_face_budget, metavar="N", help="decimate to at most N faces"
    )
    export.add_argument(
        "--height", metavar="LENGTH", help="scale to this height: 120mm, 12cm, 0.12m, 4.7in"
    )
    export.add_argument("--scale", type=float, metavar="F", help="multiply every coordinate by F")
    export.add_argument(
        "--pivot",
        choices=("bottom", "center", "keep"),
        default="keep",
        help="bottom: base at 0, centred; center: box centre at 0; keep (default)",
    )
    export.add_argument("--up", choices=("y", "z"), help="up axis (default: the format's)")
    export.add_argument(
        "--fill-holes", action="store_true", help="close holes so STL/3MF are watertight"
    )
    web = export.add_argument_group(
        "game/web profile",
        "--profile web writes DEST (a .glb) and its coarser levels DEST.lod1.glb … as "
        "Draco-compressed glTF with JPEG textures; three.js loads them with GLTFLoader "
        "and DRACOLoader.",
    )
    web.add_argument("--profile", choices=("web",), help="web: small GLBs with a LOD chain")
    web.add_argument(
        "--budget", metavar="SIZE", help="fit every file written in SIZE: 5MB, 800KB, 2MiB"
    )
    web.add_argument(
        "--lods", type=int, metavar="N", help="levels of detail, 1-6 (default 4: 100/50/25/10 %%)"
    )
    web.add_argument(
        "--texture-size", type=int, metavar="PX", help="LOD0's texture side (default 1024)"
    )
    printing = export.add_argument_group("printing (STL and 3MF)")
    printing.add_argument(
        "--hollow", metavar="LENGTH", help="hollow the model leaving walls this thick, e.g. 2mm"
    )
    printing.add_argument(
        "--drain",
        metavar="LENGTH",
        help="with --hollow: a drain hole this wide at the base, e.g. 4mm",
    )
    printing.add_argument(
        "--colors",
        type=_colour_count,
        metavar="N",
        help="3MF only: the texture in N colours (1-8), one per triangle (multi-filament)",
    )
    printing.add_argument(
        "--palette",
        metavar="HEX,…",
        help="with --colors: use these colours instead, e.g. '#d03020,#f0f0f0'",
    )
    printing.add_argument(
        "--orient", action="store_true", help="turn the model to need the least support"
    )


def run_export(args: argparse.Namespace) -> int:
    """Export as the arguments say; usage problems raise SetupError (exit 2)."""
    from image2model_desktop.mesh.export import prepare_export, write_export

    options = _options(args)
    src, dest = args.src, args.dest
    library = _library_model(args)
    if library is not None:
        if args.list:
            return _print_choices(library)
        if dest is None:
            raise SetupError("Name the file to write (DEST), or give --list.")
        written = _given(library, dest, as_given=args.as_given)
        if written is not None:
            return written
        src = library.model
    if dest is None:
        raise SetupError("Name the file to write (DEST).")
    _check_paths(src, dest)
    if args.profile == "web":
        return _run_web(src, dest, options, _web_profile(args))
    if args.budget or args.lods or args.texture_size:
        raise SetupError("--budget, --lods and --texture-size go with --profile web.")
    try:
        prepared = prepare_export(src, dest, options)
    except ExportOptionsError as error:
        raise SetupError(str(error)) from error
    except PrintError as error:
        print(f"image2model: {error}", file=sys.stderr)
        return EXIT_FAILED
    except _UNREADABLE as error:
        log.debug("Cannot export %s", src, exc_info=True)
        print(
            f"image2model: {src.name} could not be read as a 3D model ({error}).", file=sys.stderr
        )
        return EXIT_FAILED
    report = prepared.report
    for warning in report.warnings:
        hint = " Add --fill-holes to close them." if "watertight" in warning else ""
        print(f"Warning: {warning}{hint}", file=sys.stderr)
    try:
        write_export(prepared)
    except OSError as error:
        print(f"image2model: could not write {dest}: {error.strerror or error}.", file=sys.stderr)
        return EXIT_FAILED
    if report.holes_filled and not report.notes:
        print(f"Closed {report.holes_filled} hole(s).")
    for note in report.notes:
        print(note)
    width, depth, height = report.size
    print(
        f"Wrote {dest}: {report.faces:,} faces, {_number(width)} × {_number(depth)} × "
        f"{_number(height)} {report.unit} along X × Y × Z, {report.up.value.upper()} up."
    )
    return EXIT_OK


@dataclass(frozen=True)
class _LibraryModel:
    """A library model version and what Save as offers for it."""

    label: str
    model: Path
    choices: list[Any]


#: Formats only FAL writes (no conversion reaches them): a DEST in one is FAL's file.
_GIVEN_ONLY = frozenset({"fbx", "usdz", "blend"})


def _library_model(args: argparse.Namespace) -> _LibraryModel | None:
    """The library model SRC names, or None when SRC is a plain model file to convert."""
    from image2model_desktop.core.paths import LibraryPaths, data_dir
    from image2model_desktop.core.store import Store
    from image2model_desktop.core.versions import find_model, version_label
    from image2model_desktop.mesh.deliverables import save_choices

    src, dest = args.src, args.dest
    asked = args.list or args.as_given or args.version is not None
    if src.is_file() and not asked:
        # A model file is converted, unless DEST asks for a format only FAL writes
        # and the file is a library model that FAL gave in that format.
        given_only = dest is not None and dest.suffix.lower().lstrip(".") in _GIVEN_ONLY
        jobs = (data_dir() / "jobs").resolve()
        if not (given_only and src.resolve().is_relative_to(jobs)):
            return None
    paths = LibraryPaths(data_dir())
    if not paths.database.is_file():
        raise SetupError(f"No such model file: {src} (and no library at {paths.root}).")
    # Read without the library's lock: an open window keeps it, and reading is safe (WAL).
    store = Store.open(paths.database)
    try:
        _, item = find_model(store, paths, str(src))
        if args.version is not None:
            found = [v for v in store.versions(item.file_id) if v.version == args.version]
            numbers = ", ".join(str(v.version) for v in store.versions(item.file_id))
            if not found or found[0].output is None:
                raise SetupError(
                    f"{item.filename} has no finished version {args.version} ({numbers})."
                )
            item = found[0]
    finally:
        store.close()
    assert item.output is not None  # find_model returns finished models
    outputs = paths.outputs(item.job_id)
    return _LibraryModel(
        f"{item.filename} {version_label(item)}",
        outputs / item.output.model_filename,
        save_choices(outputs, item.output, item.engine),
    )


def _print_choices(library: _LibraryModel) -> int:
    print(f"{library.label} can be saved as:")
    for choice in library.choices:
        where = f"  {choice.path}" if choice.path is not None else ""
        print(f"  {choice.suffix:<10} {choice.label}{where}")
    return EXIT_OK


def _given(library: _LibraryModel, dest: Path, *, as_given: bool) -> int | None:
    """Copy FAL's own file when DEST asks for it; None: convert as usual."""
    from image2model_desktop.mesh.deliverables import given_choice, save_as_given

    fmt = dest.suffix.lower().lstrip(".")
    if not (as_given or fmt in _GIVEN_ONLY):
        return None
    choice = given_choice(library.choices, fmt)
    if choice is None:
        kept = ", ".join(c.format for c in library.choices if c.path is not None)
        raise SetupError(
            f"FAL returned no {fmt.upper()} for {library.label} (it gave {kept}); "
            "drop --as-given to convert, or remesh it on FAL with --formats."
        )
    if not dest.parent.is_dir():
        raise SetupError(f"The folder {dest.parent} does not exist; create it first.")
    try:
        written = save_as_given(choice, dest)
    except OSError as error:
        print(f"image2model: could not write {dest}: {error.strerror or error}.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Wrote {dest}: {choice.label}, byte for byte.")
    for companion in written[1:]:
        print(f"Wrote {companion} (the {fmt.upper()} names it).")
    return EXIT_OK


def _run_web(src: Path, dest: Path, options: Any, profile: Any) -> int:
    from image2model_desktop.mesh.web import format_size, plan_web_export, write_web_export

    try:
        plan = plan_web_export(src, dest, options, profile)
    except _UNREADABLE as error:
        log.debug("Cannot export %s", src, exc_info=True)
        print(
            f"image2model: {src.name} could not be read as a 3D model ({error}).", file=sys.stderr
        )
        return EXIT_FAILED
    for warning in plan.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    try:
        write_web_export(plan)
    except OSError as error:
        print(f"image2model: could not write {dest}: {error.strerror or error}.", file=sys.stderr)
        return EXIT_FAILED
    quality = "" if plan.texture_quality is None else f", JPEG quality {plan.texture_quality}"
    for file in plan.files:
        texture = "" if file.texture_side is None else f", {file.texture_side} px texture"
        print(f"Wrote {file.path}: {file.faces:,} faces{texture}, {format_size(file.size)}.")
    budget = "" if plan.budget is None else f" (budget {format_size(plan.budget)})"
    print(
        f"{format_size(plan.total_bytes)} in {len(plan.files)} file(s){budget}: Draco geometry"
        f"{quality}."
    )
    return EXIT_OK


def _web_profile(args: argparse.Namespace) -> Any:
    from image2model_desktop.mesh.formats import ExportFormat, format_for
    from image2model_desktop.mesh.web import WebProfile, parse_size

    if format_for(args.dest) is not ExportFormat.GLB:
        raise SetupError(f"The web profile writes GLB files: name DEST {args.dest.stem}.glb.")
    try:
        settings: dict[str, Any] = {}
        if args.budget is not None:
            settings["budget"] = parse_size(args.budget)
        if args.lods is not None:
            settings["lods"] = args.lods
        if args.texture_size is not None:
            settings["max_texture"] = args.texture_size
        return WebProfile(**settings)
    except WebProfileError as error:
        raise SetupError(str(error)) from error


def _options(args: argparse.Namespace) -> Any:
    from image2model_desktop.mesh.options import ExportOptions, Pivot, Up
    from image2model_desktop.mesh.units import Length

    try:
        return ExportOptions(
            faces=args.faces,
            height=None if args.height is None else Length.parse(args.height),
            scale=args.scale,
            pivot=Pivot(args.pivot),
            up=None if args.up is None else Up(args.up),
            fill_holes=args.fill_holes,
            hollow=None if args.hollow is None else Length.parse(args.hollow),
            drain=None if args.drain is None else Length.parse(args.drain),
            colors=args.colors,
            palette=None if args.palette is None else _palette(args.palette),
            orient=args.orient,
        )
    except (ExportOptionsError, LengthError) as error:
        raise SetupError(str(error)) from error


def _check_paths(src: Path, dest: Path) -> None:
    from image2model_desktop.mesh.formats import format_for

    try:
        format_for(dest)
    except UnknownFormatError as error:
        raise SetupError(str(error)) from error
    if not src.is_file():
        raise SetupError(f"No such model file: {src}.")
    if src.suffix.lower() not in SOURCE_SUFFIXES:
        raise SetupError(
            f"{src.name} is not a model file this can read: give a "
            f"{', '.join(SOURCE_SUFFIXES)} file."
        )
    if not dest.parent.is_dir():
        raise SetupError(f"The folder {dest.parent} does not exist; create it first.")


def _face_budget(text: str) -> int:
    from image2model_desktop.mesh.options import MIN_FACES

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < MIN_FACES:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_FACES}")
    return value


def _colour_count(text: str) -> int:
    from image2model_desktop.mesh.options import MAX_COLORS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_COLORS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COLORS}")
    return value


def _palette(text: str) -> tuple[tuple[int, int, int], ...]:
    colours = []
    for item in text.split(","):
        code = item.strip().lstrip("#")
        if len(code) != 6 or any(c not in "0123456789abcdefABCDEF" for c in code):
            raise SetupError(
                f"{item.strip()!r} is not a colour: write it as #RRGGBB, e.g. #d03020."
            )
        colours.append((int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)))
    return tuple(colours)


def _number(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.3g}"
