"""Test solids with answers known by construction, in millimetres, Z up (as print files are)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import manifold3d
import numpy as np
import trimesh

CUP_RADIUS, CUP_HEIGHT, CUP_WALL, CUP_BASE = 20.0, 60.0, 0.5, 2.0
#: Facets of the cup's round walls: inner and outer facets are parallel, so the wall measured
#: along a facet's normal is the radial gap times cos(pi / n).
CUP_SEGMENTS = 128
CUP_THINNEST = CUP_WALL * float(np.cos(np.pi / CUP_SEGMENTS))

#: The T: a 10 × 10 × 40 post under a 50 × 10 × 10 bar.
T_POST, T_POST_HEIGHT, T_BAR, T_BAR_HEIGHT = 10.0, 40.0, 50.0, 10.0


def trimesh_of(solid: Any) -> Any:
    shape = solid.to_mesh()
    return trimesh.Trimesh(np.asarray(shape.vert_properties)[:, :3], np.asarray(shape.tri_verts))


def cup() -> Any:
    """A cup with a 0.5 mm wall and a 2 mm base, standing on z = 0."""
    outer = manifold3d.Manifold.cylinder(CUP_HEIGHT, CUP_RADIUS, CUP_RADIUS, CUP_SEGMENTS)
    inner_radius = CUP_RADIUS - CUP_WALL
    inner = manifold3d.Manifold.cylinder(CUP_HEIGHT, inner_radius, inner_radius, CUP_SEGMENTS)
    return trimesh_of(outer - inner.translate((0, 0, CUP_BASE)))


def open_box(side: float = 20.0) -> Any:
    """A box with its top face (two triangles) removed: one square hole."""
    box = trimesh.creation.box(extents=(side, side, side))
    box.apply_translation((0, 0, side / 2))
    keep = box.face_normals[:, 2] < 0.5
    return trimesh.Trimesh(box.vertices, box.faces[keep], process=False)


def t_shape() -> Any:
    """One solid T: the bar's underside beside the post overhangs (400 mm²)."""
    post = manifold3d.Manifold.cube((T_POST, T_POST, T_POST_HEIGHT)).translate(
        (-T_POST / 2, -T_POST / 2, 0)
    )
    bar = manifold3d.Manifold.cube((T_BAR, T_POST, T_BAR_HEIGHT)).translate(
        (-T_BAR / 2, -T_POST / 2, T_POST_HEIGHT)
    )
    return trimesh_of(post + bar)


def t_overhang_share() -> float:
    """The T's overhang area over its surface, worked out by hand."""
    overhang = T_BAR * T_POST - T_POST * T_POST
    post_sides = 4 * T_POST * T_POST_HEIGHT
    bar = 2 * (T_BAR * T_POST + T_BAR * T_BAR_HEIGHT + T_POST * T_BAR_HEIGHT)
    total = post_sides + T_POST * T_POST + bar - T_POST * T_POST
    return overhang / total


def cube(side: float = 40.0) -> Any:
    box = trimesh.creation.box(extents=(side, side, side))
    box.apply_translation((0, 0, side / 2))
    return box


def save(mesh: Any, path: Path) -> Path:
    """Write ``mesh`` as STL: millimetres, Z up, read back as it is."""
    mesh.export(str(path))
    return path
