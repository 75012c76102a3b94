"""Suggest the rotation that needs the least support.

Candidate "up" directions: the 26 of a cube's faces, edges and corners, plus
the normals of the model's largest flat areas (lying on a flat side is what
people do by hand). For each, the support area is the area of faces leaning
past the threshold and not resting on the bed (``overhang``'s rule); between
poses needing the same support the lowest wins. A few
dozen candidates over per-face dot products cost ~50 ms at 500k faces, so the
search is exhaustive over them; a finer search rarely finds a practical gain
(slicers' auto-orient works the same way).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Flat areas whose normals are tried as "down" as well.
_FLAT_CANDIDATES = 12
#: A suggestion must save at least this share of the surface, and a fifth of the support.
_WORTH_IT = 0.02
_ON_BED = 1e-3


@dataclass(frozen=True)
class OrientSuggestion:
    """The best rotation found and the support it needs, against the current pose."""

    #: 4×4 rotation (about the origin) to apply to the model in print coordinates.
    rotation: FloatArray
    #: Which side of the current model ends up on the bed, in words.
    description: str
    share_before: float
    share_after: float

    @property
    def worth_it(self) -> bool:
        saved = self.share_before - self.share_after
        return saved >= _WORTH_IT and saved >= self.share_before / 5


def suggest_orientation(mesh: Any, threshold_deg: float) -> OrientSuggestion:
    """Find the up direction of ``mesh`` (Z up) whose pose needs the least support."""
    normals = np.asarray(mesh.face_normals, dtype=np.float64)
    areas = np.asarray(mesh.area_faces, dtype=np.float64)
    centres = np.asarray(mesh.triangles_center, dtype=np.float64)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    total = float(areas.sum()) or 1.0
    limit = math.sin(math.radians(threshold_deg))
    best_up, best_key = np.array([0.0, 0.0, 1.0]), (math.inf, math.inf)
    current = math.inf
    for up in _candidates(normals, areas):
        area = _support_area(up, normals, areas, centres, vertices, limit)
        if np.allclose(up, (0.0, 0.0, 1.0)):
            current = area
        # Equal support (to a thousandth of the surface): the lower pose prints faster and steadier.
        heights = vertices @ up
        key = (round(area / total, 3), float(heights.max() - heights.min()))
        if key < best_key:
            best_up, best_key = up, key
    best_area = _support_area(best_up, normals, areas, centres, vertices, limit)
    return OrientSuggestion(
        rotation=_rotation_to_z(best_up),
        description=_describe(-best_up),
        share_before=current / total,
        share_after=best_area / total,
    )


def support_share(mesh: Any, up: FloatArray, threshold_deg: float) -> float:
    """Share of the surface needing support when ``up`` points up."""
    areas = np.asarray(mesh.area_faces, dtype=np.float64)
    area = _support_area(
        np.asarray(up, dtype=np.float64),
        np.asarray(mesh.face_normals, dtype=np.float64),
        areas,
        np.asarray(mesh.triangles_center, dtype=np.float64),
        np.asarray(mesh.vertices, dtype=np.float64),
        math.sin(math.radians(threshold_deg)),
    )
    return area / (float(areas.sum()) or 1.0)


def _support_area(
    up: FloatArray,
    normals: FloatArray,
    areas: FloatArray,
    centres: FloatArray,
    vertices: FloatArray,
    limit: float,
) -> float:
    heights = vertices @ up
    low, high = float(heights.min()), float(heights.max())
    on_bed = centres @ up <= low + max(high - low, 1e-9) * _ON_BED
    leaning = -(normals @ up) > limit
    return float(areas[leaning & ~on_bed].sum())


def _candidates(normals: FloatArray, areas: FloatArray) -> list[FloatArray]:
    steps = (-1.0, 0.0, 1.0)
    cube = [np.array(v) for v in itertools.product(steps, steps, steps) if any(v)]
    # Faces of the cube first, then its edges, then its corners: ties keep the plainer pose.
    cube.sort(key=lambda v: int(np.count_nonzero(v)))
    ups = [v / np.linalg.norm(v) for v in cube]
    # Sum area per coarse normal direction; the biggest flat areas lying down point "up" away.
    keys = np.round(normals * 20).astype(np.int64)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    sums = np.bincount(inverse.reshape(-1), weights=areas, minlength=len(unique))
    for index in np.argsort(sums)[::-1][:_FLAT_CANDIDATES]:
        direction = -unique[index].astype(np.float64)
        length = np.linalg.norm(direction)
        if length > 0:
            ups.append(direction / length)
    # The current pose first, so ties keep it.
    return [np.array([0.0, 0.0, 1.0]), *ups]


def _rotation_to_z(up: FloatArray) -> FloatArray:
    """A 4×4 rotation taking ``up`` to +Z (the shortest turn)."""
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(up, z)
    sine, cosine = float(np.linalg.norm(axis)), float(np.dot(up, z))
    matrix = np.eye(4)
    if sine < 1e-12:
        if cosine < 0:
            matrix[:3, :3] = np.diag([1.0, -1.0, -1.0])  # upside down: half a turn about X
        return matrix
    k = axis / sine
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    matrix[:3, :3] = np.eye(3) + sine * cross + (1 - cosine) * cross @ cross
    return matrix


def _describe(down: FloatArray) -> str:
    """Say which side of the model (front = −Y, left = −X, as it stands now) goes on the bed."""
    names = {
        (2, -1): "as it stands",
        (2, 1): "upside down",
        (1, -1): "lying on its front",
        (1, 1): "lying on its back",
        (0, -1): "lying on its left side",
        (0, 1): "lying on its right side",
    }
    axis = int(np.argmax(np.abs(down)))
    if abs(down[axis]) < 0.9:
        return "tilted"
    return names[(axis, 1 if down[axis] > 0 else -1)]
