"""Fixtures shared by every test: an isolated library and no real secrets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import make_photo

from tests.fakefal import FakeFal

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
def fake(request: pytest.FixtureRequest) -> Iterator[FakeFal]:
    """The FAL fake (tests/fakefal): FAL's queue protocol on loopback HTTPS. The one fixture.

    Options, per module (``pytestmark``) or per test: ``pytest.mark.fal_fake(
    generation_seconds=0.5, patch=True, max_attempts=2)``. ``patch`` points this
    process's fal-client at the fake with its retries lowered (a CLI subprocess gets
    the fake through its environment instead). The fake must end with no error of its own.
    """
    marker = request.node.get_closest_marker("fal_fake")
    options = dict(marker.kwargs) if marker is not None else {}
    seconds = float(options.pop("generation_seconds", 0.5))
    patch = bool(options.pop("patch", True))
    attempts = int(options.pop("max_attempts", 2))
    assert not options, f"unknown fal_fake options: {sorted(options)}"
    with FakeFal(generation_seconds=seconds) as server:
        patched = server.patch_fal_client(max_attempts=attempts) if patch else None
        with patched or contextlib.nullcontext():
            yield server
        assert server.server_errors() == []


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
