"""The command line's entry: parse, pick the command, turn errors into a sentence and an exit code.

    image2model [PHOTO…]                     open the window, queue the photos
    image2model generate IMG_OR_FOLDER…      run a batch in the terminal
    image2model resume                       finish work left by a crash or quit
    image2model serve                        run the local HTTP API
    image2model config set-key|clear-key|show
    image2model export SRC DEST              write a model as GLB/glTF/OBJ/STL/PLY/3MF
    image2model print-check MODEL…           will it print? (exit 0 yes, 3 warnings, 4 no)
    image2model turntable MODEL OUT.gif|mp4  render a model turning (--all: contact sheet)
    image2model watch DIR                    turn photos that appear in a folder into models
    image2model models                       list FAL's generators and their prices
    image2model remesh MODEL [--quad] [--faces N]      a remeshed version, made on FAL
    image2model retexture MODEL --prompt T|--style-image IMG   a retextured version
    image2model versions MODEL               an entry's versions and their files

Exit codes: 0 every file completed, 1 some file failed or was cancelled,
2 usage or setup error. Each command is a module of this package with an
``add_*_parser`` and a ``run_*``; this one only wires them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from image2model_desktop import __version__
from image2model_desktop.core.errors import Image2ModelError
from image2model_desktop.core.pool import NO_FAL_KEY

from . import (
    config,
    export,
    generate,
    models,
    print_check,
    resume,
    serve,
    turntable,
    versions,
    watch,
    window,
)
from .batch import EXIT_USAGE

#: name → (add its parser, run it). The window is the default when no command is named.
COMMANDS: dict[
    str,
    tuple[
        Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None],
        Callable[[argparse.Namespace], int],
    ],
] = {
    "generate": (generate.add_generate_parser, generate.run_generate),
    "resume": (resume.add_resume_parser, resume.run_resume),
    "serve": (serve.add_serve_parser, serve.run_serve),
    "config": (config.add_config_parser, config.run_config),
    "export": (export.add_export_parser, export.run_export),
    "print-check": (print_check.add_print_check_parser, print_check.run_print_check),
    "turntable": (turntable.add_turntable_parser, turntable.run_turntable),
    "watch": (watch.add_watch_parser, watch.run_watch),
    "models": (models.add_models_parser, models.run_models),
    "remesh": (versions.add_remesh_parser, versions.run_remesh),
    "retexture": (versions.add_retexture_parser, versions.run_retexture),
    "versions": (versions.add_versions_parser, versions.run_versions),
}

#: What to do about an error, said the way a terminal user does it (core says what happened).
_HINTS = {
    NO_FAL_KEY: "Run `image2model config set-key` (or set FAL_KEY), or use --engine offline.",
}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and (args_list[0] in COMMANDS or args_list[0] == "gui"):
        args = _parser().parse_args(args_list)
    else:
        args = _window_parser().parse_args(args_list)
        args.command = "gui"
    try:
        if args.command == "gui":
            return window.run_window(args)
        return COMMANDS[args.command][1](args)
    except Image2ModelError as error:
        hint = _HINTS.get(error.code)
        print(f"image2model: {error.user_message}{' ' + hint if hint else ''}", file=sys.stderr)
        return EXIT_USAGE


def gui_main() -> int:
    """Entry point of the windowed launcher (no console)."""
    return main(sys.argv[1:])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="image2model", description="Turn photos into 3D models.")
    parser.add_argument("--version", action="version", version=f"Image2Model {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add_parser, _run in COMMANDS.values():
        add_parser(commands)
    window.add_window_arguments(commands.add_parser("gui", help="open the window"))
    return parser


def _window_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="image2model",
        description="Turn photos into 3D models. Without a command, opens the window.",
        epilog=f"Commands: {', '.join(COMMANDS)} (`image2model COMMAND --help`).",
    )
    parser.add_argument("--version", action="version", version=f"Image2Model {__version__}")
    window.add_window_arguments(parser)
    return parser
