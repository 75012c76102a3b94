"""Build corpora of hostile and good photos on disk, procedurally and cheaply.

Other test modules import this: ``build_hostile_corpus`` gives files that must
be refused (with the reason each refusal must mention), ``build_good_corpus``
gives files that must be accepted. Nothing is downloaded.
"""

from __future__ import annotations

import io
import shutil
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = [
    "GOOD_NAMES",
    "ODD_DISPLAY_PREFIX",
    "HostileCase",
    "build_good_corpus",
    "build_hostile_corpus",
    "png_bytes",
]

#: Display names carry this prefix to prove they are only ever shown, never opened.
ODD_DISPLAY_PREFIX = "../Ürlaub 2024 📷/ "

#: File names of ``build_good_corpus``, in the order it returns them.
GOOD_NAMES = (
    "rgb.jpg",
    "alpha.png",
    "cmyk.jpg",
    "grey16.png",
    "rgb16.png",
    "grey.jpg",
    "palette_transparent.png",
    "rotated6.jpg",
    "tiny.png",
    "animated.png",
    "camera.mpo.jpg",
)


@dataclass(frozen=True)
class HostileCase:
    """One file that validation must refuse."""

    path: Path
    display_name: str
    #: Lowercase text the refusal's reason must contain.
    expect_reason_contains: str


def png_bytes(
    width: int,
    height: int,
    idat: bytes,
    *,
    bit_depth: int = 8,
    colour_type: int = 2,
) -> bytes:
    """Return a PNG with the given header and raw (already compressed) IDAT payload."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def build_hostile_corpus(dir: Path) -> list[HostileCase]:
    """Write every hostile file into ``dir`` and describe the refusal each must get."""
    dir.mkdir(parents=True, exist_ok=True)
    cases: list[HostileCase] = []

    def add(name: str, payload: bytes, reason: str) -> None:
        path = dir / name
        path.write_bytes(payload)
        cases.append(HostileCase(path, ODD_DISPLAY_PREFIX + name, reason))

    noise_png = _encode(_noise_image(96, 64), "PNG")
    add("empty.jpg", b"", "the file is empty")
    add("truncated.png", noise_png[: len(noise_png) // 2], "truncated or corrupt")
    add("text.jpg", b"Meeting notes\nBring the photos on Tuesday.\n" * 20, "text file")
    add("document.png", _minimal_pdf(), "pdf document")
    add("animated.png", _animated_gif(), "gif image")
    add("vector.png", _svg(), "svg drawing")
    add("program.jpg", _executable_head(), "executable program")
    # 30000 × 30000 declared, a few hundred bytes on disk.
    add("bomb.png", png_bytes(30000, 30000, zlib.compress(b"\x00" * 30001 * 3)), "megapixel")
    add("bomb.jpg", _jpeg_claiming(30000, 30000), "megapixel")
    add("header_only.jpg", _header_only_jpeg(), "no image data")
    add("zero_width.png", png_bytes(0, 16, zlib.compress(b"")), "zero width or height")
    add(
        "noise_with_jpeg_magic.jpg",
        b"\xff\xd8\xff\xe0" + _noise_bytes(2048),
        "truncated or corrupt",
    )
    add("webp.jpg", b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(24), "webp image")
    add("iphone.jpg", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "heic")
    add("bitmap.png", _encode(Image.new("RGB", (4, 4), "red"), "BMP"), "bmp image")

    huge = dir / "huge.jpg"
    with huge.open("wb") as stream:
        stream.write(_encode(Image.new("RGB", (16, 16), "blue"), "JPEG"))
        # A sparse tail: over the limit on stat, free to write.
        stream.truncate(10 * 1024 * 1024 + 4096)
    cases.append(HostileCase(huge, ODD_DISPLAY_PREFIX + "huge.jpg", "10 mb"))
    return cases


def build_good_corpus(dir: Path) -> list[Path]:
    """Write one acceptable photo of each awkward kind into ``dir`` (names: ``GOOD_NAMES``)."""
    dir.mkdir(parents=True, exist_ok=True)
    gradient = _gradient_image(64, 48)
    alpha = gradient.convert("RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize((64, 48)))
    palette = Image.new("P", (32, 32), 0)
    palette.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    palette.paste(1, (8, 8, 24, 24))
    # Stored 60 × 40 with a red block at the stored top-left corner; orientation 6
    # means "rotate 90° clockwise to view", so it shows 40 × 60 with the block top-right.
    rotated = Image.new("RGB", (60, 40), "white")
    rotated.paste((255, 0, 0), (0, 0, 16, 16))
    exif = Image.Exif()
    exif[0x0112] = 6
    frames = [Image.new("RGBA", (20, 20), colour) for colour in ("green", "blue")]

    payloads = {
        "rgb.jpg": _encode(gradient, "JPEG", quality=92),
        "alpha.png": _encode(alpha, "PNG"),
        "cmyk.jpg": _encode(Image.new("CMYK", (32, 24), (0, 255, 255, 0)), "JPEG", quality=95),
        "grey16.png": _encode(_grey16_image(), "PNG"),
        "rgb16.png": _rgb16_png(),
        "grey.jpg": _encode(gradient.convert("L"), "JPEG"),
        "palette_transparent.png": _encode(palette, "PNG", transparency=0),
        "rotated6.jpg": _encode(rotated, "JPEG", quality=95, exif=exif),
        "tiny.png": _encode(Image.new("RGB", (8, 8), (10, 20, 30)), "PNG"),
        "animated.png": _encode(frames[0], "PNG", save_all=True, append_images=frames[1:]),
        "camera.mpo.jpg": _encode(
            gradient,
            "MPO",
            save_all=True,
            append_images=[gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)],
        ),
    }
    paths = []
    for name in GOOD_NAMES:
        path = dir / name
        path.write_bytes(payloads[name])
        paths.append(path)
    return paths


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def _noise_image(width: int, height: int) -> Image.Image:
    # Noise keeps the IDAT large, so half the file really cuts into pixel data.
    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def _noise_bytes(count: int) -> bytes:
    return np.random.default_rng(11).integers(0, 256, count, dtype=np.uint8).tobytes()


def _gradient_image(width: int, height: int) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.float64)[None, :].repeat(height, axis=0)
    y = np.linspace(0, 255, height, dtype=np.float64)[:, None].repeat(width, axis=1)
    pixels = np.stack([x, y, np.full_like(x, 128.0)], axis=-1).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def _grey16_image() -> Image.Image:
    """Return a 16-bit grey ramp whose column 1 is exactly mid-grey (128 × 257)."""
    row = np.array([0, 128 * 257, 65535, 1000] * 4, dtype=np.uint16)
    return Image.fromarray(np.tile(row, (8, 1)))


def _rgb16_png() -> bytes:
    """Return a 16 × 8 16-bit RGB PNG of (65535, 128 × 257, 0): orange at 8 bits."""
    width, height = 16, 8
    row = b"\x00" + struct.pack(">HHH", 65535, 128 * 257, 0) * width
    return png_bytes(width, height, zlib.compress(row * height), bit_depth=16)


def _minimal_pdf() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def _animated_gif() -> bytes:
    frames = [Image.new("P", (16, 16), index) for index in (1, 2)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    return _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def _svg() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<circle cx="50" cy="50" r="40" fill="tomato"/></svg>\n'
    )


def _executable_head() -> bytes:
    """Return the first 4 KiB of a real program on this machine."""
    for candidate in (shutil.which("true"), sys.executable):
        if candidate:
            with open(candidate, "rb") as stream:
                head = stream.read(4096)
            if head:
                return head
    raise RuntimeError("no executable found to copy")


def _header_only_jpeg() -> bytes:
    """Return SOI, a JFIF APP0 and one flat quantisation table: headers, no frame, no scan."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\x00" + bytes([1] * 64)
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xdb"
        + struct.pack(">H", len(dqt) + 2)
        + dqt
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    """Return a JPEG whose frame declares ``width`` × ``height`` over a few bytes of scan."""
    sof = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    sos = b"\x01\x01\x00\x00\x3f\x00"
    return (
        _header_only_jpeg()
        + b"\xff\xc0"
        + struct.pack(">H", len(sof) + 2)
        + sof
        + b"\xff\xda"
        + struct.pack(">H", len(sos) + 2)
        + sos
        + bytes(64)
        + b"\xff\xd9"
    )
