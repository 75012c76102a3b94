"""Fixtures shared by every test: an isolated library and no real secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import make_photo

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


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return make_photo(tmp_path / "disc.png")


@pytest.fixture
def sample_photos() -> list[Path]:
    found = sorted(p for p in SAMPLES.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not found:
        pytest.fail("resources/samples holds no sample photos")
    return found


@pytest.fixture(scope="session")
def offline_duck_glb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline engine's textured model of the duck sample (6,000 faces at most)."""
    import numpy as np
    from PIL import Image

    from image2model_desktop.engines.offline.model import build_offline_model

    rgba = np.asarray(Image.open(SAMPLES / "duck.png").convert("RGBA"))
    out = tmp_path_factory.mktemp("model") / "duck.glb"
    build_offline_model(rgba, out, face_limit=6000)
    return out
