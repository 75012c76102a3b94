"""Read a model into GPU-ready arrays on a worker thread, for the preview's GL view.

Everything that costs time happens here, off the Qt thread: parsing
(``mesh.scene.load_scene``), interleaving vertex data, the wireframe's edge
list, and the texture's flip, RGBA conversion and mipmap chain. The Qt thread
then only copies finished arrays into GL buffers and textures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

#: Floats per vertex: position 3, normal 3, uv 2, rgba 4.
VERTEX_FLOATS = 12
#: Shown when a model carries no colour of its own.
PLAIN_GREY = (0xB8 / 255, 0xB4 / 255, 0xAC / 255, 1.0)


@dataclass(frozen=True)
class GpuPart:
    """One part of a model, in the layouts the view uploads as they are."""

    vertices: NDArray[np.float32]  # (v, VERTEX_FLOATS), C-contiguous
    triangles: NDArray[np.uint32]  # (f * 3,)
    edges: NDArray[np.uint32]  # (e * 2,)
    #: Mipmap levels of the base-colour texture, RGBA, rows bottom-first (GL order).
    mip_levels: tuple[NDArray[np.uint8], ...]
    has_colors: bool
    base_color: tuple[float, float, float, float]

    @property
    def textured(self) -> bool:
        return bool(self.mip_levels)

    @property
    def plain_color(self) -> tuple[float, float, float, float]:
        """The colour without texture: the part's own, or grey for the loaders' white default."""
        return PLAIN_GREY if min(self.base_color[:3]) >= 0.999 else self.base_color


@dataclass(frozen=True)
class LoadedModel:
    """A model file ready for the view; ``textured`` tells whether any part carries an image."""

    path: Path
    parts: tuple[GpuPart, ...]
    bounds: NDArray[np.float64]  # (2, 3) min/max
    faces: int

    @property
    def textured(self) -> bool:
        return any(part.textured for part in self.parts)


def read_model(path: Path) -> LoadedModel:
    """Parse ``path`` and prepare its arrays (raises ValueError/OSError for a bad file)."""
    from image2model_desktop.mesh.scene import load_scene, unique_edges

    scene = load_scene(path)
    parts = tuple(
        GpuPart(
            vertices=_interleave(part.positions, part.normals, part.uvs, part.colors),
            triangles=np.ascontiguousarray(part.faces, np.uint32).reshape(-1),
            edges=np.ascontiguousarray(unique_edges(part.faces), np.uint32).reshape(-1),
            mip_levels=_mip_chain(part.texture) if part.texture is not None else (),
            has_colors=part.colors is not None,
            base_color=tuple(part.base_color),  # type: ignore[arg-type]
        )
        for part in scene.parts
        if len(part.faces)
    )
    if not parts:
        raise ValueError(f"{path.name} holds no mesh to show")
    return LoadedModel(path, parts, np.asarray(scene.bounds, np.float64), scene.faces)


def _interleave(
    positions: NDArray[np.float32],
    normals: NDArray[np.float32],
    uvs: NDArray[np.float32] | None,
    colors: NDArray[np.uint8] | None,
) -> NDArray[np.float32]:
    data = np.empty((len(positions), VERTEX_FLOATS), np.float32)
    data[:, 0:3] = positions
    data[:, 3:6] = normals
    data[:, 6:8] = uvs if uvs is not None else 0.0
    data[:, 8:12] = colors / np.float32(255.0) if colors is not None else 1.0
    return data


def _mip_chain(texture: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], ...]:
    """RGBA levels down to 1×1, rows flipped to GL's bottom-first order (box filter)."""
    image = np.asarray(texture)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 3:
        alpha = np.full((*image.shape[:2], 1), 255, np.uint8)
        image = np.concatenate([image, alpha], axis=2)
    level = np.ascontiguousarray(image[::-1, :, :4], np.uint8)
    levels = [level]
    while level.shape[0] > 1 or level.shape[1] > 1:
        level = _half(level)
        levels.append(level)
    return tuple(levels)


def _half(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    height, width = image.shape[:2]
    # Odd sizes: repeat the last row/column so every output texel averages four.
    if height > 1 and height % 2:
        image = np.concatenate([image, image[-1:]], axis=0)
    if width > 1 and width % 2:
        image = np.concatenate([image, image[:, -1:]], axis=1)
    wide = image.astype(np.uint16)
    wide = wide[0::2] + wide[1::2] if wide.shape[0] > 1 else wide * 2
    wide = wide[:, 0::2] + wide[:, 1::2] if wide.shape[1] > 1 else wide * 2
    return np.ascontiguousarray((wide + 2) // 4, np.uint8)


def write_warmup_model(path: Path) -> Path:
    """Write a tiny textured GLB like the engines' output (to warm the loader and the GL paths).

    Two parts: llvmpipe pays a one-off 60–130 ms the first time it fills a
    mipmapped texture, once for power-of-two sizes and once for others, so the
    warm-up carries one of each (4×4 and 6×6).
    """
    import trimesh
    from PIL import Image

    scene = trimesh.Scene()
    for side in (4, 6):
        mesh = trimesh.creation.box()
        uv = np.tile([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], (2, 1))
        image = Image.new("RGB", (side, side), (200, 200, 200))
        material = trimesh.visual.material.PBRMaterial(baseColorTexture=image)  # type: ignore[no-untyped-call]
        mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)  # type: ignore[no-untyped-call]
        scene.add_geometry(mesh, geom_name=f"box{side}")
    scene.export(path)
    return path
