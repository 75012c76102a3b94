"""Overhangs: how far each face leans out past vertical, and the share of surface needing support.

The build direction is +Z. A face's overhang is the angle by which its
surface leans past vertical over empty space: 0° for walls and every face
looking up, 90° for a ceiling. A slicer supports faces that lean further than
its threshold (45° by default); faces lying on the bed need none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Faces whose centre is this close to the bed (share of the height) rest on it.
_ON_BED = 1e-3


@dataclass(frozen=True)
class Overhangs:
    """Overhang angles per face and what they add up to."""

    #: Per face, degrees past vertical (0..90).
    angle: npt.NDArray[np.float32]
    #: Faces leaning further than the threshold and not resting on the bed.
    needs_support: npt.NDArray[np.bool_]
    #: Area needing support over the whole surface area (0..1).
    share: float
    #: Area needing support, in model units squared.
    area: float


def overhang_angles(normals: FloatArray) -> npt.NDArray[np.float32]:
    """Degrees past vertical for unit face ``normals`` with Z up (0 for faces looking up)."""
    down = np.clip(-np.asarray(normals, dtype=np.float64)[:, 2], 0.0, 1.0)
    result: npt.NDArray[np.float32] = np.degrees(np.arcsin(down)).astype(np.float32)
    return result


def find_overhangs(mesh: Any, threshold_deg: float, normals: FloatArray | None = None) -> Overhangs:
    """Measure overhangs of ``mesh`` standing on the plane z = its lowest point."""
    normals = np.asarray(mesh.face_normals if normals is None else normals, dtype=np.float64)
    areas = np.asarray(mesh.area_faces, dtype=np.float64)
    centres = np.asarray(mesh.triangles_center, dtype=np.float64)
    angle = overhang_angles(normals)
    needs = support_mask(angle, centres[:, 2], threshold_deg)
    total = float(areas.sum())
    area = float(areas[needs].sum())
    return Overhangs(
        angle=angle, needs_support=needs, share=area / total if total else 0.0, area=area
    )


def support_mask(
    angle: npt.NDArray[np.float32], heights: FloatArray, threshold_deg: float
) -> npt.NDArray[np.bool_]:
    """Faces leaning past ``threshold_deg`` whose centre is above the bed."""
    if len(heights) == 0:
        return np.zeros(0, dtype=bool)
    low, high = float(heights.min()), float(heights.max())
    on_bed = heights <= low + max(high - low, 1e-9) * _ON_BED
    result: npt.NDArray[np.bool_] = (angle > threshold_deg) & ~on_bed
    return result
