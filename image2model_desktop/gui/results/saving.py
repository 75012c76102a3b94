"""Save models out of the library with export options: one model, or all of a job.

The export dialog (gui/export_dialog.py) previews with ``preview_save``; the
writing runs in the process pool (``save_with_options``).
"""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.models import FileItem, OutputInfo
from image2model_desktop.core.states import FileState
from image2model_desktop.core.workers import run_in_process
from image2model_desktop.mesh.export import (
    ExportPreview,
    ExportReport,
    export_with_options,
    preview_export,
)
from image2model_desktop.mesh.formats import ExportFormat
from image2model_desktop.mesh.options import ExportOptions


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


async def save_all_with_options(
    items: list[FileItem], outputs: Path, folder: Path, fmt: ExportFormat, options: ExportOptions
) -> list[ExportReport]:
    """Export every completed model of a job into ``folder`` in ``fmt``, one at a time."""
    reports: list[ExportReport] = []
    taken: set[str] = set()
    for item in items:
        if item.state != FileState.COMPLETED or item.output is None:
            continue
        src = outputs / item.output.model_filename
        dest = free_name(folder, item.output_stem, fmt.suffix, taken)
        reports.append(await save_with_options(src, dest, options))
    return reports
