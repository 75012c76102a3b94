"""Load a model file into plain arrays a viewer or rasterizer can draw directly.

One loader for the window's viewer and the preview renderer, so both show the
same thing. Conventions of the arrays in a :class:`Scene`:

* Positions are in world coordinates (every glTF node transform applied), in
  the file's units, Y up; our models face +Z.
* UVs follow OpenGL: (0, 0) is the image's bottom-left. trimesh already flips
  glTF's top-left V on import and OBJ is bottom-left by definition; the test
  ``test_uv_convention_is_bottom_left`` samples a texel to prove it.
* Textures keep PIL's row order (top row first) and are at most
  :data:`MAX_TEXTURE_SIDE` px on a side, so uploading one never stalls a GUI.
* OBJ's ``Kd`` is ignored when ``map_Kd`` is present: trimesh writes its
  default ``Kd 0.4`` next to every texture (our own export now writes 1.0),
  and Blender also ignores it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Largest texture side kept; bigger images are downscaled on load.
MAX_TEXTURE_SIDE = 2048

Color = tuple[float, float, float, float]
_WHITE: Color = (1.0, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Pbr:
    """A glTF metallic-roughness material's own maps, beyond the base colour."""

    metallic: float
    roughness: float
    #: (h, w, 3) occlusion (R, 255 where the file has none), roughness (G), metal (B).
    orm: NDArray[np.uint8] | None


@dataclass(frozen=True)
class Part:
    """One drawable mesh: a geometry placed by one scene node, with its material."""

    #: (v, 3) world positions.
    positions: NDArray[np.float32]
    #: (v, 3) unit smooth vertex normals.
    normals: NDArray[np.float32]
    #: (f, 3) indices into ``positions``, C-contiguous.
    faces: NDArray[np.uint32]
    #: (v, 2) texture coordinates, (0, 0) at the image's bottom-left.
    uvs: NDArray[np.float32] | None
    #: (v, 4) RGBA vertex colours.
    colors: NDArray[np.uint8] | None
    #: (h, w, 3 or 4) base-colour image, rows top-first, C-contiguous.
    texture: NDArray[np.uint8] | None
    #: Material colour factor 0..1, multiplied with the texture; white when none.
    base_color: Color
    #: Metallic-roughness maps, when the material carries them (PBR models).
    pbr: Pbr | None = None


@dataclass(frozen=True)
class Scene:
    """Every part of a model file, ready to draw."""

    path: Path
    parts: tuple[Part, ...]
    #: (2, 3) min and max corner over all parts.
    bounds: NDArray[np.float64]

    @property
    def faces(self) -> int:
        """Total triangles over all parts."""
        return sum(len(part.faces) for part in self.parts)

    @property
    def vertices(self) -> int:
        """Total vertices over all parts."""
        return sum(len(part.positions) for part in self.parts)

    @property
    def textured(self) -> bool:
        """Whether any part carries a texture image."""
        return any(part.texture is not None for part in self.parts)


def load_scene(path: Path) -> Scene:
    """Load a GLB/glTF, OBJ (with its MTL and texture beside it), STL or PLY file.

    Raises ``ValueError`` when the file holds no triangles; parse errors from
    trimesh propagate as they are.
    """
    import trimesh

    if path.stat().st_size == 0:
        raise ValueError(f"{path.name} holds no mesh to show")
    loaded: Any = trimesh.load(str(path), force="scene")
    textures: dict[int, NDArray[np.uint8]] = {}
    parts = []
    for node in loaded.graph.nodes_geometry:
        transform, geometry_name = loaded.graph[node]
        mesh = loaded.geometry[geometry_name]
        if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
            continue
        parts.append(_part(mesh, np.asarray(transform, dtype=np.float64), textures))
    if not parts:
        raise ValueError(f"{path.name} holds no mesh to show")
    low = np.min([part.positions.min(axis=0) for part in parts], axis=0)
    high = np.max([part.positions.max(axis=0) for part in parts], axis=0)
    return Scene(path=path, parts=tuple(parts), bounds=np.array([low, high], dtype=np.float64))


def load_single_mesh(path: Path) -> Any:
    """Load any supported file as one ``trimesh.Trimesh`` with scene transforms applied."""
    import trimesh

    loaded: Any = trimesh.load(str(path), force="scene")
    meshes = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh)]
    if not meshes:
        raise ValueError(f"{path.name} holds no triangle mesh")
    return meshes[0] if len(meshes) == 1 else trimesh.util.concatenate(meshes)


def _part(
    mesh: Any, transform: NDArray[np.float64], textures: dict[int, NDArray[np.uint8]]
) -> Part:
    linear = transform[:3, :3]
    positions = np.asarray(mesh.vertices, dtype=np.float64) @ linear.T + transform[:3, 3]
    # Normals transform by the inverse transpose, so non-uniform scales keep them perpendicular.
    normals = np.asarray(mesh.vertex_normals, dtype=np.float64) @ np.linalg.inv(linear)
    faces = np.asarray(mesh.faces, dtype=np.uint32)
    if np.linalg.det(linear) < 0:
        # A mirroring node turns faces inside out; swap winding to keep them facing out.
        faces = faces[:, [0, 2, 1]]
    uvs, texture, base_color = None, None, _WHITE
    colors = None
    visual = mesh.visual
    if visual.kind == "texture":
        image, base_color = _material_image_and_color(visual.material)
        if image is not None and visual.uv is not None and len(visual.uv) == len(positions):
            uvs = np.ascontiguousarray(visual.uv, dtype=np.float32)
            key = id(image)
            if key not in textures:
                textures[key] = _texture_pixels(image)
            texture = textures[key]
    elif visual.kind in ("vertex", "face"):
        colors = np.ascontiguousarray(visual.vertex_colors, dtype=np.uint8)
    return Part(
        positions=np.ascontiguousarray(positions, dtype=np.float32),
        normals=_unit(normals),
        faces=np.ascontiguousarray(faces),
        uvs=uvs,
        colors=colors,
        texture=texture,
        base_color=base_color,
        pbr=_pbr(visual.material) if visual.kind == "texture" else None,
    )


def _pbr(material: Any) -> Pbr | None:
    """The metallic-roughness part of a glTF material, or None when it has none worth showing."""
    image = getattr(material, "metallicRoughnessTexture", None)
    metallic = getattr(material, "metallicFactor", None)
    roughness = getattr(material, "roughnessFactor", None)
    if image is None and not metallic:
        return None
    orm = None
    if image is not None:
        orm = _texture_pixels(image)[..., :3].copy()
        occlusion = getattr(material, "occlusionTexture", None)
        if occlusion is not None and occlusion.size == image.size:
            orm[..., 0] = _texture_pixels(occlusion)[..., 0]
        else:
            orm[..., 0] = 255  # glTF leaves R unused; VTK reads it as occlusion
    return Pbr(
        metallic=1.0 if metallic is None else float(metallic),
        roughness=1.0 if roughness is None else float(roughness),
        orm=orm,
    )


def _material_image_and_color(material: Any) -> tuple[Any, Color]:
    """Return a trimesh material's base-colour image (or None) and colour factor."""
    image = getattr(material, "baseColorTexture", None)
    if image is not None or hasattr(material, "baseColorFactor"):
        factor = getattr(material, "baseColorFactor", None)
        return image, _WHITE if factor is None else _color(factor)
    image = getattr(material, "image", None)
    diffuse = getattr(material, "diffuse", None)
    if image is not None or diffuse is None:
        return image, _WHITE
    return None, _color(diffuse)


def _color(values: Any) -> Color:
    raw = np.asarray(values).ravel()
    # trimesh keeps material colours as uint8; a float factor is already 0..1.
    rgba = raw / 255.0 if raw.dtype.kind in "ui" else raw.astype(np.float64)
    if len(rgba) == 3:
        rgba = np.append(rgba, 1.0)
    return (float(rgba[0]), float(rgba[1]), float(rgba[2]), float(rgba[3]))


def _texture_pixels(image: Any) -> NDArray[np.uint8]:
    """Decode a PIL image to RGB(A) uint8 pixels, no larger than MAX_TEXTURE_SIDE."""
    from PIL import Image

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    if max(image.size) > MAX_TEXTURE_SIDE:
        # JPEGs can decode straight at a fraction of their size, which is far faster.
        image.draft(mode, (MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE))
    image = image.convert(mode)
    if max(image.size) > MAX_TEXTURE_SIDE:
        scale = MAX_TEXTURE_SIDE / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def _unit(vectors: NDArray[np.float64]) -> NDArray[np.float32]:
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)
    unit[lengths[:, 0] == 0] = (0.0, 0.0, 1.0)
    return np.ascontiguousarray(unit, dtype=np.float32)
