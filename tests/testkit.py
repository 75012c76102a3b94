"""Helpers shared by tests and benches (a unique module name: every folder has a conftest)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image


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
    mode = "RGBA" if alpha else "RGB"
    Image.fromarray(img if alpha else img[..., :3], mode).save(path)
    return path


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: this test's library, no secrets."""
    env = {k: v for k, v in os.environ.items() if k not in ("FAL_KEY", "IMAGE2MODEL_API_KEY")}
    env.update(extra)
    return env
