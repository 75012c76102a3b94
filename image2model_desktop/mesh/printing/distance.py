"""Exact distance from points to a triangle mesh, for the hollowing's distance field.

Hand-written because trimesh's ``proximity.closest_point`` needs rtree and
walks candidates per point in Python; here the candidates of every point are
its ``k`` nearest triangle centres (scipy's cKDTree), and the closest point on
each candidate comes from one vectorised pass of Ericson's region test
(*Real-Time Collision Detection*, 5.1.5). With triangles small against the
distances asked for (a wall of a few millimetres on a generated model) the
nearest centres hold the nearest triangle; with a few large triangles (a
box), ``k`` covers them all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Candidate triangles per point.
_CANDIDATES = 16
#: Points per vectorised batch (bounds the temporaries to ~100 MB).
_BATCH = 60_000


def distance_to_mesh(points: FloatArray, triangles: FloatArray, tree: Any = None) -> FloatArray:
    """Return each point's distance to the nearest of ``triangles`` ((f, 3, 3))."""
    from scipy.spatial import cKDTree

    if tree is None:
        tree = cKDTree(triangles.mean(axis=1))
    k = min(_CANDIDATES, len(triangles))
    result = np.empty(len(points), dtype=np.float64)
    for start in range(0, len(points), _BATCH):
        chunk = points[start : start + _BATCH]
        _, candidates = tree.query(chunk, k=k)
        candidates = np.asarray(candidates).reshape(len(chunk), k)
        repeated = np.repeat(chunk, k, axis=0)
        closest = closest_on_triangles(repeated, triangles[candidates.reshape(-1)])
        gaps = np.linalg.norm(repeated - closest, axis=1).reshape(len(chunk), k)
        result[start : start + len(chunk)] = gaps.min(axis=1)
    return result


def closest_on_triangles(p: FloatArray, tri: FloatArray) -> FloatArray:
    """The closest point to ``p[i]`` on triangle ``tri[i]``, for every i."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = _dot(ab, ap), _dot(ac, ap)
    bp, cp = p - b, p - c
    d3, d4 = _dot(ab, bp), _dot(ac, bp)
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    # Inside the face: barycentric projection (the default, overwritten by the regions below).
    total = va + vb + vc
    safe = np.where(np.abs(total) > 1e-300, total, 1.0)
    v, w = vb / safe, vc / safe
    result = a + ab * v[:, None] + ac * w[:, None]
    # Edge regions.
    edge_bc = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    t = _ratio(d4 - d3, (d4 - d3) + (d5 - d6))
    result = np.where(edge_bc[:, None], b + (c - b) * t[:, None], result)
    edge_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    t = _ratio(d2, d2 - d6)
    result = np.where(edge_ac[:, None], a + ac * t[:, None], result)
    edge_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    t = _ratio(d1, d1 - d3)
    result = np.where(edge_ab[:, None], a + ab * t[:, None], result)
    # Vertex regions.
    result = np.where(((d6 >= 0) & (d5 <= d6))[:, None], c, result)
    result = np.where(((d3 >= 0) & (d4 <= d3))[:, None], b, result)
    result = np.where(((d1 <= 0) & (d2 <= 0))[:, None], a, result)
    return result


def _dot(u: FloatArray, v: FloatArray) -> FloatArray:
    result: FloatArray = np.einsum("ij,ij->i", u, v)
    return result


def _ratio(top: FloatArray, bottom: FloatArray) -> FloatArray:
    result: FloatArray = np.clip(top / np.where(np.abs(bottom) > 1e-300, bottom, 1.0), 0.0, 1.0)
    return result
