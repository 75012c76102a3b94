"""What Save as offers for one model version: the files the engine gave, as they are,
and the formats we convert to.

Every front end lists the same choices from here (the window's Save as, ``image2model
export --list``, the API's ``/download/{job_id}/all``): first each model file FAL
returned (GLB, FBX, USDZ, OBJ…), saved byte for byte; then each format ``mesh.export``
writes that is not already among them, converted from the GLB. Qt-free and blocking
only for the copy (``save_as_given``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from image2model_desktop.core.fsutil import atomic_copy
from image2model_desktop.core.models import FileSource, OutputInfo

from .formats import ExportFormat

#: Formats trimesh reads, so the export converts from them.
CONVERTIBLE = frozenset({"glb", "obj", "stl", "ply"})


@dataclass(frozen=True)
class SaveChoice:
    """One way to save a model version."""

    #: "fbx", "usdz", "glb"…; a converted choice names its export format ("obj.zip").
    format: str
    source: FileSource
    #: The file's suffix when saved (".fbx", ".obj.zip").
    suffix: str
    #: The kept file (None: converted when saved).
    path: Path | None = None
    size: int | None = None
    #: Files an OBJ names (its .mtl, its textures), written beside it under FAL's names.
    companions: tuple[tuple[Path, str], ...] = ()

    @property
    def label(self) -> str:
        """ "FBX (16 KB) — as FAL gave it", "3MF — converted by Image2Model"."""
        name = self.format.upper().replace(".ZIP", " (zipped)")
        size = f" ({_size(self.size)})" if self.size is not None else ""
        how = {
            "fal": "as FAL gave it",
            "offline": "as the offline engine made it",
            "converted": "converted by Image2Model",
        }[self.source]
        return f"{name}{size} — {how}"


def save_choices(outputs: Path, output: OutputInfo, engine: str | None = None) -> list[SaveChoice]:
    """The kept model files first (in the order they came), then the conversions."""
    kept: list[SaveChoice] = []
    companions = tuple(
        (outputs / f.name, f.fal_name or f.name)
        for f in output.files
        if f.role != "model" and (outputs / f.name).is_file()
    )
    files = output.files
    if not files:
        # A model from before issue 22, or the offline engine's: one file.
        source: FileSource = "offline" if engine == "offline" else "fal"
        suffix = Path(output.model_filename).suffix.lower().lstrip(".") or "glb"
        path = outputs / output.model_filename
        size = path.stat().st_size if path.is_file() else None
        kept.append(SaveChoice(suffix, source, f".{suffix}", path, size))
    for item in files:
        path = outputs / item.name
        if item.role != "model" or not path.is_file():
            continue
        kept.append(
            SaveChoice(
                item.format,
                item.source,
                f".{item.format}",
                path,
                item.size,
                companions if item.format == "obj" else (),
            )
        )
    formats = {choice.format for choice in kept}
    readable = Path(output.model_filename).suffix.lower().lstrip(".") in CONVERTIBLE
    converted = [
        SaveChoice(fmt.suffix.lstrip("."), "converted", fmt.suffix)
        for fmt in ExportFormat
        if readable and fmt.suffix.lstrip(".") not in formats
    ]
    return kept + converted


def given_choice(choices: list[SaveChoice], fmt: str) -> SaveChoice | None:
    """The kept file of format ``fmt`` ("fbx", ".usdz"), None when the engine gave none."""
    wanted = fmt.lower().lstrip(".")
    return next((c for c in choices if c.path is not None and c.format == wanted), None)


def save_as_given(choice: SaveChoice, dest: Path) -> list[Path]:
    """Copy a kept file to ``dest`` byte for byte (and an OBJ's companions beside it)."""
    if choice.path is None:
        raise ValueError("A converted choice is written by mesh.export, not copied.")
    atomic_copy(choice.path, dest)
    written = [dest]
    for path, name in choice.companions:
        target = dest.parent / Path(name).name
        atomic_copy(path, target)
        written.append(target)
    return written


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"
