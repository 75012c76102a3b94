"""Find bundled resources (sample photos, icons) from a source tree or a PyInstaller bundle.

The one helper every caller goes through, so the frozen layout is handled once:
PyInstaller unpacks data files under ``sys._MEIPASS``; ``build.spec`` is expected
to copy the repository's ``resources/`` folder there as ``resources/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png")


def resources_root() -> Path:
    """Return the ``resources`` folder: beside the bundle when frozen, else the repo's."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Return the path of a resource (it may not exist; callers decide what that means)."""
    return resources_root().joinpath(*parts)


def sample_photos() -> list[Path]:
    """Return the bundled sample photos, sorted by name (empty if none were shipped)."""
    folder = resource_path("samples")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _SAMPLE_SUFFIXES)


def app_icon_path(size: int = 256) -> Path:
    """Return the PNG of the app icon at ``size`` pixels."""
    return resource_path("icons", f"image2model-{size}.png")
