"""Reuse instead of paying twice: the same photo with the same request gets its finished model.

A photo is known by its pixels, not its file: the SHA-256 of its decoded,
upright 8-bit pixels, prefixed with its size. A renamed copy, a copy without
its EXIF block, a JPEG saved again as PNG all hash the same; a lossy re-encode
does not (docs/architecture.md, "Reuse": the generator would see other pixels,
and a tolerance could hand a different photo someone's old model).

A request matches when the engine and every parameter but the seed are equal,
and the seed too when the new batch names one (no seed means "any model of
this photo will do").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models import FileItem, JobParameters, OutputInfo, ReusedFrom
from .paths import LibraryPaths
from .store import Store


def pixel_hash(path: Path) -> str:
    """``"<width>x<height>:<sha256>"`` of the photo's upright pixels (blocking: a decode)."""
    from .images import open_normalized

    with open_normalized(path) as image:
        digest = hashlib.sha256(image.mode.encode("ascii"))
        digest.update(image.tobytes())
        width, height = image.size
    return f"{width}x{height}:{digest.hexdigest()}"


#: What a model file (the source of a remesh or retexture) is known by in
#: ``files.pixel_hash``: its bytes' SHA-256, told apart from a photo's hash.
MODEL_HASH_PREFIX = "model:"


def model_hash(path: Path) -> str:
    """``"model:<sha256>"`` of a model file's bytes (blocking: reads the file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return MODEL_HASH_PREFIX + digest.hexdigest()


def same_request(
    engine: str, parameters: JobParameters, other_engine: str, other: JobParameters
) -> bool:
    """Would a model made for ``other`` answer a request for ``parameters``?"""
    if engine != other_engine:
        return False
    # How long FAL keeps the photos says nothing of the model made from them; a
    # version's source and its style photo's stored name are known by their
    # hashes instead (the file's pixel_hash, ``PostProcess.style_image_hash``).
    ignored: dict[str, Any] = {
        "engine": True,
        "seed": True,
        "fal_retention": True,
        "post": {"source_job_id", "source_file_id", "style_image"},
    }
    if parameters.model_dump(exclude=ignored) != other.model_dump(exclude=ignored):
        return False
    return parameters.seed is None or parameters.seed == other.seed


@dataclass(frozen=True)
class Source:
    """A finished model that answers a new file's request."""

    item: FileItem
    job_created: float

    @property
    def output(self) -> OutputInfo:
        assert self.item.output is not None  # only completed files are sources
        return self.item.output


def can_reuse(item: FileItem) -> bool:
    """Whether ``item`` may take an earlier model (several views make another object)."""
    return item.reuse and item.pixel_hash is not None and not _views(item)


def find_source(
    store: Store, paths: LibraryPaths, pixel_hash: str, engine: str, parameters: JobParameters
) -> Source | None:
    """The newest completed file of that photo whose model still exists and fits the request."""
    for item, other_engine, other, created in store.completed_with_pixels(pixel_hash):
        if item.model is not None:  # a compare batch's file: its own model, not the batch's
            other = other.model_copy(update={"model": item.model})
        if _views(item) or not same_request(engine, parameters, other_engine, other):
            continue
        output = item.output
        if output is not None and (paths.outputs(item.job_id) / output.model_filename).is_file():
            return Source(item, created)
    return None


def copy_source(paths: LibraryPaths, source: Source, job_id: str, stem: str) -> OutputInfo:
    """Copy the source's model (and picture) into ``job_id`` under ``stem`` (blocking)."""
    from .fsutil import atomic_copy

    out = source.output
    origin = paths.outputs(source.item.job_id)
    target = paths.outputs(job_id)
    target.mkdir(parents=True, exist_ok=True)
    old_stem = source.item.output_stem
    model_name = stem + _suffix(out.model_filename, old_stem)
    atomic_copy(origin / out.model_filename, target / model_name)
    preview_name = None
    if out.preview_filename and (origin / out.preview_filename).is_file():
        preview_name = stem + _suffix(out.preview_filename, old_stem)
        atomic_copy(origin / out.preview_filename, target / preview_name)
    files = []
    for kept in out.files:
        # Every file FAL gave comes along (FBX, USDZ, textures), renamed as the model is.
        name = (
            model_name if kept.name == out.model_filename else stem + _suffix(kept.name, old_stem)
        )
        if name != model_name:
            if not (origin / kept.name).is_file():
                continue
            atomic_copy(origin / kept.name, target / name)
        files.append(kept.model_copy(update={"name": name}))
    return out.model_copy(
        update={
            "files": tuple(files),
            "model_filename": model_name,
            "preview_filename": preview_name,
            "preview_size": out.preview_size if preview_name else None,
            "preview_content_type": out.preview_content_type if preview_name else None,
            "processing_time": 0.0,
            # A copy of a copy names the batch that paid for the model.
            "reused_from": out.reused_from
            or ReusedFrom(
                job_id=source.item.job_id,
                file_id=source.item.file_id,
                filename=source.item.filename,
                job_created=source.job_created,
            ),
        }
    )


def reused_sentence(origin: ReusedFrom) -> str:
    """ "Reused from batch 1a2b3c4d of 2026-12-01 06:50 (chair.jpg)": the batch and its date."""
    import time

    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(origin.job_created))
    return f"Reused from batch {origin.job_id[:8]} of {when} ({origin.filename})"


def _suffix(name: str, stem: str) -> str:
    """What follows the stem in an output's name (``.glb``, ``_preview.png``)."""
    return name[len(stem) :] if name.startswith(stem) else Path(name).suffix


def _views(item: FileItem) -> bool:
    return bool(item.view_names)
