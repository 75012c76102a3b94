"""Save models out of the library: one in a chosen format, or all of a job as GLB."""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.models import FileItem, OutputInfo
from image2model_desktop.core.states import FileState
from image2model_desktop.core.workers import run_in_process
from image2model_desktop.mesh.export import (
    ExportPreview,
    ExportReport,
    export_model,
    export_with_options,
    format_keeps_texture,
    preview_export,
)
from image2model_desktop.mesh.options import ExportOptions

#: Dialog filters, in menu order, and the format each one means.
SAVE_FILTERS: tuple[tuple[str, str], ...] = (
    ("GLB — textured, one file (*.glb)", "glb"),
    ("OBJ + MTL + texture, zipped (*.zip)", "obj"),
    ("STL — shape only, no texture (*.stl)", "stl"),
    ("PLY — vertex colours, no texture image (*.ply)", "ply"),
)
_BY_SUFFIX = {".glb": "glb", ".zip": "obj", ".obj": "obj", ".stl": "stl", ".ply": "ply"}


def format_for(path: Path, chosen_filter: str) -> str:
    """Pick the format from the typed suffix, else from the filter the user chose."""
    by_suffix = _BY_SUFFIX.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix
    for label, fmt in SAVE_FILTERS:
        if label == chosen_filter:
            return fmt
    return "glb"


def texture_warning(fmt: str, textured: bool) -> str | None:
    """Return the sentence to show when ``fmt`` drops a texture the model has."""
    if not textured or format_keeps_texture(fmt):
        return None
    if fmt == "ply":
        return "PLY keeps colours per vertex only: the texture image was not saved."
    return f"{fmt.upper()} keeps the shape only: the texture was not saved."


async def save_one(src: Path, dest: Path, fmt: str) -> Path:
    """Export ``src`` to ``dest`` in ``fmt`` in the process pool; return the path written."""
    return await run_in_process(export_model, src, dest, fmt)


def preview_save(output: OutputInfo, dest: Path, options: ExportOptions) -> ExportPreview:
    """Predict faces, size and lost texture from the library's stats: instant, no file read.

    Raises ``UnknownFormatError`` / ``ExportOptionsError`` (ValueErrors) with a sentence.
    """
    width, depth, height = output.extents
    return preview_export(output.face_count, (width, height, depth), output.textured, dest, options)


async def save_with_options(src: Path, dest: Path, options: ExportOptions) -> ExportReport:
    """Export ``src`` to ``dest`` (format from its extension) in the process pool.

    Decimation holds the GIL for up to a second on big models, so it never runs
    in the window's process.
    """
    return await run_in_process(export_with_options, src, dest, options)


def free_name(folder: Path, stem: str, suffix: str, taken: set[str]) -> Path:
    """Return ``folder/stem.suffix``, numbered when that name exists or was just used."""
    candidate = folder / f"{stem}{suffix}"
    counter = 2
    while candidate.exists() or candidate.name in taken:
        candidate = folder / f"{stem}_{counter}{suffix}"
        counter += 1
    taken.add(candidate.name)
    return candidate


async def save_all(items: list[FileItem], outputs: Path, folder: Path) -> list[Path]:
    """Copy every completed model of a job into ``folder`` as GLB; return the files written."""
    written: list[Path] = []
    taken: set[str] = set()
    for item in items:
        if item.state != FileState.COMPLETED or item.output is None:
            continue
        src = outputs / item.output.model_filename
        dest = free_name(folder, item.output_stem, ".glb", taken)
        written.append(await run_in_process(export_model, src, dest, "glb"))
    return written
