"""Wall thickness at each face: how far a ray from the face, straight inwards, travels in solid.

A ray starts a hair inside each face's centre and runs against the face's
outward normal; the first surface it meets is the wall's other side. Rays
that meet nothing (an open model, or a face of a shell turned inside out that
was not corrected) give no measure (``inf``).

The rays are cast by Embree (Intel, Apache-2.0) through ``embreex`` (BSD):
measured on this machine, 327k faces take 0.6–0.8 s (BVH build and cast);
trimesh's pure-numpy ray engine with an rtree index took 6.3 s at 5k faces and
83 s at 20k (rays across a closed shape overlap most boxes), so without
Embree a 500k-face check could not finish in minutes. Embree computes in
float32: in millimetres, across a 250 mm bed, that is ~1e-5 mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: How far inside its face a ray starts, as a share of the model's size (keeps it off its own face).
_START_INSIDE = 1e-6


def wall_thickness(mesh: Any, outward: FloatArray | None = None) -> npt.NDArray[np.float32]:
    """Return the thickness (model units) behind each face of ``mesh``; ``inf`` where unmeasured.

    ``outward`` (f, 3) are the faces' outward unit normals; by default the
    mesh's own face normals (pass corrected ones for shells turned inside out).
    """
    from embreex import rtcore_scene
    from embreex.mesh_construction import TriangleMesh

    normals = np.asarray(mesh.face_normals if outward is None else outward, dtype=np.float64)
    centres = np.asarray(mesh.triangles_center, dtype=np.float64)
    if len(centres) == 0:
        return np.zeros(0, dtype=np.float32)
    scene = rtcore_scene.EmbreeScene()
    TriangleMesh(
        scene,
        np.ascontiguousarray(mesh.vertices, dtype=np.float32),
        np.ascontiguousarray(mesh.faces, dtype=np.int32),
    )
    start = max(float(mesh.scale) * _START_INSIDE, 1e-6)
    origins = np.ascontiguousarray(centres - normals * start, dtype=np.float32)
    directions = np.ascontiguousarray(-normals, dtype=np.float32)
    hits = scene.run(origins, directions, output=1)
    distance = np.asarray(hits["tfar"], dtype=np.float32) + np.float32(start)
    missed = np.asarray(hits["geomID"]) == -1
    distance[missed] = np.inf
    result: npt.NDArray[np.float32] = distance
    return result
