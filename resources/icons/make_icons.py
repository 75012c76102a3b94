"""Draw the app icon procedurally: PNG 16…512, .ico, .icns and an SVG twin.

Run from the repository: ``python resources/icons/make_icons.py``. The design is
a blue-to-violet rounded square holding a white isometric cube (a photo becomes
a 3D model). Drawn once at 1024 px and downsampled, so small sizes stay crisp.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
TOP, BOTTOM = (53, 99, 233), (122, 90, 248)
CANVAS = 1024


def _cube_points(scale: float) -> dict[str, list[tuple[float, float]]]:
    """The three visible faces of an isometric cube centred in a ``scale`` square."""
    cx, cy, r = scale / 2, scale * 0.53, scale * 0.29
    dx, dy = r * math.cos(math.radians(30)), r * math.sin(math.radians(30))
    top = (cx, cy - r)
    left_top, right_top = (cx - dx, cy - dy), (cx + dx, cy - dy)
    centre = (cx, cy)
    left_bottom, right_bottom = (cx - dx, cy + dy), (cx + dx, cy + dy)
    bottom = (cx, cy + r)
    return {
        "top": [top, right_top, centre, left_top],
        "left": [left_top, centre, bottom, left_bottom],
        "right": [centre, right_top, right_bottom, bottom],
    }


FACE_COLOURS = {"top": (255, 255, 255), "left": (214, 224, 252), "right": (174, 192, 246)}


def draw(size: int = CANVAS) -> Image.Image:
    gradient = Image.new("RGB", (1, size))
    for y in range(size):
        t = y / (size - 1)
        gradient.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM, strict=True))
        )
    background = gradient.resize((size, size))
    mask = Image.new("L", (size, size), 0)
    margin = size * 0.06
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, size - margin, size - margin), radius=size * 0.2, fill=255
    )
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    icon.paste(background, (0, 0), mask)
    pen = ImageDraw.Draw(icon)
    for face, points in _cube_points(size).items():
        pen.polygon(points, fill=FACE_COLOURS[face])
    # A small "photo" corner mark: the input the cube was made from.
    s = size * 0.17
    x0, y0 = size * 0.66, size * 0.16
    pen.rounded_rectangle((x0, y0, x0 + s, y0 + s * 0.8), radius=s * 0.12, fill=(255, 255, 255))
    pen.polygon(
        [
            (x0 + s * 0.12, y0 + s * 0.68),
            (x0 + s * 0.42, y0 + s * 0.34),
            (x0 + s * 0.62, y0 + s * 0.56),
            (x0 + s * 0.74, y0 + s * 0.44),
            (x0 + s * 0.88, y0 + s * 0.68),
        ],
        fill=TOP,
    )
    return icon


def svg() -> str:
    faces = "".join(
        f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" '
        f'fill="rgb{FACE_COLOURS[name]}"/>'
        for name, pts in _cube_points(CANVAS).items()
    )
    m, r = CANVAS * 0.06, CANVAS * 0.2
    s, x0, y0 = CANVAS * 0.17, CANVAS * 0.66, CANVAS * 0.16
    mountain = " ".join(
        f"{x0 + s * a:.1f},{y0 + s * b:.1f}"
        for a, b in ((0.12, 0.68), (0.42, 0.34), (0.62, 0.56), (0.74, 0.44), (0.88, 0.68))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CANVAS} {CANVAS}">'
        '<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="rgb{TOP}"/><stop offset="1" stop-color="rgb{BOTTOM}"/>'
        "</linearGradient></defs>"
        f'<rect x="{m}" y="{m}" width="{CANVAS - 2 * m}" height="{CANVAS - 2 * m}" rx="{r}" '
        'fill="url(#g)"/>'
        f"{faces}"
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{s:.1f}" height="{s * 0.8:.1f}" '
        f'rx="{s * 0.12:.1f}" fill="white"/>'
        f'<polygon points="{mountain}" fill="rgb{TOP}"/>'
        "</svg>\n"
    )


def main() -> None:
    big = draw()
    for size in SIZES:
        big.resize((size, size), Image.Resampling.LANCZOS).save(HERE / f"image2model-{size}.png")
    big.save(HERE / "image2model.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    try:
        big.resize((512, 512), Image.Resampling.LANCZOS).save(HERE / "image2model.icns")
    except (OSError, ValueError) as error:  # Pillow's ICNS writer can be missing on some builds
        print(f"No .icns written: {error}")
    (HERE / "image2model.svg").write_text(svg(), encoding="utf-8")


if __name__ == "__main__":
    main()
