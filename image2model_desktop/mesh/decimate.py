"""Reduce a model's face count, keeping its texture.

``fast_simplification`` holds the GIL for the whole call, so callers run this
in a process pool (PLATFORM.md: a 500k-face mesh stalls a thread for ~0.9 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from image2model_desktop.core.fsutil import atomic_destination
from image2model_desktop.mesh.export import load_single_mesh


def decimate_model(src: Path, dest: Path, max_faces: int) -> int:
    """Write ``src`` with at most ``max_faces`` faces to ``dest`` (format from its suffix).

    Return the number of faces written. UVs follow the surviving vertices, so a
    texture stays mapped; seams are open borders to the simplifier and keep
    their place.
    """
    if max_faces < 4:
        raise ValueError(f"max_faces must be at least 4, got {max_faces}")
    mesh = load_single_mesh(src)
    if len(mesh.faces) > max_faces:
        mesh = _simplified(mesh, max_faces)
        _ = mesh.vertex_normals  # cached normals are exported, so viewers shade smoothly
    data: bytes = mesh.export(file_type=dest.suffix.lower().lstrip(".") or "glb")
    with atomic_destination(dest) as tmp:
        tmp.write_bytes(data)
    return len(mesh.faces)


def _simplified(mesh: Any, max_faces: int) -> Any:
    import fast_simplification
    import numpy as np
    import trimesh

    points = np.asarray(mesh.vertices, dtype=np.float64)
    triangles = np.asarray(mesh.faces, dtype=np.int64)
    target = max_faces
    # The simplifier stops near, not at, the target: tighten it until the result fits.
    for _ in range(6):
        new_points, new_faces, collapses = fast_simplification.simplify(
            points, triangles, target_count=target, return_collapses=True
        )
        if len(new_faces) <= max_faces:
            break
        target = max(4, int(target * max_faces / len(new_faces) * 0.97))
    else:
        raise ValueError(f"could not reduce the model to {max_faces} faces")
    visual = None
    uv = getattr(mesh.visual, "uv", None)
    if uv is not None and len(uv) == len(points):
        _, _, mapping = fast_simplification.replay_simplification(
            points.astype(np.float32), triangles.astype(np.int32), collapses
        )
        visuals: Any = trimesh.visual
        visual = visuals.TextureVisuals(
            uv=_surviving_uv(points, np.asarray(uv), new_points, mapping),
            material=mesh.visual.material,
        )
    return trimesh.Trimesh(new_points, new_faces, visual=visual, process=False)


def _surviving_uv(points: Any, uv: Any, new_points: Any, mapping: Any) -> Any:
    """Give each new vertex the UV of the closest original vertex merged into it."""
    import numpy as np

    mapping = np.asarray(mapping, dtype=np.int64)
    valid = (mapping >= 0) & (mapping < len(new_points))
    old = np.flatnonzero(valid)
    target = mapping[valid]
    distance = np.linalg.norm(points[old] - new_points[target], axis=1)
    order = np.lexsort((distance, target))
    first = np.ones(len(order), dtype=bool)
    first[1:] = target[order][1:] != target[order][:-1]
    new_uv = np.zeros((len(new_points), 2))
    new_uv[target[order][first]] = uv[old[order][first]]
    return new_uv
