"""The command line: ``image2model [PHOTO…]`` opens the window; subcommands work headless.

    image2model [PHOTO…]                     open the window, queue the photos
    image2model generate IMG_OR_FOLDER…      run a batch in the terminal
    image2model resume                       finish work left by a crash or quit
    image2model serve                        run the local HTTP API
    image2model config set-key|clear-key|show
    image2model export SRC DEST              write a model as GLB/glTF/OBJ/STL/PLY/3MF
    image2model turntable MODEL OUT.gif|mp4  render a model turning (--all: contact sheet)

Exit codes: 0 every file completed, 1 some file failed or was cancelled,
2 usage or setup error.

Over 400 lines: every subcommand's parser and ``generate``'s terminal flow
(progress, Ctrl-C, summary); each subcommand's own work lives in its module.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image2model_desktop import __version__
from image2model_desktop.core.errors import Image2ModelError, SetupError
from image2model_desktop.core.intake import (
    check_photos,
    expand_paths,
    merge_parameters,
)
from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.parameters import ParameterError, face_limit_sentence
from image2model_desktop.core.pool import NO_FAL_KEY
from image2model_desktop.core.states import FileState
from image2model_desktop.models_command import (
    add_model_arguments,
    add_models_parser,
    add_money_arguments,
    check_request,
    cost_lines,
    engine_label,
    plan_entries,
    requested_models,
    spent_line,
    spent_note,
    unconfirmed_hint,
)

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SUBCOMMANDS = (
    "generate",
    "resume",
    "serve",
    "config",
    "gui",
    "export",
    "turntable",
    "watch",
    "models",
)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in SUBCOMMANDS:
        parser = _parser()
        args = parser.parse_args(args_list)
    else:
        parser = _gui_parser()
        args = parser.parse_args(args_list)
        args.command = "gui"
    try:
        if args.command == "generate":
            return asyncio.run(_generate(args))
        if args.command == "resume":
            return asyncio.run(_resume(args))
        if args.command == "config":
            return _config(args)
        if args.command == "export":
            from image2model_desktop.export_command import run_export

            return run_export(args)
        if args.command == "turntable":
            from image2model_desktop.turntable_command import run_turntable

            return run_turntable(args)
        if args.command == "models":
            from image2model_desktop.models_command import run_models

            return run_models(args)
        if args.command == "watch":
            from image2model_desktop.watch_command import run_watch

            return run_watch(args)
        if args.command == "serve":
            from image2model_desktop.server.run import serve_main

            return serve_main(args)
        return _open_window(args)
    except Image2ModelError as error:
        hint = _HINTS.get(error.code)
        print(f"image2model: {error.user_message}{' ' + hint if hint else ''}", file=sys.stderr)
        return EXIT_USAGE


#: What to do about an error, said the way a terminal user does it (core says what happened).
_HINTS = {
    NO_FAL_KEY: "Run `image2model config set-key` (or set FAL_KEY), or use --engine offline.",
}


def gui_main() -> int:
    """Entry point of the windowed launcher (no console)."""
    return main(sys.argv[1:])


# -- parsers -------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="image2model", description="Turn photos into 3D models.")
    parser.add_argument("--version", action="version", version=f"Image2Model {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="turn photos into models in the terminal")
    gen.add_argument(
        "inputs", nargs="*", metavar="IMG_OR_FOLDER", help="JPEG/PNG photos or folders"
    )
    gen.add_argument("--out", type=Path, help="also copy the models into this folder")
    gen.add_argument("--engine", choices=("auto", "offline", "fal"), default=None)
    # Checked against the chosen engine's range once the engine is known (_parameters).
    gen.add_argument("--face-limit", default=None, metavar="N")
    gen.add_argument("--texture", choices=("no", "standard", "HD"), default=None)
    gen.add_argument("--pbr", action=argparse.BooleanOptionalAction, default=None)
    gen.add_argument("--seed", type=_non_negative_int, default=None)
    gen.add_argument("--concurrency", type=_concurrency, default=None, metavar="N")
    gen.add_argument("--json", action="store_true", help="print the batch summary as JSON")
    add_model_arguments(gen)
    add_money_arguments(gen)
    add_models_parser(commands)
    gen.add_argument(
        "--no-reuse",
        action="store_true",
        help="ask the engine for every photo, even one already made with the same settings",
    )

    resume = commands.add_parser("resume", help="finish files left unfinished by a crash or quit")
    resume.add_argument(
        "--resend-unconfirmed",
        action="store_true",
        help="also send again the photos sent without an answer (FAL may have received "
        "them: each may be billed twice)",
    )

    serve = commands.add_parser("serve", help="run the local HTTP API (no window)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--engine", choices=("auto", "offline", "fal"), default=None)
    serve.add_argument("--concurrency", type=_concurrency, default=None, metavar="N")

    config = commands.add_parser("config", help="set or show configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    set_key = config_commands.add_parser("set-key", help="store the FAL key (read from stdin)")
    set_key.add_argument("--stdin", action="store_true", help="read the key from stdin, no prompt")
    config_commands.add_parser("clear-key", help="forget the stored FAL key")
    config_commands.add_parser("show", help="show where the key and library are")

    from image2model_desktop.export_command import add_export_parser

    add_export_parser(commands)
    from image2model_desktop.turntable_command import add_turntable_parser

    add_turntable_parser(commands)
    from image2model_desktop.watch_command import add_watch_parser

    add_watch_parser(commands)

    gui = commands.add_parser("gui", help="open the window")
    _add_gui_arguments(gui)
    return parser


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="image2model",
        description="Turn photos into 3D models. Without a command, opens the window.",
        epilog=(
            "Commands: generate, resume, serve, config, export, turntable, watch "
            "(`image2model COMMAND --help`)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"Image2Model {__version__}")
    _add_gui_arguments(parser)
    return parser


def _add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photos", nargs="*", type=Path, help="photos to queue in the window")
    parser.add_argument("--self-test", action="store_true", help="run a sample and exit")
    parser.add_argument("--screenshot", type=Path, help="with --self-test: save the window")
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="list Image2Model under 'Open with' for photos (Linux, this user) and exit",
    )


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _concurrency(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 25:
        raise argparse.ArgumentTypeError("must be between 1 and 25")
    return value


# -- generate ------------------------------------------------------------------


def _parameters(args: argparse.Namespace, service: JobService) -> JobParameters:
    """The options over the defaults, checked against the chosen engine (exit 2 if not)."""
    given = {
        name: getattr(args, name, None)
        for name in ("engine", "texture", "pbr", "seed", "fal_retention")
    }
    given["model"] = next(iter(requested_models(args)), None)
    if args.face_limit is not None:
        engine = given["engine"] or service.settings.engine
        policy = service.parameter_policy(engine)
        try:
            given["face_limit"] = int(args.face_limit.strip())
        except ValueError:
            if policy is None:
                raise SetupError("The face limit must be a whole number.") from None
            raise ParameterError(
                "face_limit", face_limit_sentence(policy, args.face_limit)
            ) from None
    parameters = merge_parameters(service.settings, given)
    service.check_parameters(parameters)
    return parameters


async def _generate(args: argparse.Namespace) -> int:
    from image2model_desktop.core.images import MAX_FILES_PER_BATCH
    from image2model_desktop.runtime import open_runtime

    if not args.inputs and not args.views:
        raise SetupError("Give at least one photo or folder (or --views FRONT LEFT …).")
    expansion = expand_paths(args.views or args.inputs)
    if expansion.problems:
        raise SetupError(expansion.problems[0])
    photos = expansion.files
    if len(photos) > MAX_FILES_PER_BATCH:
        raise SetupError(
            f"Too many photos: {len(photos)} given, at most {MAX_FILES_PER_BATCH} per batch. "
            "Split them into several runs."
        )
    if args.out is not None:
        _check_out_dir(args.out)
    human = sys.stderr if args.json else sys.stdout
    runtime = open_runtime(hold_on_balance=False)
    try:
        service = runtime.service
        if args.concurrency:
            service.set_concurrency(args.concurrency)
        parameters = _parameters(args, service)
        engine = service.resolve_engine(parameters.engine)
        models = requested_models(args)
        check_request(args, models, engine, parameters)
        print(_engine_line(parameters, engine, models), file=human)
        checked = await asyncio.get_running_loop().run_in_executor(None, check_photos, photos)
        entries = plan_entries(checked, args, models)
        reuse = not args.no_reuse
        if engine == "fal":
            await service.refresh_prices(engine)
        # Only what will really be submitted costs anything (core.reuse).
        for line in cost_lines(service, entries, parameters, reuse=reuse):
            print(line, file=human)
        resumed = await service.start()
        if resumed:
            print(f"Also finishing {len(resumed)} batch(es) left unfinished earlier.", file=human)
        job = await service.submit(entries, parameters, reuse=reuse)
        final = await _follow(runtime.service, job, human)
        # What FAL billed is read beside the batch; the summary gives it a moment.
        final = await service.settle_costs(final.job_id, _COST_WAIT_SECONDS)
        for job_id in resumed:
            await service.wait_finished(job_id)
        if args.out is not None:
            _copy_outputs(final, runtime.paths.outputs(final.job_id), args.out, human)
        _print_summary(final, runtime.paths.outputs(final.job_id), human)
        if args.json:
            from image2model_desktop.core.summary import batch_summary

            def local_link(job_id: str, name: str) -> str:
                return (runtime.paths.outputs(job_id) / name).resolve().as_uri()

            print(json.dumps(batch_summary(final, link=local_link), indent=2))
        return EXIT_OK if final.completed_count == len(final.files) else EXIT_FAILED
    finally:
        await runtime.aclose()
        from image2model_desktop.core.workers import shutdown_process_pool

        shutdown_process_pool()


async def _follow(service: JobService, job: Job, stream: Any) -> Job:
    """Show progress until the job ends; the first Ctrl-C cancels, the second quits."""
    from image2model_desktop.console import ProgressDisplay

    display = ProgressDisplay(job, stream)
    unsubscribe = service.on_event(display.on_event, job.job_id)
    loop = asyncio.get_running_loop()
    interrupts = 0

    def on_interrupt() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            print("\nCancelling… finished models are kept (Ctrl-C again to quit now).", file=stream)
            service.cancel_job(job.job_id)
        else:
            # Leave at once; the library keeps every state for `image2model resume`.
            os._exit(EXIT_FAILED)

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        final: Job = await service.wait_finished(job.job_id)
    finally:
        unsubscribe()
        display.close()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
    return final


def _engine_line(parameters: JobParameters, engine: str, models: Sequence[str] = ()) -> str:
    if engine == "fal":
        label = engine_label(models, parameters)
        return f"Engine: {label} (cloud; each model is billed to your FAL account)"
    why = " (no FAL key is set)" if parameters.engine == "auto" else ""
    return f"Engine: offline{why} — a quick 2.5D model made on this computer"


def _check_out_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SetupError(f"Cannot create the output folder {out}: {error.strerror}.") from error
    if not os.access(out, os.W_OK):
        raise SetupError(f"The output folder {out} is not writable.")


def _copy_outputs(job: Job, outputs: Path, out: Path, stream: Any) -> None:
    from image2model_desktop.watch_folder import copy_models

    _, problems = copy_models(job, outputs, out)
    for problem in problems:
        print(problem, file=stream)


#: How long a finished batch waits for FAL's bills before its summary is printed.
_COST_WAIT_SECONDS = 15.0


def _print_summary(job: Job, outputs: Path, stream: Any) -> None:
    from image2model_desktop.core.reuse import reused_sentence

    print(f"\n{job.summary_message()} (job {job.job_id})", file=stream)
    reused = 0
    for item in job.files:
        if item.output is not None:
            origin = item.output.reused_from
            note = f" ({reused_sentence(origin)}; $0)" if origin is not None else ""
            reused += origin is not None
            model = outputs / item.output.model_filename
            made_by = f"  [{item.model}]" if item.model else ""
            money = spent_note(item) if origin is None else ""
            print(f"  ✓ {item.filename} → {model}{made_by}{note}{money}", file=stream)
        elif item.state == FileState.UNCONFIRMED:
            print(f"  ? {item.filename}: {item.error_message}", file=stream)
        else:
            reason = item.error_message or "cancelled"
            # Refusals already start with the file's name; engine errors do not.
            if not reason.startswith(f"{item.filename}:"):
                reason = f"{item.filename}: {reason}"
            print(f"  ✗ {reason}", file=stream)
    if reused:
        print(
            f"{reused} model{'s' if reused != 1 else ''} reused from earlier work: "
            "nothing submitted, $0 charged (--no-reuse generates anew).",
            file=stream,
        )
    for line in (spent_line(job), unconfirmed_hint(job)):
        if line:
            print(line, file=stream)


async def _resume(args: argparse.Namespace) -> int:
    from image2model_desktop.runtime import open_runtime

    runtime = open_runtime(hold_on_balance=False)
    try:
        resumed = await runtime.service.start()
        if args.resend_unconfirmed:
            for job_id in runtime.service.unconfirmed_jobs():
                await runtime.service.resend(job_id)
                print(f"Sending again the unconfirmed photos of batch {job_id}.")
                if job_id not in resumed:
                    resumed.append(job_id)
        if not resumed:
            print("Nothing to resume: every batch in the library has finished.")
            return EXIT_OK
        failed = False
        for job_id in resumed:
            job = await _follow(runtime.service, runtime.service.get_job(job_id), sys.stdout)
            job = await runtime.service.settle_costs(job_id, _COST_WAIT_SECONDS)
            _print_summary(job, runtime.paths.outputs(job_id), sys.stdout)
            failed = failed or job.completed_count != len(job.files)
        return EXIT_FAILED if failed else EXIT_OK
    finally:
        await runtime.aclose()
        from image2model_desktop.core.workers import shutdown_process_pool

        shutdown_process_pool()


# -- config --------------------------------------------------------------------


def _config(args: argparse.Namespace) -> int:
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


# -- window --------------------------------------------------------------------


def _open_window(args: argparse.Namespace) -> int:
    if args.install_desktop_entry:
        from image2model_desktop.desktop_entry import install

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
