"""Photographs no one here made: scikit-image's bundled data (inside its wheel, never fetched).

The acceptance of issue 24: each of ``ACCEPTED`` becomes one connected part
holding at least 90 % of the model's surface, or finishes with a warning;
``hubble_deep_field`` (a field of galaxies, no subject) warns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

RGBA = npt.NDArray[np.uint8]

ACCEPTED = ("coffee", "chelsea", "astronaut", "stereo_motorcycle")
NO_SUBJECT = "hubble_deep_field"
#: The engine analyses photos at 512 pixels (``offline_model.ANALYSIS_SIDE``): smaller
#: copies keep the tests fast without changing what the engine sees.
SIDE = 512
MIN_SURFACE_SHARE = 0.9


def real_photo(name: str) -> RGBA:
    """The named scikit-image photo as (H, W, 4) uint8, longer side at most ``SIDE``."""
    import skimage.data

    loaded = getattr(skimage.data, name)()
    # stereo_motorcycle is a stereo pair and its disparity: the left view is the photo.
    rgb = loaded[0] if isinstance(loaded, tuple) else loaded
    image = Image.fromarray(rgb).convert("RGBA")
    image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
    return np.asarray(image)


def save_real_photo(name: str, folder: Path) -> Path:
    path = folder / f"{name}.png"
    Image.fromarray(real_photo(name)).save(path)
    return path


def parts_and_share(model: Path) -> tuple[int, float]:
    """Count the model's connected parts and the largest one's share of the surface."""
    import trimesh

    mesh = trimesh.load(str(model), force="mesh")
    areas = sorted((part.area for part in mesh.split(only_watertight=False)), reverse=True)
    return len(areas), float(areas[0] / sum(areas))


def assert_one_part_or_warned(model: Path, warning: str | None) -> None:
    count, share = parts_and_share(model)
    assert (count == 1 and share >= MIN_SURFACE_SHARE) or warning, (count, share)
