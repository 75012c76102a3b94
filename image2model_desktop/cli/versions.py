"""``image2model remesh|retexture MODEL …`` and ``image2model versions MODEL``: new versions
of a library model made by FAL, and the list of an entry's versions.

MODEL names a finished model of the library: ``JOB_ID/FILE_ID``, a file id, a job id
holding one model, or the path of a model file in the library's ``jobs/…/outputs``.
The request is priced before it is sent, submitted once, followed, and resumable by
``image2model resume`` after a crash (the same runner and ledger as a generation);
the same model with the same request again reuses the earlier version for $0.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image2model_desktop.core.errors import LengthError, SetupError
from image2model_desktop.core.models import FileItem, Job, PostProcess

from .batch import (
    COST_WAIT_SECONDS,
    EXIT_FAILED,
    EXIT_OK,
    check_out_dir,
    copy_outputs,
    follow,
    print_summary,
)
from .models import add_money_arguments

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

_REMESH_SERVICES = {"meshy": "meshy-remesh", "hunyuan": "hunyuan-topology"}
_RETEXTURE_SERVICES = {"meshy": "meshy-retexture", "trellis": "trellis-retexture"}
_MODEL_HELP = (
    "a library model: JOB_ID/FILE_ID, a file id, a job id with one model, or the path of a "
    "model file in the library (`image2model versions MODEL` lists an entry's versions)"
)


def add_remesh_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remesh = commands.add_parser(
        "remesh",
        help="remesh a library model on FAL (quad or triangle, a face count): a new version",
        description="Remesh a finished model on FAL. The result is a new version of the same "
        "library entry; the original is kept. Priced before it is sent.",
    )
    remesh.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    topology = remesh.add_mutually_exclusive_group()
    topology.add_argument("--quad", action="store_true", help="quad faces")
    topology.add_argument("--triangle", action="store_true", help="triangles (the default)")
    remesh.add_argument(
        "--service",
        choices=tuple(_REMESH_SERVICES),
        default="meshy",
        help="meshy: Meshy 5 Remesh (a face count, other formats; default); "
        "hunyuan: Hunyuan3D 3.1 Smart Topology (a face level)",
    )
    remesh.add_argument("--faces", type=int, metavar="N", help="faces wanted (Meshy: 100-300000)")
    remesh.add_argument(
        "--face-level", choices=("low", "medium", "high"), help="Hunyuan's polygon density"
    )
    remesh.add_argument(
        "--formats",
        metavar="FMT[,FMT]",
        help="Meshy: also return these beside the GLB: fbx, obj, usdz, blend, stl",
    )
    remesh.add_argument(
        "--height", metavar="LENGTH", help="Meshy: resize to this height (1.2m, 30cm, 4in)"
    )
    remesh.add_argument(
        "--origin", choices=("bottom", "center"), help="Meshy: put the origin there"
    )
    _common(remesh)


def add_retexture_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retexture = commands.add_parser(
        "retexture",
        help="paint a library model anew on FAL, from words or a style photo: a new version",
        description="Give a finished model a new texture on FAL. The result is a new version "
        "of the same library entry; the original is kept. Priced before it is sent.",
    )
    retexture.add_argument("model", metavar="MODEL", help=_MODEL_HELP)
    style = retexture.add_mutually_exclusive_group(required=True)
    style.add_argument("--prompt", metavar="TEXT", help="the texture in words (Meshy only)")
    style.add_argument("--style-image", type=Path, metavar="IMG", help="a JPEG/PNG to paint from")
    retexture.add_argument(
        "--service",
        choices=tuple(_RETEXTURE_SERVICES),
        default=None,
        help="meshy: Meshy 5 Retexture (words or a photo; the default); trellis: TRELLIS.2 "
        "Retexture (a photo)",
    )
    retexture.add_argument("--pbr", action="store_true", help="Meshy: PBR maps too")
    _common(retexture)


def add_versions_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    versions = commands.add_parser(
        "versions", help="list the versions of a library model and the files each one has"
    )
    versions.add_argument("model", metavar="MODEL", help=_MODEL_HELP)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="also copy the new version's files here")
    parser.add_argument(
        "--no-reuse",
        action="store_true",
        help="send it even if this model already had the same request (pays again)",
    )
    add_money_arguments(parser)


def run_remesh(args: argparse.Namespace) -> int:
    formats = _formats(args.formats)
    height = None
    if args.height is not None:
        from image2model_desktop.mesh.units import Length

        try:
            height = Length.parse(args.height).metres
        except LengthError as error:
            raise SetupError(str(error)) from error

    def post(job: Job, item: FileItem) -> PostProcess:
        return PostProcess(
            service=_REMESH_SERVICES[args.service],  # type: ignore[arg-type]
            source_job_id=job.job_id,
            source_file_id=item.file_id,
            quad=args.quad,
            faces=args.faces,
            face_level=args.face_level,
            formats=formats,
            resize_height=height,
            origin_at=args.origin,
        )

    return asyncio.run(_run(args, post, None))


def run_retexture(args: argparse.Namespace) -> int:
    service = args.service or "meshy"
    style = args.style_image
    if style is not None and not style.is_file():
        raise SetupError(f"No such style photo: {style}.")

    def post(job: Job, item: FileItem) -> PostProcess:
        return PostProcess(
            service=_RETEXTURE_SERVICES[service],  # type: ignore[arg-type]
            source_job_id=job.job_id,
            source_file_id=item.file_id,
            prompt=args.prompt,
            pbr=args.pbr,
        )

    return asyncio.run(_run(args, post, style))


def run_versions(args: argparse.Namespace) -> int:
    from image2model_desktop.core.versions import version_label
    from image2model_desktop.mesh.deliverables import save_choices
    from image2model_desktop.runtime import open_runtime

    async def show() -> int:
        runtime = open_runtime(hold_on_balance=False)
        try:
            service = runtime.service
            _, item = service.find_model(args.model)
            for version in service.versions(item.file_id):
                where = f"{version.job_id}/{version.file_id}"
                print(f"{version_label(version)}  {where}  [{version.state.value}]")
                if version.output is None:
                    continue
                outputs = runtime.paths.outputs(version.job_id)
                for choice in save_choices(outputs, version.output, version.engine):
                    if choice.path is not None:
                        print(f"    {choice.path}  {choice.label}")
            return EXIT_OK
        finally:
            await runtime.aclose()

    return asyncio.run(show())


async def _run(args: argparse.Namespace, make_post: Any, style: Path | None) -> int:
    from image2model_desktop.core.versions import version_label
    from image2model_desktop.runtime import open_runtime

    if args.out is not None:
        check_out_dir(args.out)
    runtime = open_runtime(hold_on_balance=False)
    try:
        service = runtime.service
        job, item = service.find_model(args.model)
        await service.refresh_prices("fal")
        plan, post = await service.plan_version(
            job.job_id, item.file_id, make_post(job, item), style
        )
        reuse = not args.no_reuse
        print(_cost_line(service, plan, post, reuse=reuse))
        resumed = await service.start()
        if resumed:
            print(f"Also finishing {len(resumed)} batch(es) left unfinished earlier.")
        version_job = await service.submit_version(
            plan, post, fal_retention=args.fal_retention, reuse=reuse
        )
        (new,) = version_job.files
        print(
            f"{item.filename}: version {new.version} from {version_label(item)} "
            f"(job {version_job.job_id})"
        )
        final = await follow(service, version_job, sys.stdout)
        final = await service.settle_costs(final.job_id, COST_WAIT_SECONDS)
        for job_id in resumed:
            await service.wait_finished(job_id)
        outputs = runtime.paths.outputs(final.job_id)
        if args.out is not None:
            copy_outputs(final, outputs, args.out, sys.stdout)
        print_summary(final, outputs, sys.stdout)
        done = final.files[0]
        if done.output is not None:
            others = [f.name for f in done.output.files if f.name != done.output.model_filename]
            if others:
                print(f"Also kept: {', '.join(str(outputs / name) for name in others)}")
            print(
                f"Version {done.version} sits beside the original in the library "
                f"(`image2model versions {done.job_id}/{done.file_id}`)."
            )
        return EXIT_OK if final.completed_count == len(final.files) else EXIT_FAILED
    finally:
        await runtime.aclose()
        from image2model_desktop.core.workers import shutdown_process_pool

        shutdown_process_pool()


def _cost_line(service: JobService, plan: Any, post: PostProcess, *, reuse: bool) -> str:
    usd = service.estimate_version(plan, post, reuse=reuse)
    if usd == 0.0:
        return "Estimated cost: $0.00 (this model already had the same request: it is reused)"
    if usd is None:
        return f"Estimated cost: unknown ({service.price_source_of(post)})"
    return f"Estimated cost: ${usd:.2f} (price: {service.price_source_of(post)})"


def _formats(text: str | None) -> tuple[Any, ...]:
    if text is None:
        return ()
    allowed = ("glb", "fbx", "obj", "usdz", "blend", "stl")
    names = tuple(dict.fromkeys(part.strip().lower().lstrip(".") for part in text.split(",")))
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise SetupError(f"--formats takes {', '.join(allowed)}; not {', '.join(unknown)}.")
    return names
