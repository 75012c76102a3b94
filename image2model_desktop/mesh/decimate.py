"""Reduce a model's face count, keeping its texture mapped.

``fast_simplification`` holds the GIL for the whole call, so the window runs
this in a process pool (docs/architecture.md: a 500k-face mesh stalls a thread ~0.9 s).

Texture seams are the hard part. A textured mesh splits its vertices where the
UV map is cut, so the simplifier would see every seam as an open border and
shrink each side on its own, tearing cracks into the surface. Instead the
vertices are welded by position first, so the surface stays closed, and the
texture is put back afterwards: an edge collapse only removes faces, so every
face left is an original face with moved corners, and each corner keeps the UV
of the wedge it came from (see ``_texture_corners``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
#: Vertices closer than 1e-8 count as one, as in trimesh's merge_vertices.
_WELD_DIGITS = 8
_MAX_PASSES = 8
FloatArray = npt.NDArray[np.float64]


def simplify(mesh: Any, max_faces: int) -> Any:
    """Return ``mesh`` with at most ``max_faces`` faces, texture kept; small meshes as they are."""
    if max_faces < 4:
        raise ValueError(f"max_faces must be at least 4, got {max_faces}")
    if len(mesh.faces) <= max_faces:
        return mesh
    import trimesh

    triangles = np.asarray(mesh.faces, dtype=np.int64)
    points = np.asarray(mesh.vertices, dtype=np.float64)
    grouping: Any = trimesh.grouping
    # The same tolerance trimesh merges vertices with: seams are rarely bit-identical.
    first, welded_of = grouping.unique_rows(points, digits=_WELD_DIGITS)
    welded_of = np.asarray(welded_of, dtype=np.int64).reshape(-1)
    welded = welded_of[triangles]
    # Faces with two corners at one place (a UV sphere's poles) have no area; drop them.
    solid = _distinct_corners(welded)
    triangles, welded = triangles[solid], welded[solid]
    simplified = _collapse(points[first], welded, max_faces)
    uv = getattr(mesh.visual, "uv", None)
    if uv is None or len(uv) != len(points):
        return trimesh.Trimesh(simplified.points, simplified.faces, process=False)
    points, faces, vertex_uv = _texture_corners(
        points, triangles, np.asarray(uv, dtype=np.float64), welded_of, simplified
    )
    visuals: Any = trimesh.visual
    visual = visuals.TextureVisuals(uv=vertex_uv, material=mesh.visual.material)
    result = trimesh.Trimesh(points, faces, visual=visual, process=False)
    _ = result.vertex_normals  # cached normals are exported, so viewers shade smoothly
    return result


@dataclass(frozen=True)
class _Simplified:
    points: FloatArray
    faces: IntArray
    #: For each vertex given to the simplifier, the new vertex it became.
    mapping: IntArray


def _collapse(points: FloatArray, triangles: IntArray, max_faces: int) -> _Simplified:
    """Simplify to at most ``max_faces`` faces, in as many passes as it takes.

    One pass can stall far above the target on a large mesh (a 500k-face
    sphere stops at ~2,600 faces when asked for 1,000): its collapse threshold
    grows with each of its iterations and runs out. A fresh pass on its result
    starts over and goes further. Each pass also stops near, not at, the target.
    """
    import fast_simplification

    mapping = np.arange(len(points), dtype=np.int64)
    target = max_faces
    for _ in range(_MAX_PASSES):
        new_points, new_faces, collapses = fast_simplification.simplify(
            points, triangles, target_count=target, return_collapses=True
        )
        _, _, step = fast_simplification.replay_simplification(
            points.astype(np.float32), triangles.astype(np.int32), collapses
        )
        step = np.asarray(step, dtype=np.int64)
        mapping = np.where(mapping >= 0, step[np.maximum(mapping, 0)], -1)
        if len(new_faces) <= max_faces:
            return _Simplified(
                np.asarray(new_points, dtype=np.float64),
                np.asarray(new_faces, dtype=np.int64),
                mapping,
            )
        if len(new_faces) == len(triangles):
            # No progress at this target: ask for fewer.
            target = max(4, int(target * max_faces / len(new_faces) * 0.97))
        points = np.asarray(new_points, dtype=np.float64)
        triangles = np.asarray(new_faces, dtype=np.int64)
    raise ValueError(f"could not reduce the model to {max_faces} faces")


def _texture_corners(
    points: FloatArray,
    triangles: IntArray,
    uv: FloatArray,
    welded_of: IntArray,
    simplified: _Simplified,
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Split the simplified vertices where the texture is cut; return points, faces and UVs.

    A new vertex stands for the original vertices collapsed into it. Those
    joined by an original edge (same side of any seam) form one wedge and
    share one UV: that of the member that lay closest to where the vertex
    ended up. Wedges on two sides of a seam stay apart, as the seam does.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    count = len(points)
    target = np.full(count, -1, dtype=np.int64)
    used = np.unique(triangles)
    target[used] = simplified.mapping[welded_of[used]]
    edges = triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    edges = edges[target[edges[:, 0]] == target[edges[:, 1]]]
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(count, count))
    wedge = connected_components(graph, directed=False)[1].astype(np.int64)
    used = used[target[used] >= 0]
    distance = np.linalg.norm(points[used] - simplified.points[target[used]], axis=1)
    order = np.lexsort((distance, wedge[used]))
    nearest = used[order]
    first = np.ones(len(nearest), dtype=bool)
    first[1:] = wedge[nearest[1:]] != wedge[nearest[:-1]]
    nearest = nearest[first]
    # Each new face is an original face whose corners moved; its corners name their wedges.
    source = triangles[_surviving_faces(simplified, welded_of[triangles])]
    mapped = target[source]
    position = np.argmax(mapped[:, None, :] == simplified.faces[:, :, None], axis=2)
    corner_wedge = wedge[np.take_along_axis(source, position, axis=1)]
    kept, faces = np.unique(corner_wedge, return_inverse=True)
    representative = nearest[np.searchsorted(wedge[nearest], kept)]
    return (
        simplified.points[target[representative]],
        faces.reshape(-1, 3).astype(np.int64),
        uv[representative],
    )


def _surviving_faces(simplified: _Simplified, welded: IntArray) -> IntArray:
    """For each new face, the original face it is (an edge collapse only removes faces)."""
    mapped = simplified.mapping[welded]
    alive = np.flatnonzero(_distinct_corners(mapped))
    result: IntArray = alive[_match_faces(mapped[alive], simplified.faces)]
    return result


def _distinct_corners(faces: IntArray) -> npt.NDArray[np.bool_]:
    a, b, c = faces[:, 0], faces[:, 1], faces[:, 2]
    result: npt.NDArray[np.bool_] = (a != b) & (b != c) & (a != c)
    return result


def _match_faces(candidates: IntArray, new_faces: IntArray) -> IntArray:
    """For each new face, the index of the candidate with the same three vertices."""
    keys = np.sort(candidates, axis=1)
    wanted = np.sort(new_faces, axis=1)
    order = np.lexsort(keys.T[::-1])
    sorted_keys = keys[order]
    width = int(max(keys.max(initial=0), wanted.max(initial=0))) + 1
    flat_keys = (sorted_keys[:, 0] * width + sorted_keys[:, 1]) * width + sorted_keys[:, 2]
    flat_wanted = (wanted[:, 0] * width + wanted[:, 1]) * width + wanted[:, 2]
    found = np.searchsorted(flat_keys, flat_wanted)
    found = np.minimum(found, len(flat_keys) - 1)
    if len(flat_keys) == 0 or not np.array_equal(flat_keys[found], flat_wanted):
        raise ValueError("the simplified faces do not match the original ones")
    result: IntArray = order[found]
    return result
