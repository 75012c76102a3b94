"""A vectorized numpy triangle rasterizer: which triangle each pixel sees, and where on it.

No Python loop runs per triangle. Triangles are bucketed by the size of their
screen bounding box (rounded up to powers of two); a bucket tests the pixel
centres of all its boxes at once, in chunks of at most ``budget`` candidates so
memory stays bounded however large the triangles are. Depth and triangle id are
packed into one int64 key per candidate and resolved with ``np.minimum.at``.

Shading is deferred: :func:`rasterize` returns one fragment per covered pixel
(the nearest triangle and its perspective-correct barycentric weights), so the
caller shades each pixel once, whatever the triangle count.

Screen coordinates are pixels, x to the right and y down, with pixel ``(i, j)``
centred at ``(i + 0.5, j + 0.5)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Candidate pixels tested at once; about 40 bytes each at peak.
DEFAULT_BUDGET = 1 << 21
#: Pixel centres this far outside an edge (in barycentric units) still count as inside,
#: so rounding never leaves a crack between two triangles that share the edge.
_EDGE_TOLERANCE = np.float32(1e-5)
_DEPTH_LEVELS = (1 << 30) - 1
_FACE_BITS = np.int64(32)
_FACE_MASK = np.int64((1 << 32) - 1)
_EMPTY = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Fragments:
    """The visible surface: for each covered pixel, the nearest triangle and where on it."""

    #: (n,) flat pixel indices, ``row * width + column``, ascending.
    pixels: NDArray[np.int64]
    #: (n,) index of the triangle seen there.
    faces: NDArray[np.int64]
    #: (n, 3) perspective-correct barycentric weights of that triangle's corners.
    weights: NDArray[np.float64]


def rasterize(
    screen: NDArray[np.float64],
    inverse_depth: NDArray[np.float64],
    faces: NDArray[np.uint32],
    width: int,
    height: int,
    budget: int = DEFAULT_BUDGET,
) -> Fragments:
    """Find the nearest triangle under every pixel centre of a ``width`` × ``height`` image.

    ``screen`` is (v, 2) projected vertex positions in pixels; ``inverse_depth``
    is (v,) 1 / (distance along the view axis), all positive (every vertex in
    front of the camera). Both sides of a triangle are drawn.
    """
    corners = screen[faces]
    # Elementwise over the three corners: a reduction along a length-3 axis is slow in numpy.
    low = np.minimum(np.minimum(corners[:, 0], corners[:, 1]), corners[:, 2])
    high = np.maximum(np.maximum(corners[:, 0], corners[:, 1]), corners[:, 2])
    first = np.maximum(np.ceil(low - 0.5), 0).astype(np.int64)
    last = np.minimum(np.floor(high - 0.5), [width - 1, height - 1]).astype(np.int64)
    span = last - first + 1
    edge_a = corners[:, 1] - corners[:, 0]
    edge_b = corners[:, 2] - corners[:, 0]
    doubled_area = edge_a[:, 0] * edge_b[:, 1] - edge_a[:, 1] * edge_b[:, 0]
    drawn = np.flatnonzero((span > 0).all(axis=1) & (np.abs(doubled_area) > 1e-12))

    q = inverse_depth[faces]
    q_low, q_high = float(inverse_depth.min()), float(inverse_depth.max())
    # Nearer means larger 1/z; map it to a small integer so the minimum wins.
    depth_scale = _DEPTH_LEVELS / max(q_high - q_low, 1e-300)
    nearness = ((q_high - q) * depth_scale).astype(np.float32)

    zbuffer = np.full(width * height, _EMPTY, dtype=np.int64)
    exponents = np.ceil(np.log2(span[drawn])).astype(np.int64)
    bucket_keys = exponents[:, 0] * 64 + exponents[:, 1]
    order = np.argsort(bucket_keys, kind="stable")
    drawn, bucket_keys = drawn[order], bucket_keys[order]
    starts = np.flatnonzero(np.r_[True, bucket_keys[1:] != bucket_keys[:-1]])
    ends = np.r_[starts[1:], len(drawn)]
    for start, end in zip(starts, ends, strict=True):
        box_w = 1 << int(bucket_keys[start] // 64)
        box_h = 1 << int(bucket_keys[start] % 64)
        step = max(1, budget // (box_w * box_h))
        for chunk_start in range(start, end, step):
            chunk = drawn[chunk_start : min(end, chunk_start + step)]
            _cover(zbuffer, chunk, corners, first, span, nearness, (box_w, box_h), width)
    return _fragments(zbuffer, corners, q, width)


def _cover(
    zbuffer: NDArray[np.int64],
    chunk: NDArray[np.int64],
    corners: NDArray[np.float64],
    first: NDArray[np.int64],
    span: NDArray[np.int64],
    nearness: NDArray[np.float32],
    box: tuple[int, int],
    width: int,
) -> None:
    """Depth-test every pixel centre inside the chunk's triangles into ``zbuffer``."""
    box_w, box_h = box
    # Work relative to each box's first pixel centre so float32 keeps sub-pixel precision.
    origin = first[chunk].astype(np.float64) + 0.5
    local = corners[chunk] - origin[:, None, :]
    coefficients = _barycentric_planes(local).astype(np.float32)
    xs = np.arange(box_w, dtype=np.float32)[None, None, :]
    ys = np.arange(box_h, dtype=np.float32)[None, :, None]
    inside = (xs < span[chunk, 0, None, None]) & (ys < span[chunk, 1, None, None])
    weights = []
    for corner in range(3):
        a, b, c = (coefficients[:, corner, k, None, None] for k in range(3))
        weight = a * xs + (b * ys + c)
        inside &= weight >= -_EDGE_TOLERANCE
        weights.append(weight)
    hit_face, hit_y, hit_x = np.nonzero(inside)
    if len(hit_face) == 0:
        return
    tri = chunk[hit_face]
    near = (
        weights[0][inside] * nearness[tri, 0]
        + weights[1][inside] * nearness[tri, 1]
        + weights[2][inside] * nearness[tri, 2]
    )
    depth = np.clip(near, 0, _DEPTH_LEVELS).astype(np.int64)
    pixels = (first[tri, 1] + hit_y) * width + first[tri, 0] + hit_x
    np.minimum.at(zbuffer, pixels, (depth << _FACE_BITS) | tri)


def _barycentric_planes(corners: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return (n, 3, 3) planes ``(a, b, c)`` with weight_k(x, y) = a x + b y + c per corner k."""
    planes = np.empty((len(corners), 3, 3), dtype=np.float64)
    x, y = corners[..., 0], corners[..., 1]
    doubled_area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (
        y[:, 1] - y[:, 0]
    )
    for corner in range(3):
        i, j = (corner + 1) % 3, (corner + 2) % 3
        # Edge function of the opposite edge, divided by the signed area so either
        # winding gives weights that are positive inside and sum to one.
        planes[:, corner, 0] = -(y[:, j] - y[:, i]) / doubled_area
        planes[:, corner, 1] = (x[:, j] - x[:, i]) / doubled_area
        planes[:, corner, 2] = ((y[:, j] - y[:, i]) * x[:, i] - (x[:, j] - x[:, i]) * y[:, i]) / (
            doubled_area
        )
    return planes


def _fragments(
    zbuffer: NDArray[np.int64],
    corners: NDArray[np.float64],
    corner_inverse_depth: NDArray[np.float64],
    width: int,
) -> Fragments:
    """Turn the resolved z-buffer into fragments with perspective-correct weights."""
    pixels = np.flatnonzero(zbuffer != _EMPTY)
    faces = zbuffer[pixels] & _FACE_MASK
    centres = np.column_stack([pixels % width, pixels // width]) + 0.5
    first, second, third = corners[faces, 0], corners[faces, 1], corners[faces, 2]
    edge_a, edge_b, offset = second - first, third - first, centres - first
    doubled_area = edge_a[:, 0] * edge_b[:, 1] - edge_a[:, 1] * edge_b[:, 0]
    toward_second = (offset[:, 0] * edge_b[:, 1] - offset[:, 1] * edge_b[:, 0]) / doubled_area
    toward_third = (edge_a[:, 0] * offset[:, 1] - edge_a[:, 1] * offset[:, 0]) / doubled_area
    screen_weights = np.clip(
        np.column_stack([1 - toward_second - toward_third, toward_second, toward_third]), 0.0, 1.0
    )
    # Screen-space weights interpolate 1/z linearly; attributes need them divided back out.
    weighted = screen_weights * corner_inverse_depth[faces]
    total = (weighted[:, 0] + weighted[:, 1] + weighted[:, 2])[:, None]
    weights = np.divide(weighted, total, out=np.full_like(weighted, 1 / 3), where=total > 0)
    return Fragments(pixels=pixels, faces=faces, weights=weights)


def sample_texture(texture: NDArray[np.uint8], uvs: NDArray[np.floating]) -> NDArray[np.float32]:
    """Sample ``texture`` (rows top-first) bilinearly at OpenGL ``uvs``; return 0..1 channels.

    Coordinates outside 0..1 wrap around, glTF's default sampler.
    """
    height, width, channels = texture.shape
    x = np.nan_to_num(uvs[:, 0].astype(np.float64)) * width - 0.5
    y = (1.0 - np.nan_to_num(uvs[:, 1].astype(np.float64))) * height - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx = (x - x0).astype(np.float32)[:, None]
    fy = (y - y0).astype(np.float32)[:, None]
    left, top = x0.astype(np.int64) % width, y0.astype(np.int64) % height
    right, bottom = (left + 1) % width, (top + 1) % height
    texels = texture.reshape(-1, channels)
    upper = texels[top * width + left] * (1 - fx) + texels[top * width + right] * fx
    lower = texels[bottom * width + left] * (1 - fx) + texels[bottom * width + right] * fx
    sampled: NDArray[np.float32] = (upper * (1 - fy) + lower * fy) / np.float32(255)
    return sampled
