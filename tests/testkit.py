"""Helpers shared by tests and benches (a unique module name: every folder has a conftest)."""

from __future__ import annotations

import asyncio
import os
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from image2model_desktop.core.engine import Engine
    from image2model_desktop.core.events import Event
    from image2model_desktop.core.service import JobService
    from image2model_desktop.runtime import Runtime

T = TypeVar("T")


def make_photo(path: Path, size: int = 256, *, alpha: bool = False) -> Path:
    """Write a photo of a shaded disc on a light background (a clear subject)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    centre = size / 2
    radius = size * 0.32
    dist = np.hypot(xx - centre, yy - centre * 1.05)
    inside = dist < radius
    shade = np.clip(1.0 - (dist / radius) ** 2, 0, 1) ** 0.5
    img = np.empty((size, size, 4), np.uint8)
    img[..., 0] = np.where(inside, 60 + 160 * shade, 235)
    img[..., 1] = np.where(inside, 40 + 60 * shade, 235)
    img[..., 2] = np.where(inside, 30 + 40 * shade, 230)
    img[..., 3] = np.where(inside, 255, 0 if alpha else 255)
    # A faint mark from the file's name in the corner: photos of different
    # names are different photos to the library's reuse (core.reuse), as two
    # shots would be. 24 bits, so two names almost never share a mark.
    mark = zlib.crc32(path.name.encode())
    img[0, :8, 0] -= np.array([(mark >> (3 * k)) & 7 for k in range(8)], np.uint8)
    mode = "RGBA" if alpha else "RGB"
    Image.fromarray(img if alpha else img[..., :3], mode).save(path)
    return path


def photo_variant(photo: Path, index: int) -> Path:
    """A copy of ``photo`` with one pixel changed: another photo to the library's reuse."""
    with Image.open(photo) as image:
        image.load()
        pixels = np.array(image)
    pixels[-1, -1, 0] ^= index + 1
    path = photo.with_name(f"{photo.stem}-variant{index}{photo.suffix}")
    Image.fromarray(pixels).save(path)
    return path


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: this test's library, no secrets."""
    env = {k: v for k, v in os.environ.items() if k not in ("FAL_KEY", "IMAGE2MODEL_API_KEY")}
    env.update(extra)
    return env


def make_textured_sphere_glb(
    path: Path,
    faces: int = 2_000,
    *,
    texture_size: int = 256,
    ripple: float = 0.0,
    photo: Path | None = None,
) -> Path:
    """Write a UV sphere (optionally rippled) with a checker texture (or ``photo``) as GLB.

    A photo is stretched to ``texture_size`` square and stored as PNG (lossless,
    as a generator's texture often is).
    """
    import trimesh

    rows = max(4, int((faces / 2) ** 0.5))
    cols = max(4, faces // (2 * rows))
    u, v = np.meshgrid(np.linspace(0, 1, cols + 1), np.linspace(0, 1, rows + 1))
    theta, phi = u * 2 * np.pi, v * np.pi
    radius = 1 + ripple * np.sin(12 * theta) * np.sin(8 * phi)
    vertices = np.stack(
        [
            radius * np.sin(phi) * np.cos(theta),
            radius * np.cos(phi),
            radius * np.sin(phi) * np.sin(theta),
        ],
        -1,
    ).reshape(-1, 3)
    uv = np.stack([u, 1 - v], -1).reshape(-1, 2)
    index = np.arange((rows + 1) * (cols + 1)).reshape(rows + 1, cols + 1)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, 1:].ravel(), index[1:, :-1].ravel()
    triangles = np.concatenate([np.stack([a, c, b], 1), np.stack([a, d, c], 1)])
    size = texture_size
    yy, xx = np.mgrid[0:size, 0:size]
    image = np.zeros((size, size, 3), np.uint8)
    image[..., 0] = ((xx // (size // 8) + yy // (size // 8)) % 2) * 190 + 50
    image[..., 1] = xx * 255 // size
    image[..., 2] = 255 - yy * 255 // size
    texture = Image.fromarray(image)
    if photo is not None:
        texture = Image.open(photo).convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=texture)
    visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    trimesh.Trimesh(vertices, triangles, visual=visual, process=False).export(path)
    return path


async def until(
    condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05
) -> T:
    """The one polling helper: wait until ``condition()`` is truthy, then return it.

    For what sends no event (a process ending, a widget repainting). In a
    blocking test: ``asyncio.run(until(...))``. Events are awaited, not polled
    (``next_event``).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)  # yields to the loop (Qt's, in window tests)


async def next_event(
    service: JobService, matches: Callable[[Event], bool], timeout: float = 30.0
) -> Event:
    """Wait for the first event the service publishes that ``matches`` (from now on)."""
    found: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

    def on_event(event: Event) -> None:
        if not found.done() and matches(event):
            found.set_result(event)

    unsubscribe = service.on_event(on_event)
    try:
        return await asyncio.wait_for(found, timeout)
    finally:
        unsubscribe()


def open_test_runtime(
    root: Path,
    engine_factory: Callable[[Any], Engine],
    *,
    has_fal_key: bool = True,
    hold_on_balance: bool = True,
    **settings: Any,
) -> Runtime:
    """The application's own wiring (``open_runtime``) on ``root``, with the test's engines."""
    from image2model_desktop.core.settings import Settings
    from image2model_desktop.runtime import open_runtime

    runtime = open_runtime(
        root,
        engine_factory=engine_factory,
        has_fal_key=lambda: has_fal_key,
        hold_on_balance=hold_on_balance,
    )
    if settings:
        changed = Settings.model_validate({**runtime.settings.model_dump(), **settings})
        runtime.apply_settings(changed, save=False)
    return runtime
