"""The print check over HTTP: ``GET /print-check/{job_id}/{filename}`` on a finished model.

The same check as ``image2model print-check`` (``mesh.printing.check``), run in
the process pool so the server's loop stays free. The file is found with the
downloads' checks (name, job, folder, symlinks): only a job's own outputs.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from image2model_desktop.core.errors import ApiError, PrintSettingsError

from .auth import require_key
from .context import ServerContext, check_job_id, get_context
from .downloads import check_filename, require_job, resolve_output

log = logging.getLogger(__name__)

router = APIRouter(prefix="/print-check", tags=["printing"], dependencies=[Depends(require_key)])
Context = Annotated[ServerContext, Depends(get_context)]

#: Models the check reads (the library's outputs are GLB; exports may sit beside them).
CHECKED_SUFFIXES = (".glb", ".obj", ".stl", ".ply")
#: What trimesh raises on a file it cannot parse.
_UNREADABLE = (ValueError, KeyError, IndexError, EOFError, TypeError, NotImplementedError)


@router.get(
    "/{job_id}/{filename}",
    summary="Check a finished model for 3D printing: holes, walls, overhangs, size, material",
)
async def print_check(
    context: Context,
    job_id: Annotated[str, Path(description="The job id")],
    filename: Annotated[str, Path(description="A model of the job, e.g. chair.glb")],
    height_mm: Annotated[
        float | None, Query(gt=0, le=10_000, description="Print height in mm (default: as stored)")
    ] = None,
    printer: Annotated[Literal["fdm", "resin"], Query(description="Printer kind")] = "fdm",
    material: Annotated[
        Literal["pla", "petg", "resin"] | None, Query(description="Default: the printer's")
    ] = None,
    overhang_deg: Annotated[
        float, Query(gt=0, lt=90, description="Surfaces leaning further need support")
    ] = 45.0,
    min_wall_mm: Annotated[
        float | None, Query(gt=0, le=100, description="Default: 0.8 (FDM), 0.4 (resin)")
    ] = None,
    build_volume_mm: Annotated[
        str | None, Query(description="Width x depth x height in mm, e.g. 256x256x256")
    ] = None,
) -> dict[str, Any]:
    from image2model_desktop.core.workers import run_in_process
    from image2model_desktop.mesh.printing.check import check_print
    from image2model_desktop.mesh.printing.profiles import PrinterKind, PrintSettings

    check_filename(filename)
    job_id = check_job_id(job_id)
    require_job(context, job_id)
    if os.path.splitext(filename)[1].lower() not in CHECKED_SUFFIXES:
        raise ApiError(
            400, f"Only models can be checked: give a {', '.join(CHECKED_SUFFIXES)} file."
        )
    path = resolve_output(context, job_id, filename)
    try:
        settings = PrintSettings(
            height_mm=height_mm,
            printer=PrinterKind(printer),
            material=material,
            build_volume_mm=None if build_volume_mm is None else _volume(build_volume_mm),
            overhang_deg=overhang_deg,
            min_wall_mm=min_wall_mm,
        )
    except PrintSettingsError as error:
        raise ApiError(400, str(error)) from None
    try:
        report = await run_in_process(check_print, path, settings)
    except _UNREADABLE:
        log.warning(
            "Could not read %s of job %s for a print check", filename, job_id, exc_info=True
        )
        raise ApiError(422, f"{filename} could not be read as a 3D model.") from None
    return {"job_id": job_id, "filename": filename, **report.to_dict()}


def _volume(text: str) -> tuple[float, float, float]:
    parts = text.lower().replace("×", "x").split("x")
    try:
        width, depth, height = (float(p) for p in parts)
    except ValueError:
        raise ApiError(
            400, "build_volume_mm must be width x depth x height in mm, e.g. 256x256x256."
        ) from None
    return (width, depth, height)
