"""Whether the shape is one closed, consistently wound solid, and what is wrong if not.

Counts only, from edge bookkeeping on the welded shape (numpy and scipy; the
same edge rules trimesh's ``is_watertight`` uses): an edge with one face is
on a hole's rim, an edge with more than two is non-manifold, a closed shell
whose signed volume is negative is inside out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Topology:
    """The shape's defects, each a count (0 = fine)."""

    #: Loops of open edges.
    holes: int
    #: Edges shared by three or more faces.
    non_manifold_edges: int
    #: Separate connected pieces.
    shells: int
    #: Closed shells that face inwards (negative volume).
    inverted_shells: int
    #: Edges whose two faces disagree on winding (a face flipped against its neighbours).
    flipped_edges: int

    @property
    def watertight(self) -> bool:
        return self.holes == 0 and self.non_manifold_edges == 0


def inspect_topology(mesh: Any) -> Topology:
    """Count holes, non-manifold edges, shells and inverted parts of a welded trimesh."""
    from image2model_desktop.mesh.holes import count_holes

    faces = np.asarray(mesh.faces, dtype=np.int64)
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    low, high = directed.min(axis=1), directed.max(axis=1)
    # One integer per undirected edge: np.unique on rows (axis=0) is many times slower.
    keys = (low.astype(np.uint64) << np.uint64(32)) | high.astype(np.uint64)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    # Two faces agree on an edge when they run it in opposite directions.
    forward = directed[:, 0] < directed[:, 1]
    forward_per_edge = np.bincount(inverse, weights=forward, minlength=len(counts))
    pairs = counts == 2
    flipped = int(np.count_nonzero(pairs & (forward_per_edge != 1)))
    labels = _shell_labels(mesh)
    shells = int(labels.max()) + 1 if len(labels) else 0
    return Topology(
        holes=count_holes(mesh),
        non_manifold_edges=int(np.count_nonzero(counts > 2)),
        shells=shells,
        inverted_shells=_inverted_shells(mesh, labels, shells, inverse, counts),
        flipped_edges=flipped,
    )


def _shell_labels(mesh: Any) -> Any:
    """Label each face with its connected piece (faces sharing an edge are one piece)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adjacency = np.asarray(mesh.face_adjacency, dtype=np.int64)
    count = len(mesh.faces)
    graph = coo_matrix(
        (np.ones(len(adjacency)), (adjacency[:, 0], adjacency[:, 1])), shape=(count, count)
    )
    return connected_components(graph, directed=False)[1]


def _inverted_shells(
    mesh: Any, labels: Any, shells: int, edge_of_side: Any, edge_counts: Any
) -> int:
    """Count closed shells whose signed volume is negative (their normals point inwards)."""
    if shells == 0:
        return 0
    triangles = np.asarray(mesh.triangles, dtype=np.float64)
    # Signed volume of each face's tetrahedron with the origin; summed per closed shell.
    signed = np.einsum("ij,ij->i", triangles[:, 0], np.cross(triangles[:, 1], triangles[:, 2]))
    volume = np.bincount(labels, weights=signed, minlength=shells)
    open_edge = (edge_counts != 2)[edge_of_side].reshape(-1, 3).any(axis=1)
    open_shell = np.bincount(labels, weights=open_edge, minlength=shells) > 0
    return int(np.count_nonzero((volume < 0) & ~open_shell))


def outward_normals(mesh: Any) -> tuple[Any, float]:
    """Return face normals with inside-out shells turned outwards, and the solid's volume.

    The volume is the sum of the shells' absolute volumes (meaningful only
    when the shape is closed).
    """
    labels = _shell_labels(mesh)
    shells = int(labels.max()) + 1 if len(labels) else 0
    normals = np.array(mesh.face_normals, dtype=np.float64)
    if shells == 0:
        return normals, 0.0
    triangles = np.asarray(mesh.triangles, dtype=np.float64)
    signed = np.einsum("ij,ij->i", triangles[:, 0], np.cross(triangles[:, 1], triangles[:, 2]))
    volume = np.bincount(labels, weights=signed, minlength=shells) / 6.0
    normals[volume[labels] < 0] *= -1
    return normals, float(np.abs(volume).sum())
