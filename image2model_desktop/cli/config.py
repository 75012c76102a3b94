"""``image2model config set-key|clear-key|show``: the FAL key and where the library is."""

from __future__ import annotations

import argparse
import getpass
import sys

from image2model_desktop.core.errors import SetupError

from .batch import EXIT_OK


def add_config_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = commands.add_parser("config", help="set or show configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    set_key = config_commands.add_parser("set-key", help="store the FAL key (read from stdin)")
    set_key.add_argument("--stdin", action="store_true", help="read the key from stdin, no prompt")
    config_commands.add_parser("clear-key", help="forget the stored FAL key")
    config_commands.add_parser("show", help="show where the key and library are")


def run_config(args: argparse.Namespace) -> int:
    from image2model_desktop.core import credentials
    from image2model_desktop.core.paths import data_dir

    root = data_dir()
    if args.config_command == "set-key":
        if args.stdin or not sys.stdin.isatty():
            key = sys.stdin.readline().strip()
        else:
            key = getpass.getpass("FAL key (input hidden): ").strip()
        if not key:
            raise SetupError("No key was given; nothing was changed.")
        where = credentials.store_fal_key(root, key)
        print(f"FAL key saved in {where}.")
        return EXIT_OK
    if args.config_command == "clear-key":
        credentials.clear_fal_key(root)
        print("FAL key removed.")
        return EXIT_OK
    source = credentials.key_source(root)
    print(f"Library: {root}")
    print(f"FAL key: {'set, from ' + source if source else 'not set (offline engine)'}")
    return EXIT_OK
