"""The one way in: photos and parameters on their way to a batch, for every front end.

Folders are expanded, each photo is checked by content, checked photos become
batch entries (refused ones too: they join the batch as failed files, so every
front end reports them the same way), and a batch's parameters are the
caller's choices merged over the library's defaults. The CLI, the window and
the HTTP API all call these functions; none keeps its own copy.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import InvalidImageError
from .models import EngineName, FileItem, JobParameters, new_id
from .paths import LibraryPaths
from .settings import Settings
from .states import FileState

#: The fields of ``JobParameters`` a front end may set for one batch.
PARAMETER_FIELDS = (
    "engine",
    "face_limit",
    "texture",
    "pbr",
    "seed",
    "model",
    "fal_retention",
    "quad",
    "real_size",
    "output_format",
    "t_pose",
    "low_poly",
)


@dataclass(frozen=True)
class StagedInput:
    """A photo that passed validation and may join a batch."""

    source: Path
    display_name: str
    file_size: int
    content_type: str
    #: Move instead of copy (a temporary upload already in the data folder).
    move: bool = False
    #: Further views of the same object (left, back, right, in that order): the
    #: entry becomes one file, one model made from all its photos (multiview).
    views: tuple[StagedInput, ...] = ()
    #: The model for this entry alone (a compare batch: one entry per photo and
    #: model); its output name then carries the model (``chair.trellis-2.glb``).
    model: str | None = None
    #: ``core.reuse.pixel_hash`` of the photo, when the front end already has it.
    pixel_hash: str | None = None


@dataclass(frozen=True)
class RejectedInput:
    """A photo refused by validation; it joins the batch as a failed file."""

    display_name: str
    #: The full sentence, naming the file and the reason.
    reason: str
    model: str | None = None


BatchEntry = StagedInput | RejectedInput


@dataclass(frozen=True)
class Expansion:
    """Paths expanded into photo files, and one sentence per path that gave none."""

    files: list[Path]
    problems: list[str]


def expand_paths(paths: Sequence[str | Path]) -> Expansion:
    """Expand folders into their JPEG/PNG files (sorted, recursive); keep files as given."""
    from .images import ACCEPTED_SUFFIXES  # numpy and Pillow: loaded when first needed

    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ACCEPTED_SUFFIXES
            )
            if not found:
                problems.append(f"The folder {path} holds no JPEG or PNG photos.")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(f"No such file or folder: {path}")
    return Expansion(files, problems)


def check_photo(path: Path, display_name: str | None = None) -> BatchEntry:
    """Check one photo by content (blocking: run it in a thread) and make its batch entry."""
    from .images import validate_image
    from .reuse import pixel_hash

    name = display_name or path.name
    try:
        info = validate_image(path, name)
    except InvalidImageError as error:
        return RejectedInput(display_name=name, reason=error.user_message)
    return StagedInput(
        source=path,
        display_name=name,
        file_size=info.file_size,
        content_type=info.content_type,
        pixel_hash=pixel_hash(path),
    )


def check_photos(paths: Sequence[Path]) -> list[BatchEntry]:
    """Check each photo in turn (one decode at a time: a 40-megapixel one takes ~160 MB)."""
    return [check_photo(path) for path in paths]


def merge_parameters(settings: Settings, given: Mapping[str, Any]) -> JobParameters:
    """The batch's parameters: ``given`` (None or absent: not given) over the defaults.

    Raises pydantic's ``ValidationError`` for values of the wrong type; ranges
    are the engine's and are checked at submission (``JobService.check_parameters``).
    """
    values: dict[str, Any] = settings.job_defaults().model_dump()
    for name in PARAMETER_FIELDS:
        value = given.get(name)
        if value is not None:
            values[name] = value
    return JobParameters.model_validate(values)


def multiview_entry(views: Sequence[BatchEntry]) -> BatchEntry:
    """One batch entry from 2–4 checked photos of one object, in view order.

    A refused view refuses the whole entry (one model needs all its views).
    """
    for view in views:
        if isinstance(view, RejectedInput):
            return view
    front, *others = [v for v in views if isinstance(v, StagedInput)]
    return replace(front, views=tuple(others))


def compare_entries(entries: Sequence[BatchEntry], models: Sequence[str]) -> list[BatchEntry]:
    """Each photo once per model, in photo order (a compare batch)."""
    return [replace(entry, model=model) for entry in entries for model in models]


def entry_models(entries: Sequence[BatchEntry], default: str) -> list[str]:
    """The distinct models a batch's entries ask for, in order of appearance."""
    return list(dict.fromkeys(e.model or default for e in entries))


def new_files(
    job_id: str,
    entries: Sequence[BatchEntry],
    engine: EngineName,
    now: float,
    *,
    reuse: bool = True,
    model: str | None = None,
) -> tuple[list[FileItem], list[tuple[StagedInput, str]]]:
    """The files of a new batch, and which photo goes to which stored name.

    ``reuse`` False: every photo is generated anew, even one with a finished model.
    ``model``: the batch's model for entries that name none (None: the engine
    has no choice of models, and files record none).
    """
    items: list[FileItem] = []
    placements: list[tuple[StagedInput, str]] = []
    stems = unique_stems([_output_name(e) for e in entries])
    for position, (entry, stem) in enumerate(zip(entries, stems, strict=True)):
        file_id = new_id()
        common: dict[str, Any] = {
            "file_id": file_id,
            "job_id": job_id,
            "position": position,
            "filename": entry.display_name,
            "output_stem": stem,
            "engine": engine,
            "model": (entry.model or model) if model is not None else None,
            "created": now,
            "updated": now,
            "reuse": reuse,
        }
        if isinstance(entry, RejectedInput):
            # Refused photos stay in the batch, so every front end reports them.
            common.update(
                input_name=None,
                state=FileState.FAILED,
                error_code="INVALID_IMAGE",
                error_message=entry.reason,
                message=entry.reason,
                finished=now,
            )
        else:
            suffix = ".png" if entry.content_type == "image/png" else ".jpg"
            common.update(
                input_name=f"{file_id}{suffix}",
                input_size=entry.file_size,
                content_type=entry.content_type,
                pixel_hash=entry.pixel_hash,
            )
            placements.append((entry, common["input_name"]))
            view_names = []
            for number, view in enumerate(entry.views, start=1):
                view_suffix = ".png" if view.content_type == "image/png" else ".jpg"
                view_names.append(f"{file_id}.view{number}{view_suffix}")
                placements.append((view, view_names[-1]))
            common["view_names"] = tuple(view_names)
        items.append(FileItem(**common))
    return items, placements


def _output_name(entry: BatchEntry) -> str:
    """The name the output stem comes from: ``chair.jpg``, or ``chair.trellis-2.jpg``."""
    if entry.model is None:
        return entry.display_name
    return f"{safe_stem(entry.display_name)}.{entry.model}.glb"


def place_inputs(
    paths: LibraryPaths, job_id: str, placements: Sequence[tuple[StagedInput, str]]
) -> None:
    """Copy (or move) a batch's photos into its job folder (blocking: run it in a thread).

    On failure nothing of the job folder is left behind and the ``OSError`` is raised.
    """
    inputs = paths.inputs(job_id)
    try:
        inputs.mkdir(parents=True, exist_ok=True)
        paths.outputs(job_id).mkdir(parents=True, exist_ok=True)
        for entry, name in placements:
            if entry.move:
                shutil.move(entry.source, inputs / name)
            else:
                shutil.copyfile(entry.source, inputs / name)
    except OSError:
        shutil.rmtree(paths.job_dir(job_id), ignore_errors=True)
        raise


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(display_name: str) -> str:
    """Derive a harmless file stem from a display name (never trusted as a path)."""
    base = display_name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80]
    return stem or "model"


def unique_stems(names: Sequence[str]) -> list[str]:
    """One output stem per photo, unique within the batch (``chair``, ``chair_2``…)."""
    seen: set[str] = set()
    stems = []
    for name in names:
        stem = base = safe_stem(name)
        counter = 2
        while stem.lower() in seen:
            stem = f"{base}_{counter}"
            counter += 1
        seen.add(stem.lower())
        stems.append(stem)
    return stems
