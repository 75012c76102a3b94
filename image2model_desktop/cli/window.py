"""``image2model [PHOTO…]``: open the window (or install its desktop entry)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .batch import EXIT_OK, EXIT_USAGE

log = logging.getLogger(__name__)


def add_window_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photos", nargs="*", type=Path, help="photos to queue in the window")
    parser.add_argument("--self-test", action="store_true", help="run a sample and exit")
    parser.add_argument("--screenshot", type=Path, help="with --self-test: save the window")
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="list Image2Model under 'Open with' for photos (Linux, this user) and exit",
    )


def run_window(args: argparse.Namespace) -> int:
    if args.install_desktop_entry:
        from .desktop_entry import install

        written = install()
        print(f"Installed {written[0]} and {len(written) - 1} icons.")
        return EXIT_OK
    try:
        from image2model_desktop.gui.app import run_gui
    except ImportError as error:
        log.debug("GUI unavailable: %s", error)
        print(
            "The window is not available in this build; use `image2model generate`.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return run_gui(args)
