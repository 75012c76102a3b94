"""``image2model print-check MODEL… --height 80mm``: will it print, and what to fix first.

One line per finding, worst first, under a verdict line per model. MODEL may
be files, folders (every model inside) or ``--job ID`` (every model of a
library job). Exit codes: 0 every model printable, 3 warnings, 4 some model
not printable as it is, 1 a model could not be read, 2 usage. Runs in this
process, as ``export`` does: there is no window to keep responsive.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

from image2model_desktop.core.errors import LengthError, PrintSettingsError, SetupError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_WARNINGS, EXIT_NOT_PRINTABLE = 0, 1, 3, 4
MODEL_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply", ".3mf")
#: What trimesh raises on a file it cannot parse (as in export_command).
_UNREADABLE = (ValueError, KeyError, IndexError, EOFError, TypeError, NotImplementedError)
_MARKS = {"problem": "✗", "warning": "!", "ok": "✓"}
_VOLUME = re.compile(
    r"\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(mm)?\s*"
)


def add_print_check_parser(commands: Any) -> None:
    """Register ``print-check`` on the CLI's subcommand parsers."""
    check = commands.add_parser(
        "print-check",
        help="check models for 3D printing: holes, thin walls, overhangs, size, material",
        description=(
            "Check each MODEL at the given print height: watertight, holes, non-manifold edges, "
            "separate parts, inside-out faces, wall thickness, overhangs, fit in the build "
            "volume, and the material it takes. Exit 0 printable, 3 warnings, 4 not printable."
        ),
    )
    check.add_argument(
        "models", nargs="*", type=Path, metavar="MODEL", help="model files or folders of models"
    )
    check.add_argument("--job", metavar="ID", help="check every model of this library job")
    check.add_argument(
        "--height", metavar="LENGTH", help="print height: 80mm, 8cm, 3in (default: as stored)"
    )
    check.add_argument("--printer", choices=("fdm", "resin"), default="fdm")
    check.add_argument(
        "--material", choices=("pla", "petg", "resin"), help="default: the printer's"
    )
    check.add_argument(
        "--build-volume", metavar="WxDxH", help="the printer's build volume in mm, e.g. 256x256x256"
    )
    check.add_argument(
        "--overhang", type=float, default=45.0, metavar="DEG", help="support beyond this angle"
    )
    check.add_argument("--min-wall", metavar="LENGTH", help="thinnest wall allowed, e.g. 0.8mm")
    check.add_argument("--json", action="store_true", help="print the reports as JSON")


def run_print_check(args: argparse.Namespace) -> int:
    """Check every model the arguments name; usage problems raise SetupError (exit 2)."""
    from image2model_desktop.mesh.printing.check import check_print

    settings = _settings(args)
    models = _models(args)
    reports: list[dict[str, Any]] = []
    worst = EXIT_OK
    failed = False
    human = sys.stderr if args.json else sys.stdout
    for model in models:
        if sys.stderr.isatty() and not args.json:
            print(f"Checking {model.name}…", file=sys.stderr, end="\r", flush=True)
        try:
            report = check_print(model, settings)
        except _UNREADABLE as error:
            log.debug("Cannot check %s", model, exc_info=True)
            print(f"✗ {model}: could not be read as a 3D model ({error}).", file=human)
            failed = True
            continue
        worst = max(worst, _exit_code(report.verdict.value))
        reports.append({"file": str(model), **report.to_dict()})
        if not args.json:
            _print_report(model, report)
    if args.json:
        single = len(models) == 1 and reports
        print(json.dumps(reports[0] if single else {"models": reports}, indent=2))
    if failed and worst == EXIT_OK:
        return EXIT_FAILED
    return worst


def _print_report(model: Path, report: Any) -> None:
    width, depth, height = report.size_mm
    verdict = {
        "green": "printable",
        "amber": "printable, with warnings",
        "red": "not printable as it is",
    }[report.verdict.value]
    settings = report.settings
    print(
        f"{model.name}: {report.verdict.value.upper()}, {verdict} "
        f"({width:.1f} × {depth:.1f} × {height:.1f} mm, {settings.printer.value.upper()}, "
        f"{settings.material_info.name})"
    )
    order = {"problem": 0, "warning": 1, "ok": 2}
    for finding in sorted(report.findings, key=lambda f: order[f.severity.value]):
        print(f"  {_MARKS[finding.severity.value]} {finding.sentence}")


def _exit_code(verdict: str) -> int:
    return {"green": EXIT_OK, "amber": EXIT_WARNINGS, "red": EXIT_NOT_PRINTABLE}[verdict]


def _settings(args: argparse.Namespace) -> Any:
    from image2model_desktop.mesh.printing.profiles import PrinterKind, PrintSettings
    from image2model_desktop.mesh.units import Length

    try:
        height = None if args.height is None else Length.parse(args.height).metres * 1000
        wall = None if args.min_wall is None else Length.parse(args.min_wall).metres * 1000
        return PrintSettings(
            height_mm=height,
            printer=PrinterKind(args.printer),
            material=args.material,
            build_volume_mm=None if args.build_volume is None else _volume(args.build_volume),
            overhang_deg=args.overhang,
            min_wall_mm=wall,
        )
    except (PrintSettingsError, LengthError) as error:
        raise SetupError(str(error)) from error


def _volume(text: str) -> tuple[float, float, float]:
    match = _VOLUME.fullmatch(text)
    if match is None:
        raise SetupError(
            f"{text!r} is not a build volume: write width x depth x height in mm, e.g. 256x256x256."
        )
    return (float(match.group(1)), float(match.group(2)), float(match.group(3)))


def _models(args: argparse.Namespace) -> list[Path]:
    sources = list(args.models)
    if args.job:
        sources.append(_job_outputs(args.job))
    if not sources:
        raise SetupError("Give a model file or folder, or --job ID.")
    models: list[Path] = []
    for source in sources:
        if source.is_dir():
            found = sorted(
                p for p in source.iterdir() if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES
            )
            if not found:
                raise SetupError(f"No model files in {source}.")
            models.extend(found)
        elif source.is_file():
            if source.suffix.lower() not in MODEL_SUFFIXES:
                raise SetupError(
                    f"{source.name} is not a model file this can read: give a "
                    f"{', '.join(MODEL_SUFFIXES)} file."
                )
            models.append(source)
        else:
            raise SetupError(f"No such model file or folder: {source}.")
    return models


def _job_outputs(job_id: str) -> Path:
    from image2model_desktop.core.paths import LibraryPaths, data_dir

    if not re.fullmatch(r"[0-9a-fA-F-]{36}", job_id):
        raise SetupError(f"{job_id!r} is not a job id (they look like 1b9d6bcd-bbfd-4b2d-…).")
    folder = LibraryPaths(data_dir()).outputs(job_id.lower())
    if not folder.is_dir():
        raise SetupError(f"The library has no models of job {job_id}.")
    return folder
