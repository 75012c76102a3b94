"""Regenerate the sample photos: ray-marched product shots of simple objects.

Run ``python resources/make_samples.py`` from the repository root. The
pictures are synthetic (no photo was downloaded), deterministic (fixed seeds)
and released with the project under its MIT licence.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Array = NDArray[np.float64]
Sdf = Callable[[Array], tuple[Array, NDArray[np.int64]]]
Shade = Callable[[Array, NDArray[np.int64]], Array]

HERE = Path(__file__).resolve().parent / "samples"
SUPERSAMPLE = 2
LIGHT = np.array([-0.5, 0.7, 0.6]) / np.linalg.norm([-0.5, 0.7, 0.6])


def sphere(p: Array, centre: tuple[float, float, float], radius: float) -> Array:
    return np.linalg.norm(p - np.array(centre), axis=-1) - radius


def ellipsoid(p: Array, centre: tuple[float, float, float], radii: tuple[float, ...]) -> Array:
    q = (p - np.array(centre)) / np.array(radii)
    k0 = np.linalg.norm(q, axis=-1)
    k1 = np.linalg.norm(q / np.array(radii), axis=-1)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-9)


def cylinder(p: Array, centre: tuple[float, float, float], radius: float, half: float) -> Array:
    q = p - np.array(centre)
    dx = np.hypot(q[..., 0], q[..., 2]) - radius
    dy = np.abs(q[..., 1]) - half
    outside = np.hypot(np.maximum(dx, 0), np.maximum(dy, 0))
    return outside + np.minimum(np.maximum(dx, dy), 0.0)


def smooth_union(a: Array, b: Array, k: float) -> Array:
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1 - h) + a * h - k * h * (1 - h)


def closest(*distances: Array) -> tuple[Array, NDArray[np.int64]]:
    stack = np.stack(distances)
    return stack.min(axis=0), stack.argmin(axis=0)


def mug(p: Array) -> tuple[Array, NDArray[np.int64]]:
    body = cylinder(p, (0, 0, 0), 0.42, 0.5) - 0.03
    hollow = cylinder(p, (0, 0.12, 0), 0.36, 0.5)
    cup = np.maximum(body, -hollow)
    q = p - np.array([0.42, 0.0, 0.0])
    ring = np.hypot(np.hypot(q[..., 0], q[..., 1]) - 0.24, q[..., 2]) - 0.055
    handle = np.maximum(ring, -(p[..., 0] - 0.38))
    return closest(cup, handle)


def mug_colour(p: Array, part: NDArray[np.int64]) -> Array:
    glaze = np.array([0.16, 0.46, 0.58])
    band = np.abs(p[..., 1] + 0.05) < 0.12
    radial = np.hypot(p[..., 0], p[..., 2])
    inner = (radial < 0.385) & (p[..., 1] > -0.35)
    colour = np.where(band[..., None], np.array([0.93, 0.9, 0.82]), glaze)
    dots = (np.sin(np.arctan2(p[..., 2], p[..., 0]) * 18) > 0.6) & band
    colour = np.where(dots[..., None], np.array([0.85, 0.28, 0.2]), colour)
    colour = np.where(inner[..., None], glaze * 0.7, colour)
    return np.where((part == 1)[..., None], glaze, colour)


def vase_profile(y: Array) -> Array:
    t = np.clip((y + 0.75) / 1.5, 0, 1)
    return 0.12 + 0.3 * np.sin(np.pi * (0.15 + 0.85 * t)) ** 2 * (1 - 0.55 * t) + 0.1 * t**6


def vase(p: Array) -> tuple[Array, NDArray[np.int64]]:
    radial = np.hypot(p[..., 0], p[..., 2])
    side = (radial - vase_profile(p[..., 1])) * 0.7
    cap = np.abs(p[..., 1]) - 0.75
    shell = np.maximum(side, cap)
    opening = np.maximum(radial - vase_profile(p[..., 1]) + 0.03, -(p[..., 1] - 0.55))
    return closest(np.maximum(shell, -opening * 0.7))


def vase_colour(p: Array, part: NDArray[np.int64]) -> Array:
    clay = np.array([0.74, 0.4, 0.24])
    angle = np.arctan2(p[..., 2], p[..., 0])
    zig = np.abs(p[..., 1] - 0.05 - 0.06 * np.abs(((angle * 8 / np.pi) % 2) - 1)) < 0.025
    stripes = (np.abs(p[..., 1] + 0.3) < 0.03) | (np.abs(p[..., 1] - 0.42) < 0.03)
    colour = np.where((zig | stripes)[..., None], np.array([0.12, 0.1, 0.09]), clay)
    return colour * (0.92 + 0.08 * np.sin(p[..., 1] * 40))[..., None]


def duck(p: Array) -> tuple[Array, NDArray[np.int64]]:
    body = ellipsoid(p, (0, -0.25, 0), (0.55, 0.36, 0.42))
    tail = ellipsoid(p, (0.48, -0.05, 0), (0.18, 0.14, 0.14))
    head = sphere(p, (-0.28, 0.32, 0.05), 0.27)
    yellow = smooth_union(smooth_union(body, tail, 0.12), head, 0.12)
    beak = ellipsoid(p, (-0.56, 0.26, 0.08), (0.14, 0.06, 0.11))
    eye_l = sphere(p, (-0.42, 0.42, 0.23), 0.045)
    eye_r = sphere(p, (-0.48, 0.42, -0.08), 0.045)
    return closest(yellow, beak, np.minimum(eye_l, eye_r))


def duck_colour(p: Array, part: NDArray[np.int64]) -> Array:
    palette = np.array([[0.98, 0.78, 0.12], [0.95, 0.42, 0.08], [0.05, 0.05, 0.06]])
    return palette[part]


def apple(p: Array) -> tuple[Array, NDArray[np.int64]]:
    radial = np.hypot(p[..., 0], p[..., 2])
    dimple = 0.12 * np.exp(-(radial**2) / 0.02)
    q = p.copy()
    q[..., 1] = p[..., 1] + dimple * np.sign(p[..., 1])
    fruit = ellipsoid(q, (0, -0.05, 0), (0.5, 0.46, 0.5)) * 0.8
    bent = p.copy()
    bent[..., 0] -= 0.15 * (p[..., 1] - 0.4)
    stem = cylinder(bent, (0, 0.47, 0), 0.025, 0.13)
    leaf = ellipsoid(p, (0.16, 0.52, 0.05), (0.17, 0.035, 0.07))
    return closest(fruit, stem, leaf)


def apple_colour(p: Array, part: NDArray[np.int64]) -> Array:
    rng_phase = np.sin(p[..., 0] * 53) * np.sin(p[..., 1] * 47) * np.sin(p[..., 2] * 59)
    blend = np.clip(0.5 + 1.6 * (p[..., 1] - 0.1) + 0.3 * p[..., 0], 0, 1)[..., None]
    skin = np.array([0.78, 0.08, 0.07]) * (1 - blend) + np.array([0.72, 0.68, 0.16]) * blend
    skin = skin * (0.9 + 0.1 * rng_phase)[..., None]
    palette = np.stack(
        [
            skin,
            np.broadcast_to([0.33, 0.2, 0.1], skin.shape),
            np.broadcast_to([0.2, 0.55, 0.15], skin.shape),
        ]
    )
    return np.take_along_axis(palette, part[None, ..., None], axis=0)[0]


def render(sdf: Sdf, shade: Shade, size: int, extent: float) -> tuple[Array, Array]:
    """Ray-march an orthographic view from slightly above; return RGB and coverage."""
    n = size * SUPERSAMPLE
    forward = np.array([0.0, -0.28, -1.0])
    forward /= np.linalg.norm(forward)
    up = np.cross(np.cross(forward, [0, 1, 0]), forward)
    right = np.cross(forward, up)
    u = (np.arange(n) + 0.5) / n * 2 - 1
    grid_x, grid_y = np.meshgrid(u * extent, -u * extent)
    origins = (grid_x[..., None] * right + grid_y[..., None] * up - 3 * forward).reshape(-1, 3)
    t = np.zeros(len(origins))
    hit = np.zeros(len(origins), dtype=bool)
    live = np.arange(len(origins))
    for _ in range(96):
        d, _ = sdf(origins[live] + t[live, None] * forward)
        t[live] += d
        hit[live[d < 1e-3]] = True
        live = live[(d >= 1e-3) & (t[live] < 6)]
    points = origins[hit] + t[hit, None] * forward
    eps = 1e-3
    normals = np.stack([sdf(points + e)[0] - sdf(points - e)[0] for e in np.eye(3) * eps], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    _, part = sdf(points)
    albedo = shade(points, part)
    diffuse = np.clip(normals @ LIGHT, 0, 1)
    half = LIGHT - forward
    half /= np.linalg.norm(half)
    specular = np.clip(normals @ half, 0, 1) ** 60 * 0.5
    occlusion = np.clip(sdf(points + normals * 0.06)[0] / 0.06, 0.3, 1.0)
    fill = 0.25 + 0.1 * normals[:, 1]
    colour = albedo * (fill + 0.8 * diffuse)[:, None] * occlusion[:, None] + specular[:, None]
    image = np.zeros((n * n, 3))
    image[hit] = colour
    return _shrink(image.reshape(n, n, 3)), _shrink(hit.reshape(n, n, 1).astype(float))[..., 0]


def _shrink(image: Array) -> Array:
    n = image.shape[0] // SUPERSAMPLE
    return image.reshape(n, SUPERSAMPLE, n, SUPERSAMPLE, -1).mean(axis=(1, 3))


def backdrop(size: int, coverage: Array, seed: int) -> Array:
    """A paper sweep: vertical gradient, vignette and a soft contact shadow."""
    from scipy import ndimage

    y, x = np.mgrid[0:size, 0:size] / size
    base = np.array([0.93, 0.92, 0.9]) - 0.1 * y[..., None]
    base = base - 0.06 * ((x - 0.5) ** 2 + (y - 0.5) ** 2)[..., None]
    rows = np.flatnonzero(coverage.max(axis=1) > 0.5)
    cols = np.flatnonzero(coverage.max(axis=0) > 0.5)
    shadow = np.zeros((size, size))
    cy, cx = rows.max() - size * 0.01, cols.mean()
    shadow[
        ((y * size - cy) / (size * 0.035)) ** 2 + ((x * size - cx) / (np.ptp(cols) * 0.5)) ** 2 < 1
    ] = 1
    shadow = ndimage.gaussian_filter(shadow, size * 0.02) * 0.35
    rng = np.random.default_rng(seed)
    return base * (1 - shadow[..., None]) + rng.normal(0, 0.008, (size, size, 1))


def save(name: str, sdf: Sdf, shade: Shade, size: int, extent: float, seed: int) -> None:
    rgb, coverage = render(sdf, shade, size, extent)
    if name.endswith(".png"):
        # A cut-out has no sensor noise, and noise would triple the PNG's size.
        rgba = np.concatenate([rgb, coverage[..., None]], axis=2)
        data = (np.clip(rgba, 0, 1) * 255).round().astype(np.uint8)
        Image.fromarray(data, "RGBA").save(HERE / name, optimize=True)
        return
    rng = np.random.default_rng(seed + 1)
    rgb = rgb + rng.normal(0, 0.006, rgb.shape)
    photo = backdrop(size, coverage, seed) * (1 - coverage[..., None]) + rgb * coverage[..., None]
    data = (np.clip(photo, 0, 1) * 255).round().astype(np.uint8)
    Image.fromarray(data, "RGB").save(HERE / name, quality=86, optimize=True)


def main() -> None:
    only = set(sys.argv[1:])
    scenes = [
        ("mug.jpg", mug, mug_colour, 1000, 0.9, 1),
        ("vase.jpg", vase, vase_colour, 900, 1.0, 2),
        ("apple.jpg", apple, apple_colour, 900, 0.85, 3),
        ("duck.png", duck, duck_colour, 800, 0.9, 4),
    ]
    for name, sdf, shade, size, extent, seed in scenes:
        if not only or name in only:
            save(name, sdf, shade, size, extent, seed)


if __name__ == "__main__":
    main()
