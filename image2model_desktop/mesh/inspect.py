"""Measure a model file: size, face count, texture, closedness."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

Triple = tuple[float, float, float]


@dataclass(frozen=True)
class MeshStats:
    """Facts about a model, in the file's units; Y is up (glTF convention)."""

    faces: int
    vertices: int
    bounds_min: Triple
    bounds_max: Triple
    #: (width along X, depth along Z, height along Y).
    extents: Triple
    #: At least one mesh carries a texture image.
    textured: bool
    #: Every mesh in the file is closed (each edge shared by exactly two faces).
    watertight: bool


def inspect_mesh(path: Path) -> MeshStats:
    """Load ``path`` (GLB, OBJ, STL, PLY) and measure it."""
    import numpy as np
    import trimesh

    scene: Any = trimesh.load(str(path), force="scene")
    meshes = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh)]
    if not meshes:
        raise ValueError(f"{path.name} holds no triangle mesh")
    low = np.min([m.bounds[0] for m in meshes], axis=0)
    high = np.max([m.bounds[1] for m in meshes], axis=0)
    size = high - low
    return MeshStats(
        faces=sum(len(m.faces) for m in meshes),
        vertices=sum(len(m.vertices) for m in meshes),
        bounds_min=_triple(low),
        bounds_max=_triple(high),
        extents=(float(size[0]), float(size[2]), float(size[1])),
        textured=any(_has_texture_image(m) for m in meshes),
        watertight=all(m.is_watertight for m in meshes),
    )


def _triple(values: Any) -> Triple:
    return (float(values[0]), float(values[1]), float(values[2]))


def _has_texture_image(mesh: Any) -> bool:
    visual = mesh.visual
    if getattr(visual, "kind", None) != "texture":
        return False
    material = visual.material
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    return image is not None
