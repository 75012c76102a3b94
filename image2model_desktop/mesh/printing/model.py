"""A model in print coordinates: millimetres, Z up, standing on the bed, centred, welded.

Every check works on this shape. Texture seams split a file's vertices; welded
by position they stop looking like holes (as in ``mesh.holes.shape_only``).
Faces with two corners at one place (a UV sphere's poles) have no area and
make any edge count wrong, so they are dropped; ``source_faces`` remembers
which face of the file each face is, so per-face results can be drawn on the
file's own faces in the 3D preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from image2model_desktop.mesh.formats import ExportFormat
from image2model_desktop.mesh.options import ExportOptions, Pivot
from image2model_desktop.mesh.transform import Matrix, place, source_frame
from image2model_desktop.mesh.units import Length


@dataclass(frozen=True)
class PrintModel:
    """The welded shape of a model file as it would sit on the bed."""

    #: ``trimesh.Trimesh`` in mm, Z up, base at z = 0, centred on X and Y.
    mesh: Any
    #: For each face of ``mesh``, its index among the file's faces (in ``load_single_mesh`` order).
    source_faces: npt.NDArray[np.int64]
    #: How many faces the file has.
    source_face_count: int
    #: The 4×4 matrix taking the file's coordinates to ``mesh``'s.
    placement: Matrix


def load_print_model(path: Path, height_mm: float | None) -> PrintModel:
    """Load ``path`` and place it for printing, scaled to ``height_mm`` tall if given."""
    from image2model_desktop.mesh.scene import load_single_mesh

    return print_model(load_single_mesh(path), source_frame(path), height_mm)


def print_model(mesh: Any, frame: Any, height_mm: float | None) -> PrintModel:
    """Place a loaded ``trimesh.Trimesh`` (in ``frame``'s unit and up axis) for printing."""
    import trimesh

    height = None if height_mm is None else Length(height_mm, "mm")
    low, high = mesh.bounds
    placement = place(
        _vector(low),
        _vector(high),
        frame,
        ExportFormat.STL,
        ExportOptions(height=height, pivot=Pivot.BOTTOM),
    )
    vertices = np.asarray(mesh.vertices, dtype=np.float64) @ placement.matrix[:3, :3].T
    vertices += placement.matrix[:3, 3]
    faces = np.asarray(mesh.faces, dtype=np.int64)
    welded = trimesh.Trimesh(vertices, faces, process=True)
    kept = welded.faces
    solid = (kept[:, 0] != kept[:, 1]) & (kept[:, 1] != kept[:, 2]) & (kept[:, 0] != kept[:, 2])
    shape = trimesh.Trimesh(welded.vertices, kept[solid], process=False)
    return PrintModel(
        mesh=shape,
        source_faces=np.flatnonzero(solid).astype(np.int64),
        source_face_count=len(faces),
        placement=placement.matrix,
    )


def _vector(values: Any) -> tuple[float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]))
