"""Between trimesh and manifold3d, keeping texture coordinates through booleans.

manifold3d carries extra per-vertex properties through its booleans and
interpolates them on new vertices; the UVs ride along as properties 3 and 4.
A textured mesh splits vertices along seams; ``MeshGL.merge`` tells
manifold3d which of them are one point, so the surface counts as closed.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def from_trimesh(mesh: Any) -> Any:
    """A ``manifold3d.Manifold`` of ``mesh``; check ``.status()`` (not closed → an error)."""
    import manifold3d

    positions = np.asarray(mesh.vertices, dtype=np.float32)
    uv = _uv(mesh)
    properties = positions if uv is None else np.hstack([positions, uv.astype(np.float32)])
    shape = manifold3d.Mesh(
        vert_properties=np.ascontiguousarray(properties),
        tri_verts=np.ascontiguousarray(mesh.faces, dtype=np.uint32),
    )
    shape.merge()
    # A unique original id, so ``faces_from`` can tell this mesh's faces after booleans.
    return manifold3d.Manifold(shape).as_original()


def to_trimesh(solid: Any, like: Any = None) -> Any:
    """A ``trimesh.Trimesh`` of ``solid``; textured with ``like``'s material when both carry UVs."""
    import trimesh

    shape = solid.to_mesh()
    properties = np.asarray(shape.vert_properties, dtype=np.float64)
    faces = np.asarray(shape.tri_verts, dtype=np.int64)
    if like is not None and properties.shape[1] >= 5 and _uv(like) is not None:
        visuals: Any = trimesh.visual
        visual = visuals.TextureVisuals(uv=properties[:, 3:5], material=like.visual.material)
        return trimesh.Trimesh(properties[:, :3], faces, visual=visual, process=False)
    return trimesh.Trimesh(properties[:, :3], faces, process=False)


def faces_from(solid: Any, original: Any) -> Any:
    """Mask of ``solid.to_mesh()``'s triangles that come from the manifold ``original``."""
    shape = solid.to_mesh()
    runs = np.asarray(shape.run_index, dtype=np.int64) // 3
    owners = np.asarray(shape.run_original_id, dtype=np.int64)
    mask = np.zeros(len(np.asarray(shape.tri_verts)), dtype=bool)
    wanted = original.original_id()
    for start, end, owner in zip(runs[:-1], runs[1:], owners, strict=False):
        if owner == wanted:
            mask[start:end] = True
    return mask


def _uv(mesh: Any) -> Any:
    visual = getattr(mesh, "visual", None)
    uv = getattr(visual, "uv", None) if getattr(visual, "kind", None) == "texture" else None
    if uv is None or len(uv) != len(mesh.vertices):
        return None
    return np.asarray(uv, dtype=np.float64)
