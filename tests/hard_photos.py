"""Photos the offline engine finds hard, drawn here (deterministic, no download).

* ``busy_background_photo``: a small subject in a cluttered scene: no plain
  background to fit, so no subject separates;
* ``shadow_photo``: a coloured box on a pale table with a soft contact shadow
  beside and under it (the shadow must not become part of the model);
* ``grey_object_photo``: a sharp-edged mid-grey box with no shadow (neutral and
  darker than the table like a shadow, but an object: it must stay).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter

RGBA = npt.NDArray[np.uint8]
SIZE = 480


def _rgba(image: Image.Image) -> RGBA:
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    noise = np.random.default_rng(3).integers(-3, 4, rgb.shape)
    rgb = np.clip(rgb + noise, 0, 255).astype(np.uint8)
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


def _table(size: int = SIZE) -> Image.Image:
    """A pale, slightly graded table top."""
    ramp = np.linspace(238, 214, size)[:, None, None] * np.ones((1, size, 3))
    ramp[..., 2] += 4
    return Image.fromarray(np.clip(ramp, 0, 255).astype(np.uint8), "RGB")


def busy_background_photo(size: int = SIZE) -> RGBA:
    rng = np.random.default_rng(7)
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for _ in range(260):
        x, y = rng.integers(-40, size, 2)
        w, h = rng.integers(20, 120, 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
        else:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
    draw.ellipse((size * 0.4, size * 0.4, size * 0.6, size * 0.6), fill=(200, 30, 30))
    return _rgba(image)


#: Where ``shadow_photo`` draws its box (left, top, right, bottom) as shares of the side.
BOX = (0.34, 0.30, 0.62, 0.70)


def shadow_photo(size: int = SIZE) -> RGBA:
    table = _table(size)
    shade = Image.new("L", (size, size), 0)
    left, top, right, bottom = (round(v * size) for v in BOX)
    # The light comes from the upper left: the shadow falls right and a little down.
    ImageDraw.Draw(shade).polygon(
        [
            (left + 10, bottom - 4),
            (right, top + 30),
            (right + 90, top + 70),
            (right + 70, bottom + 30),
            (left + 40, bottom + 24),
        ],
        fill=255,
    )
    shade = shade.filter(ImageFilter.GaussianBlur(12))
    darkening = 1.0 - 0.6 * np.asarray(shade, dtype=np.float64)[..., None] / 255.0
    shaded = np.asarray(table, dtype=np.float64) * darkening
    image = Image.fromarray(shaded.astype(np.uint8), "RGB")
    ImageDraw.Draw(image).rectangle((left, top, right, bottom), fill=(40, 90, 200))
    return _rgba(image)


def grey_object_photo(size: int = SIZE) -> RGBA:
    image = _table(size)
    left, top, right, bottom = (round(v * size) for v in BOX)
    ImageDraw.Draw(image).rectangle((left, top, right, bottom), fill=(120, 120, 122))
    return _rgba(image)
