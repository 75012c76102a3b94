"""The lighter copy of a big model that the preview draws while the camera moves.

A 500,000-face model takes 70–100 ms a frame on llvmpipe; a 50,000-face copy
about a fifth of that, which keeps orbiting smooth. ``fast_simplification``
holds the GIL for the whole call, so :func:`simplify_part` runs in the process
pool; :func:`standin_polydata` then builds the PyVista surface in a thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from image2model_desktop.mesh.stage import STANDIN_FACES, polydata

Arrays = tuple[
    NDArray[np.float32], NDArray[np.int64], NDArray[np.float32] | None, NDArray[np.float32]
]


def simplify_part(
    positions: NDArray[np.float32],
    faces: NDArray[np.int64],
    uvs: NDArray[np.float32] | None,
    model_faces: int,
) -> Arrays:
    """Reduce one part in proportion, so the whole model ends near ``STANDIN_FACES``.

    Returns positions, faces, UVs (each kept vertex keeps its own) and smooth normals.
    """
    import fast_simplification

    share = min(1.0, STANDIN_FACES / max(model_faces, 1))
    points = np.asarray(positions, np.float64)
    triangles = np.asarray(faces, np.int64)
    new_points, new_faces, collapses = fast_simplification.simplify(
        points, triangles, target_reduction=1.0 - share, return_collapses=True
    )
    new_uvs = None
    if uvs is not None:
        _, _, mapping = fast_simplification.replay_simplification(
            points.astype(np.float32), triangles.astype(np.int32), collapses
        )
        new_uvs = np.zeros((len(new_points), 2), np.float32)
        new_uvs[mapping] = uvs
    out_points = np.asarray(new_points, np.float32)
    out_faces = np.asarray(new_faces, np.int64)
    return out_points, out_faces, new_uvs, vertex_normals(out_points, out_faces)


def vertex_normals(positions: NDArray[np.float32], faces: NDArray[np.int64]) -> NDArray[np.float32]:
    """Area-weighted smooth normals."""
    corners = positions[faces]
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals = np.zeros_like(positions)
    for column in range(3):
        np.add.at(normals, faces[:, column], face_normals)
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    unit = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
    return np.asarray(unit, np.float32)


def standin_polydata(
    positions: NDArray[np.float32],
    faces: NDArray[np.int64],
    uvs: NDArray[np.float32] | None,
    normals: NDArray[np.float32],
) -> Any:
    """The stand-in's ``pv.PolyData`` (in a thread)."""
    return polydata(positions, faces.astype(np.uint32), normals, uvs)
