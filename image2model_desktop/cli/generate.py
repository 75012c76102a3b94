"""``image2model generate IMG_OR_FOLDER…``: a batch in the terminal, with progress and a summary."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from image2model_desktop.core.errors import ParameterError, SetupError
from image2model_desktop.core.intake import check_photos, expand_paths, merge_parameters
from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.parameters import face_limit_sentence

from .batch import (
    COST_WAIT_SECONDS,
    EXIT_FAILED,
    EXIT_OK,
    check_out_dir,
    copy_outputs,
    engine_line,
    follow,
    print_summary,
)
from .models import (
    add_model_arguments,
    add_money_arguments,
    check_request,
    cost_lines,
    plan_entries,
    requested_models,
)

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService


def add_generate_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    gen.add_argument("--seed", type=non_negative_int, default=None)
    gen.add_argument("--concurrency", type=concurrency, default=None, metavar="N")
    gen.add_argument("--json", action="store_true", help="print the batch summary as JSON")
    add_model_arguments(gen)
    options = gen.add_argument_group(
        "model options (FAL; `image2model models` says which model takes which)"
    )
    options.add_argument(
        "--quad",
        action="store_true",
        default=None,
        help="quad faces (Tripo: answered as FBX; Rodin: 200K Quad; Hunyuan3D: LowPoly quads)",
    )
    options.add_argument(
        "--real-size",
        action="store_true",
        default=None,
        help="Tripo: scale the model to real-world metres (auto_size)",
    )
    options.add_argument(
        "--format",
        dest="output_format",
        choices=("glb", "usdz", "fbx", "obj", "stl"),
        default=None,
        help="Rodin: the model file's format (geometry_file_format)",
    )
    options.add_argument(
        "--t-pose", action="store_true", default=None, help="Rodin: characters in T/A pose"
    )
    options.add_argument(
        "--low-poly", action="store_true", default=None, help="Hunyuan3D v3: its LowPoly type"
    )
    add_money_arguments(gen)
    gen.add_argument(
        "--no-reuse",
        action="store_true",
        help="ask the engine for every photo, even one already made with the same settings",
    )


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def concurrency(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 25:
        raise argparse.ArgumentTypeError("must be between 1 and 25")
    return value


def run_generate(args: argparse.Namespace) -> int:
    return asyncio.run(_generate(args))


def _parameters(args: argparse.Namespace, service: JobService) -> JobParameters:
    """The options over the defaults, checked against the chosen engine (exit 2 if not)."""
    given = {
        name: getattr(args, name, None)
        for name in (
            "engine",
            "texture",
            "pbr",
            "seed",
            "fal_retention",
            "quad",
            "real_size",
            "output_format",
            "t_pose",
            "low_poly",
        )
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
        check_out_dir(args.out)
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
        print(engine_line(parameters, engine, models), file=human)
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
        final = await follow(runtime.service, job, human)
        # What FAL billed is read beside the batch; the summary gives it a moment.
        final = await service.settle_costs(final.job_id, COST_WAIT_SECONDS)
        for job_id in resumed:
            await service.wait_finished(job_id)
        if args.out is not None:
            copy_outputs(final, runtime.paths.outputs(final.job_id), args.out, human)
        print_summary(final, runtime.paths.outputs(final.job_id), human)
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
