"""Render a still, textured preview of a model without a window (thumbnails, self-test).

Pure numpy on top of :mod:`.scene` and :mod:`.raster`: no display, no OpenGL,
so it runs the same in a spawned worker, a test and a headless CI box.
Textures are photos with their lighting baked in, so they are shaded gently
(mostly ambient) and their colours taken as they are, with no sRGB decode.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from image2model_desktop.core.fsutil import atomic_destination
from image2model_desktop.mesh.camera import AZIMUTH, ELEVATION, FOV_Y, view_axes
from image2model_desktop.mesh.raster import Fragments, rasterize, sample_texture
from image2model_desktop.mesh.scene import Part, Scene, load_scene

BACKGROUND_TOP = (0.93, 0.93, 0.94)
BACKGROUND_BOTTOM = (0.74, 0.75, 0.77)
#: Share of the frame the model's larger projected side fills.
FILL = 0.86
#: Each output pixel averages SUPERSAMPLE² samples, which smooths the outline.
SUPERSAMPLE = 2
UNTEXTURED_GREY = (0xB8 / 255, 0xB4 / 255, 0xAC / 255)
AMBIENT = 0.35
DIFFUSE = 0.75
SPECULAR = 0.08
SPECULAR_POWER = 24.0
#: Directional lights besides the headlight: (world direction towards the light, intensity).
HEADLIGHT_INTENSITY = 0.7
SCENE_LIGHTS = (((1.5, 3.0, 4.0), 0.4), ((-3.0, 1.0, -2.0), 0.25))

FloatArray = NDArray[np.float64]


def render_preview(model_path: Path, out_png: Path, size: int = 512) -> Path:
    """Render ``model_path`` in three-quarter view to a ``size``² PNG at ``out_png``."""
    pixels = render_scene(load_scene(model_path), size)
    with atomic_destination(out_png) as tmp:
        # Level 3 writes a few percent more bytes than the default 6, in a third of the time.
        Image.fromarray(pixels).save(tmp, format="PNG", compress_level=3)
    return out_png


def render_scene(scene: Scene, size: int) -> NDArray[np.uint8]:
    """Return a (size, size, 3) uint8 image of ``scene`` in three-quarter view."""
    side = size * SUPERSAMPLE
    eye, axes = _camera(scene)
    positions = np.concatenate([part.positions for part in scene.parts]).astype(np.float64)
    screen, inverse_depth = _project(positions, eye, axes, side)
    offsets = np.cumsum([0] + [len(part.positions) for part in scene.parts])
    faces = np.concatenate(
        [part.faces + np.uint32(offset) for part, offset in zip(scene.parts, offsets, strict=False)]
    )
    fragments = rasterize(screen, inverse_depth, faces, side, side)
    image = _background(side).reshape(-1, 3)
    face_offsets = np.cumsum([0] + [len(part.faces) for part in scene.parts])
    for part, local in zip(scene.parts, _split_by_part(fragments, face_offsets), strict=True):
        if len(local.pixels):
            image[local.pixels] = _shade(part, local, eye, axes[2])
    return _downsample(image.reshape(side, side, 3))


def _split_by_part(fragments: Fragments, face_offsets: NDArray[np.int64]) -> list[Fragments]:
    """Split the fragments of the concatenated faces into each part's, with part-local faces."""
    if len(face_offsets) == 2:
        return [fragments]
    part_of = np.searchsorted(face_offsets, fragments.faces, side="right") - 1
    order = np.argsort(part_of, kind="stable")
    bounds = np.searchsorted(part_of[order], np.arange(len(face_offsets)))
    pieces = []
    for index in range(len(face_offsets) - 1):
        chosen = order[bounds[index] : bounds[index + 1]]
        pieces.append(
            Fragments(
                pixels=fragments.pixels[chosen],
                faces=fragments.faces[chosen] - face_offsets[index],
                weights=fragments.weights[chosen],
            )
        )
    return pieces


def _downsample(image: NDArray[np.float32]) -> NDArray[np.uint8]:
    """Average SUPERSAMPLE² blocks into one pixel and convert to 8 bits."""
    total = np.zeros_like(image[::SUPERSAMPLE, ::SUPERSAMPLE])
    for row in range(SUPERSAMPLE):
        for column in range(SUPERSAMPLE):
            total += image[row::SUPERSAMPLE, column::SUPERSAMPLE]
    scale = np.float32(255 / SUPERSAMPLE**2)
    pixels: NDArray[np.uint8] = np.clip(np.rint(total * scale), 0, 255).astype(np.uint8)
    return pixels


def _camera(scene: Scene) -> tuple[FloatArray, FloatArray]:
    """Place the eye like VTK's reset camera; return it and the (right, up, forward) rows."""
    low, high = scene.bounds
    centre = (low + high) / 2
    radius = max(float(np.linalg.norm(high - low)) / 2, 1e-9)
    # The preview's start view (the same three-quarter turn and field of view).
    right, up, towards_eye = view_axes(AZIMUTH, ELEVATION)
    eye = centre + towards_eye * radius / np.sin(np.radians(FOV_Y) / 2)
    return eye, np.array([right, up, -towards_eye])


def _project(
    positions: FloatArray, eye: FloatArray, axes: FloatArray, side: int
) -> tuple[FloatArray, FloatArray]:
    """Project to pixels (y down), scaled and centred so the model fills FILL of the frame."""
    view = (positions - eye) @ axes.T
    depth = np.maximum(view[:, 2], 1e-12)
    tangent = view[:, :2] / depth[:, None]
    low, high = tangent.min(axis=0), tangent.max(axis=0)
    scale = FILL * side / max(float((high - low).max()), 1e-12)
    middle = (low + high) / 2
    screen = np.column_stack(
        [
            side / 2 + (tangent[:, 0] - middle[0]) * scale,
            side / 2 - (tangent[:, 1] - middle[1]) * scale,
        ]
    )
    return screen, 1.0 / depth


def _background(side: int) -> NDArray[np.float32]:
    share = np.linspace(0.0, 1.0, side)[:, None]
    column = (1 - share) * np.array(BACKGROUND_TOP) + share * np.array(BACKGROUND_BOTTOM)
    return np.repeat(column.astype(np.float32)[:, None, :], side, axis=1)


def _shade(
    part: Part, fragments: Fragments, eye: FloatArray, forward: FloatArray
) -> NDArray[np.float32]:
    """Light one part's fragments: colour × (ambient + diffuse × Lambert) plus a little gloss."""
    corners = part.faces[fragments.faces]
    weights = fragments.weights.astype(np.float32)
    # One gather for both attributes: fragments outnumber vertices, so gathers dominate.
    blended = _interpolate(np.hstack([part.normals, part.positions]), corners, weights)
    normal = _unit(blended[:, :3])
    to_eye = _unit(eye.astype(np.float32) - blended[:, 3:])
    # Draw both sides of open meshes: a normal facing away is lit as its back face.
    normal *= np.where(_dot(normal, to_eye) < 0, np.float32(-1), np.float32(1))[:, None]
    lights = [(-forward, HEADLIGHT_INTENSITY)] + [
        (np.array(direction) / np.linalg.norm(direction), intensity)
        for direction, intensity in SCENE_LIGHTS
    ]
    diffuse = np.zeros(len(normal), dtype=np.float32)
    gloss = np.zeros(len(normal), dtype=np.float32)
    for direction, intensity in lights:
        towards_light = direction.astype(np.float32)
        diffuse += intensity * np.clip(normal @ towards_light, 0, None)
        halfway = _unit(to_eye + towards_light)
        gloss += intensity * np.clip(_dot(normal, halfway), 0, None) ** SPECULAR_POWER
    albedo = _albedo(part, corners, weights)
    lit: NDArray[np.float32] = (
        albedo * (AMBIENT + DIFFUSE * diffuse)[:, None] + SPECULAR * gloss[:, None]
    )
    return lit


def _albedo(
    part: Part, corners: NDArray[np.uint32], weights: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Return each fragment's base colour 0..1: texture, vertex colours or material colour."""
    base = np.array(part.base_color[:3], dtype=np.float32)
    if part.texture is not None and part.uvs is not None:
        uvs = _interpolate(part.uvs, corners, weights)
        colour = sample_texture(part.texture, uvs)[:, :3] * base
    elif part.colors is None and part.base_color == (1.0, 1.0, 1.0, 1.0):
        colour = np.broadcast_to(np.array(UNTEXTURED_GREY, dtype=np.float32), (len(corners), 3))
    else:
        colour = np.broadcast_to(base, (len(corners), 3))
    if part.colors is not None:
        rgb = part.colors[:, :3].astype(np.float32) / np.float32(255)
        colour = colour * _interpolate(rgb, corners, weights)
    return np.asarray(colour, dtype=np.float32)


def _interpolate(
    values: NDArray[np.float32], corners: NDArray[np.uint32], weights: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Blend per-vertex ``values`` at each fragment by its corner weights."""
    blended: NDArray[np.float32] = (
        values[corners[:, 0]] * weights[:, 0, None]
        + values[corners[:, 1]] * weights[:, 1, None]
        + values[corners[:, 2]] * weights[:, 2, None]
    )
    return blended


def _dot(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    # einsum: numpy's sum over a length-3 axis is several times slower.
    dotted: NDArray[np.float32] = np.einsum("ij,ij->i", a, b)
    return dotted


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    lengths = np.sqrt(_dot(vectors, vectors))[:, None]
    return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)
