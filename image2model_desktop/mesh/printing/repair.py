"""Make a model printable without changing its look: close holes, turn faces out, one shell.

Steps, each only when needed:

1. weld the vertices by position (texture seams split them) and drop faces
   with no area: the shape every check sees;
2. make the winding consistent (``trimesh.repair.fix_winding``);
3. fill each hole with a fan of triangles (``trimesh.repair.fill_holes``;
   new faces only, no new vertices), then turn inside-out shells outwards
   (``fix_inversion``: only a closed shell has an inside);
4. with several shells, join them into one with manifold3d's union (it
   resolves overlaps; trimesh's own booleans need Blender or an external
   engine).

The texture survives: the welded faces are the file's faces in the same order,
so each keeps its own corners and UVs; a hole's new faces borrow the UVs of
the rim's corners, and manifold3d carries the UVs through the union.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from image2model_desktop.mesh.printing.manifolds import from_trimesh, to_trimesh
from image2model_desktop.mesh.printing.report import plural

IntArray = npt.NDArray[np.int64]

#: Vertices closer than 1e-8 count as one (trimesh's merge tolerance, as in decimate).
_WELD_DIGITS = 8


@dataclass(frozen=True)
class RepairResult:
    """The repaired model and what was done to it."""

    #: ``trimesh.Trimesh``, textured when the input was.
    mesh: Any
    holes_closed: int
    faces_flipped: int
    shells_joined: int
    watertight: bool

    def sentences(self) -> list[str]:
        done = []
        if self.holes_closed:
            done.append(f"Closed {plural(self.holes_closed, 'hole')}.")
        if self.faces_flipped:
            done.append(f"Turned {plural(self.faces_flipped, 'face')} outwards.")
        if self.shells_joined:
            done.append(f"Joined {plural(self.shells_joined + 1, 'shell')} into one.")
        if not self.watertight:
            done.append(
                "Some of the surface could not be closed: open it in a mesh editor, "
                "or print it and let the slicer repair it."
            )
        return done or ["Nothing to repair: the model is one closed shell."]


def make_printable(mesh: Any) -> RepairResult:
    """Repair a ``trimesh.Trimesh`` for printing; the input is left as it is."""
    import trimesh

    from image2model_desktop.mesh.holes import count_holes

    points = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    grouping: Any = trimesh.grouping
    first, welded_of = grouping.unique_rows(points, digits=_WELD_DIGITS)
    welded_of = np.asarray(welded_of, dtype=np.int64).reshape(-1)
    welded_faces = welded_of[faces]
    solid = _distinct_corners(welded_faces)
    faces, welded_faces = faces[solid], welded_faces[solid]
    shape = trimesh.Trimesh(points[first], welded_faces, process=False)
    before = shape.faces.copy()
    holes = count_holes(shape)
    repair: Any = trimesh.repair
    repair.fix_winding(shape)
    if holes:
        repair.fill_holes(shape, use_fan=True)
    # Only a closed shell knows its inside from its outside: turn shells out after filling.
    repair.fix_inversion(shape, multibody=True)
    flipped = ~_same_winding(before, np.asarray(shape.faces[: len(before)]))
    # The file's own faces (flipped where needed) keep their corners; hole fans use the rim's.
    kept = np.where(flipped[:, None], faces[:, ::-1], faces)
    added = np.asarray(shape.faces[len(kept) :], dtype=np.int64)
    representative = np.asarray(first, dtype=np.int64)
    out_faces = np.vstack([kept, representative[added]])
    out = _like(mesh, out_faces)
    shells = int(shape.body_count)
    joined = 0
    if shells > 1 and shape.is_watertight:
        import manifold3d

        solid_shape = from_trimesh(out)
        if solid_shape.status() == manifold3d.Error.NoError:
            parts = solid_shape.decompose()
            union = manifold3d.Manifold.batch_boolean(parts, manifold3d.OpType.Add)
            out = to_trimesh(union, mesh)
            joined = shells - len(union.decompose())
    remaining = count_holes(trimesh.Trimesh(out.vertices, out.faces, process=True))
    return RepairResult(
        mesh=out,
        holes_closed=holes - remaining if holes else 0,
        faces_flipped=int(np.count_nonzero(flipped)),
        shells_joined=joined,
        watertight=remaining == 0 and shape.is_watertight,
    )


def _like(mesh: Any, faces: IntArray) -> Any:
    """``mesh``'s vertices (and texture) with new faces."""
    import trimesh

    visual: Any = getattr(mesh, "visual", None)
    uv = getattr(visual, "uv", None) if getattr(visual, "kind", None) == "texture" else None
    if uv is not None and len(uv) == len(mesh.vertices):
        visuals: Any = trimesh.visual
        textured = visuals.TextureVisuals(uv=np.asarray(uv), material=visual.material)
        return trimesh.Trimesh(mesh.vertices, faces, visual=textured, process=False)
    return trimesh.Trimesh(mesh.vertices, faces, process=False)


def _same_winding(before: IntArray, after: IntArray) -> npt.NDArray[np.bool_]:
    """Whether each face runs its corners in the same cyclic order as before."""
    same = np.zeros(len(before), dtype=bool)
    for shift in range(3):
        same |= (np.roll(after, shift, axis=1) == before).all(axis=1)
    return same


def _distinct_corners(faces: IntArray) -> npt.NDArray[np.bool_]:
    result: npt.NDArray[np.bool_] = (
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    )
    return result
