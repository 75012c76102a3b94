"""Fixtures shared by every test: an isolated library and no real secrets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "resources" / "samples"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Give each test its own data directory, no FAL key and no OS keyring."""
    data = tmp_path / "library"
    monkeypatch.setenv("IMAGE2MODEL_DATA_DIR", str(data))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("FAL_KEY", raising=False)
    monkeypatch.delenv("IMAGE2MODEL_API_KEY", raising=False)
    yield data


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


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return make_photo(tmp_path / "disc.png")


@pytest.fixture
def sample_photos() -> list[Path]:
    found = sorted(p for p in SAMPLES.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not found:
        pytest.fail("resources/samples holds no sample photos")
    return found


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: this test's library, no secrets."""
    env = {k: v for k, v in os.environ.items() if k not in ("FAL_KEY", "IMAGE2MODEL_API_KEY")}
    env.update(extra)
    return env
