"""Inflate a photo's subject into a closed, textured 2.5D solid (the offline engine).

An algorithm, not a reconstruction: no weights, no network. Steps:

1. find the subject (``subject``): the alpha channel when it has real
   transparency; else, on a plain background, the pixels that differ from a
   smooth background model fitted to the border; on a busy one, GrabCut seeded
   by the border. The largest connected part is kept, so the model is one solid;
2. inflate the silhouette: height grows with the square root of the distance to
   the outline, so the rim looks rounded;
3. mesh it on a grid whose spacing is chosen to fit ``face_limit``: a front
   surface, its mirror as the back, and a narrow wall at the rim, which keeps
   the solid closed (and not flat) even for hairline shapes;
4. texture both sides with the photo cropped to the subject (the back shows the
   front mirrored, as if seen through).

Output convention: Y up, the photographed side faces +Z, centred on the origin,
largest extent 1.0. When the photo has no clear subject (several comparable
parts, a tiny one, the whole frame, a busy background barely told apart), the
model is still made and the stats carry a warning saying what went wrong and what
to try. Soft contact shadows are told from the subject by their edge.

Step 1 lives in ``subject``; steps 2–4 share their grid types and stay here.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from image2model_desktop.core.fsutil import atomic_destination

from .parameters import PARAMETERS
from .subject import subject_mask

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The offline engine's declared range (``parameters.PARAMETERS``), one place for both.
DEFAULT_FACE_LIMIT = PARAMETERS.face_limit.default or 20_000
#: Below this a grid cannot describe any silhouette; callers get a ValueError.
MIN_FACE_LIMIT = PARAMETERS.face_limit.minimum
#: Silhouette analysis runs at this size: enough for outlines, cheap for 4096² photos.
ANALYSIS_SIDE = 512
TEXTURE_SIDE = 2048
#: Centre height relative to the largest inscribed radius (1.0 would be a ball).
INFLATION = 0.8
#: Half thickness of the rim wall relative to the subject's larger side.
RIM_HALF_THICKNESS = 0.008


@dataclass(frozen=True)
class OfflineModelStats:
    """What the offline engine wrote."""

    faces: int
    vertices: int
    textured: bool = True
    seconds: float = 0.0
    #: A sentence for the person when the photo had no clear subject (``subject``).
    warning: str | None = None


@dataclass(frozen=True)
class _Surface:
    """A front surface on the analysis grid: 2D points (x right, y down) and heights."""

    points: FloatArray
    heights: FloatArray
    faces: IntArray
    rim_edges: IntArray


def build_offline_model(
    rgba: npt.NDArray[np.uint8], out_glb: Path, face_limit: int | None = None
) -> OfflineModelStats:
    """Turn an (H, W, 4) uint8 photo into a textured, closed GLB at ``out_glb``."""
    started = time.perf_counter()
    limit = DEFAULT_FACE_LIMIT if face_limit is None else face_limit
    if limit < MIN_FACE_LIMIT:
        raise ValueError(f"face_limit must be at least {MIN_FACE_LIMIT}, got {limit}")
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 4) uint8 array, got {rgba.shape} {rgba.dtype}")
    if min(rgba.shape[:2]) < 2:
        raise ValueError("the image is too small to model")

    small, scale = _downscale(rgba, ANALYSIS_SIDE)
    mask, warning = subject_mask(small)
    surface = _fit_surface(mask, limit)
    vertices, faces = _close_solid(surface, mask)
    texture, uv = _texture(rgba, mask, scale, surface.points)
    uv = np.concatenate([uv, uv])
    _write_glb(out_glb, vertices, faces, uv, texture)
    return OfflineModelStats(
        faces=len(faces),
        vertices=len(vertices),
        textured=True,
        seconds=time.perf_counter() - started,
        warning=warning,
    )


def _downscale(rgba: npt.NDArray[np.uint8], side: int) -> tuple[FloatArray, float]:
    """Return the photo as floats in [0, 1] with its longer side ≤ ``side``, and the factor."""
    height, width = rgba.shape[:2]
    scale = max(height, width) / side
    image = Image.fromarray(rgba, "RGBA")
    if scale > 1:
        size = (max(2, round(width / scale)), max(2, round(height / scale)))
        # Premultiply so transparent pixels' hidden colours do not bleed into edges.
        image = image.convert("RGBa").resize(size, Image.Resampling.BOX).convert("RGBA")
        scale = width / size[0]
    else:
        scale = 1.0
    return np.asarray(image, dtype=np.float64) / 255.0, scale


def _height_field(mask: FloatArray) -> FloatArray:
    """Return per-pixel height above the rim in analysis pixels."""
    from scipy import ndimage

    inside = mask >= 0.5
    distance = ndimage.distance_transform_edt(np.pad(inside, 1))[1:-1, 1:-1]
    radius = max(float(distance.max()), 1.0)
    height = INFLATION * np.sqrt(distance * radius)
    # Blur the medial-axis crease of the distance transform into a smooth ridge.
    return np.asarray(ndimage.gaussian_filter(height, max(1.0, 0.03 * radius)))


def _fit_surface(mask: FloatArray, limit: int) -> _Surface:
    """Grid the silhouette densely enough to use ``limit``, widening hairlines if need be."""
    from scipy import ndimage

    for _ in range(4):
        surface, spacing = _fit_grid(mask, limit)
        if surface is not None:
            return surface
        # Shapes thinner than a grid cell fall between grid points at any spacing that
        # fits the budget: widen them by a cell and try again.
        grown = ndimage.binary_dilation(mask >= 0.5, iterations=max(1, round(spacing)))
        mask = np.maximum(mask, ndimage.gaussian_filter(grown.astype(np.float64), 1.0))
    raise ValueError(f"could not mesh the subject within {limit} faces")


def _fit_grid(mask: FloatArray, limit: int) -> tuple[_Surface | None, float]:
    """Return the densest grid surface whose closed solid fits ``limit``, and its spacing."""
    heights = _height_field(mask)
    area = float((mask >= 0.5).sum())
    perimeter = float(np.abs(np.diff(mask >= 0.5, axis=0)).sum())
    perimeter += float(np.abs(np.diff(mask >= 0.5, axis=1)).sum())
    # Closed faces ≈ 4·area/s² (two sides) + 2·rim/s (wall); solve for the spacing s.
    budget = 0.92 * limit
    a, b = 4.0 * area, 2.0 * 0.85 * perimeter
    inverse = (-b + np.sqrt(b * b + 4.0 * a * budget)) / (2.0 * a)
    spacing = max(0.75, 1.0 / inverse)
    best: _Surface | None = None
    for _ in range(10):
        surface = _grid_surface(mask, heights, spacing)
        total = 2 * len(surface.faces) + 2 * len(surface.rim_edges)
        if 0 < total <= limit:
            best = surface
            if total >= 0.85 * limit or spacing <= 0.75:
                break
        # Face counts scale with 1/spacing²; aim a little under the limit.
        spacing = max(0.75, spacing * (np.sqrt(total / (0.95 * limit)) if total else 0.7))
    return best, spacing


def _grid_surface(mask: FloatArray, heights: FloatArray, spacing: float) -> _Surface:
    """Triangulate the grid cells inside the outline and pull rim points onto it."""
    from scipy import ndimage

    if spacing > 2.0:
        # Details finer than the grid cannot be meshed; blurring them away keeps rim points
        # from being pulled towards them, which made spikes at low face limits.
        coarse = ndimage.gaussian_filter(mask, 0.4 * spacing)
        if (coarse >= 0.5).any():
            mask = coarse
    rows, cols = np.nonzero(mask >= 0.5)
    y0, x0 = rows.min() - spacing, cols.min() - spacing
    ny = int(np.ceil((rows.max() + spacing - y0) / spacing)) + 1
    nx = int(np.ceil((cols.max() + spacing - x0) / spacing)) + 1
    gy, gx = np.mgrid[0:ny, 0:nx]
    xs, ys = x0 + gx * spacing, y0 + gy * spacing
    inside = ndimage.map_coordinates(mask, [ys, xs], order=1, mode="constant") >= 0.5

    index = np.cumsum(inside).reshape(inside.shape) - 1
    a, b = index[:-1, :-1], index[:-1, 1:]
    c, d = index[1:, :-1], index[1:, 1:]
    ia, ib = inside[:-1, :-1], inside[:-1, 1:]
    ic, id_ = inside[1:, :-1], inside[1:, 1:]
    # Counter-clockwise seen from +Z once image y is flipped to world Y.
    cases = [
        (ia & ic & id_, (a, c, d)),
        (ia & id_ & ib, (a, d, b)),
        (~ia & ib & ic & id_, (c, d, b)),
        (ia & ~id_ & ib & ic, (a, c, b)),
    ]
    faces = np.concatenate(
        [np.stack([v[sel] for v in corners], axis=1) for sel, corners in cases]
    ).astype(np.int64)
    faces = _largest_piece(faces)

    points = np.stack([xs[inside], ys[inside]], axis=1).astype(np.float64)
    used = np.zeros(len(points), dtype=bool)
    used[faces.ravel()] = True
    remap = np.cumsum(used) - 1
    faces, points = remap[faces], points[used]

    rim_edges = _boundary_edges(faces)
    rim = np.unique(rim_edges)
    points[rim] = _snap_to_outline(mask, points[rim], spacing)
    height = ndimage.map_coordinates(heights, [points[:, 1], points[:, 0]], order=1)
    height[rim] = 0.0
    return _Surface(points=points, heights=height, faces=faces, rim_edges=rim_edges)


def _largest_piece(faces: IntArray) -> IntArray:
    """Keep the faces joined to the largest piece through shared edges.

    The mask is one connected part, but a neck narrower than a grid cell falls
    between grid points and would split the model into pieces.
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    if len(faces) == 0:
        return faces
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, edge_ids = np.unique(edges, axis=0, return_inverse=True)
    count = len(faces)
    # Faces and edges as one graph: a face is linked to its three edges.
    face_ids = np.tile(np.arange(count), 3)
    nodes = count + int(edge_ids.max()) + 1
    graph = coo_array(
        (np.ones(len(face_ids), dtype=np.int8), (face_ids, count + edge_ids.ravel())),
        shape=(nodes, nodes),
    )
    _, labels = connected_components(graph, directed=False)
    face_labels = labels[:count]
    return np.asarray(faces[face_labels == np.bincount(face_labels).argmax()], dtype=np.int64)


def _boundary_edges(faces: IntArray) -> IntArray:
    """Return directed edges used by exactly one face, in that face's direction."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    keys = np.sort(edges, axis=1)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    return np.asarray(edges[counts[inverse.ravel()] == 1], dtype=np.int64)


def _snap_to_outline(mask: FloatArray, points: FloatArray, spacing: float) -> FloatArray:
    """Move rim points onto the 0.5 level of the mask, so outlines are not staircases."""
    from scipy import ndimage

    grad_y, grad_x = np.gradient(mask)
    moved = points.copy()
    for _ in range(2):
        coords = [moved[:, 1], moved[:, 0]]
        value = ndimage.map_coordinates(mask, coords, order=1)
        grad = np.stack(
            [
                ndimage.map_coordinates(grad_x, coords, order=1),
                ndimage.map_coordinates(grad_y, coords, order=1),
            ],
            axis=1,
        )
        norm2 = np.maximum((grad**2).sum(axis=1), 1e-6)
        moved += ((0.5 - value) / norm2)[:, None] * grad
        offset = moved - points
        length = np.linalg.norm(offset, axis=1, keepdims=True)
        # A point must stay inside its own cell ring or neighbouring faces could fold.
        moved = points + offset * np.minimum(1.0, 0.6 * spacing / np.maximum(length, 1e-9))
    return moved


def _close_solid(surface: _Surface, mask: FloatArray) -> tuple[FloatArray, IntArray]:
    """Mirror the front as the back, join them with a rim wall, and normalise to world units."""
    rows, cols = np.nonzero(mask >= 0.5)
    size = max(float(np.ptp(rows)), float(np.ptp(cols)), 1.0)
    rim = RIM_HALF_THICKNESS * size
    count = len(surface.points)
    front = np.column_stack([surface.points[:, 0], -surface.points[:, 1], rim + surface.heights])
    back = front * np.array([1.0, 1.0, -1.0])
    start, end = surface.rim_edges[:, 0], surface.rim_edges[:, 1]
    wall = np.concatenate(
        [
            np.stack([end, start, start + count], axis=1),
            np.stack([end, start + count, end + count], axis=1),
        ]
    )
    faces = np.concatenate([surface.faces, surface.faces[:, ::-1] + count, wall])
    vertices = np.concatenate([front, back])
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    vertices = (vertices - 0.5 * (low + high)) / float((high - low).max())
    return vertices, faces


def _texture(
    rgba: npt.NDArray[np.uint8], mask: FloatArray, scale: float, points: FloatArray
) -> tuple[Image.Image, FloatArray]:
    """Crop the photo to the subject, bleed its colours outward, and map ``points`` to UVs."""
    height, width = rgba.shape[:2]
    x_full = (points[:, 0] + 0.5) * scale
    y_full = (points[:, 1] + 0.5) * scale
    margin = 2.0 * scale
    left = int(max(0, np.floor(x_full.min() - margin)))
    top = int(max(0, np.floor(y_full.min() - margin)))
    right = int(min(width, np.ceil(x_full.max() + margin)))
    bottom = int(min(height, np.ceil(y_full.max() + margin)))
    crop = Image.fromarray(rgba[top:bottom, left:right], "RGBA")
    shrink = max(crop.size) / TEXTURE_SIDE
    if shrink > 1:
        size = (max(1, round(crop.width / shrink)), max(1, round(crop.height / shrink)))
        crop = crop.resize(size, Image.Resampling.BILINEAR)
    texture = _bleed(crop, mask, (left, top, right, bottom), scale)
    uv = np.column_stack([(x_full - left) / (right - left), 1.0 - (y_full - top) / (bottom - top)])
    return texture, np.clip(uv, 0.0, 1.0)


def _bleed(
    crop: Image.Image, mask: FloatArray, box: tuple[int, int, int, int], scale: float
) -> Image.Image:
    """Replace background pixels by the nearest subject colour, so rims carry no halo."""
    from scipy import ndimage

    left, top, right, bottom = box
    inner = np.clip(mask, 0.0, 1.0)
    mask_image = Image.fromarray((inner * 255).astype(np.uint8), "L")
    region = (left / scale - 0.5, top / scale - 0.5, right / scale - 0.5, bottom / scale - 0.5)
    region_mask = mask_image.transform(
        crop.size, Image.Transform.EXTENT, region, Image.Resampling.BILINEAR
    )
    # The outline is only known to an analysis pixel or two, and photos have a light fringe
    # there; eroding that much keeps background colour off the rim.
    erode = max(1, round(2.5 * scale * crop.width / max(right - left, 1)))
    keep = ndimage.binary_erosion(np.asarray(region_mask) >= 128, iterations=erode)
    rgb = np.asarray(crop.convert("RGB"))
    if keep.any() and not keep.all():
        nearest = ndimage.distance_transform_edt(~keep, return_distances=False, return_indices=True)
        rgb = rgb[nearest[0], nearest[1]]
    return Image.fromarray(np.ascontiguousarray(rgb), "RGB")


def _write_glb(
    out_glb: Path, vertices: FloatArray, faces: IntArray, uv: FloatArray, texture: Image.Image
) -> None:
    import trimesh

    # trimesh ships partial annotations; treat it as untyped rather than silence each call.
    tm: Any = trimesh
    material = tm.visual.material.PBRMaterial(
        name="photo",
        baseColorTexture=_as_jpeg(texture),
        metallicFactor=0.0,
        roughnessFactor=0.85,
    )
    visual = tm.visual.TextureVisuals(uv=uv, material=material)
    mesh = tm.Trimesh(vertices=vertices, faces=faces, visual=visual, process=False)
    _ = mesh.vertex_normals  # cached normals are exported, so viewers shade smoothly
    scene = tm.Scene()
    scene.add_geometry(mesh, geom_name="offline_model", node_name="offline_model")
    data: Any = scene.export(file_type="glb")
    with atomic_destination(out_glb) as tmp:
        tmp.write_bytes(data)


def _as_jpeg(texture: Image.Image) -> Image.Image:
    """Re-open the texture as a JPEG: trimesh keeps JPEGs as JPEG, which is 5× faster than PNG."""
    buffer = io.BytesIO()
    texture.save(buffer, format="JPEG", quality=90)
    buffer.seek(0)
    return Image.open(buffer)
