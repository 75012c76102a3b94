"""Count and fill the holes that keep a model from being watertight (printing needs a solid)."""

from __future__ import annotations

from typing import Any


def shape_only(mesh: Any) -> Any:
    """Return the geometry alone with vertices welded by position.

    Texture seams split vertices; without the texture they are just cracks in
    the bookkeeping, and a slicer would see every seam as a hole.
    """
    import trimesh

    return trimesh.Trimesh(mesh.vertices, mesh.faces, process=True)


def count_holes(mesh: Any) -> int:
    """Count the loops of open edges (edges with a face on one side only)."""
    import numpy as np
    import trimesh
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    grouping: Any = trimesh.grouping
    open_edges = mesh.edges_sorted[grouping.group_rows(mesh.edges_sorted, require_count=1)]
    if len(open_edges) == 0:
        return 0
    used, local = np.unique(open_edges, return_inverse=True)
    local = local.reshape(-1, 2)
    graph = coo_matrix(
        (np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(len(used), len(used))
    )
    loops, _ = connected_components(graph, directed=False)
    return int(loops)


def fill_holes(mesh: Any) -> int:
    """Close the holes in place with fans of triangles; return how many remain open."""
    import trimesh

    repair: Any = trimesh.repair
    repair.fill_holes(mesh, use_fan=True)
    return count_holes(mesh)
