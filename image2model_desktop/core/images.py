"""Validate photos by content and turn them into upright 8-bit RGB(A) pixels.

Every function here is synchronous and CPU-bound: callers run it in an
executor, never on the event loop. Anything wrong with a file's *content*
surfaces as :class:`InvalidImageError` carrying a sentence for the user; the
log keeps the technical detail but never the file's bytes.

Nearly 500 lines on purpose: reading bytes within limits, sniffing the format,
decoding, checking dimensions and normalizing (EXIF turn, CMYK, 16-bit) are
one pass over one untrusted file, and each step depends on what the last found.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from image2model_desktop.core.errors import InvalidImageError

__all__ = [
    "ACCEPTED_SUFFIXES",
    "MAX_FILES_PER_BATCH",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "ImageInfo",
    "load_rgba_array",
    "make_thumbnail",
    "open_normalized",
    "validate_image",
    "write_upload_copy",
]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_FILES_PER_BATCH = 25
# Only used to pick files out of a dropped folder; validation goes by content.
ACCEPTED_SUFFIXES = (".jpg", ".jpeg", ".png")

ImageFormat = Literal["JPEG", "PNG"]
_CONTENT_TYPES: dict[ImageFormat, Literal["image/jpeg", "image/png"]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
}
# Modes any image service decodes as-is; everything else is re-encoded first.
_PLAIN_MODES = frozenset({"L", "RGB", "RGBA"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_EXIF_ORIENTATION = 0x0112
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
# The table ImageOps.exif_transpose uses. Applying it from the orientation read
# once in _decode keeps the pixels and ImageInfo's width/height in agreement,
# and avoids re-parsing (and re-serializing) EXIF that may be malformed.
_ORIENTATION_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_JPEG_QUALITY = 95
_UNSUPPORTED = "only JPEG and PNG photos are supported"
_CORRUPT = "the image data is truncated or corrupt"
JpegLayout = Literal["scan", "no-scan", "malformed"]


@dataclass(frozen=True)
class ImageInfo:
    """What validation learned about one accepted photo."""

    format: ImageFormat
    content_type: Literal["image/jpeg", "image/png"]
    #: Size as displayed, after the EXIF orientation is applied.
    width: int
    height: int
    file_size: int
    #: PIL mode as decoded, before any normalization.
    mode: str
    #: True when the file must be rewritten before upload (see ``write_upload_copy``).
    needs_reencode: bool
    has_alpha: bool


@dataclass
class _Decoded:
    image: Image.Image
    format: ImageFormat
    file_size: int
    bit_depth: int
    orientation: int


def validate_image(path: Path, display_name: str) -> ImageInfo:
    """Decode ``path`` fully and describe it, or refuse it with a reason.

    ``display_name`` is only used in the error message.
    """
    decoded = _decode(path, display_name)
    with decoded.image as image:
        width, height = image.size
        if decoded.orientation in _SWAPPING_ORIENTATIONS:
            width, height = height, width
        has_alpha = _has_alpha(image)
        needs_reencode = (
            decoded.orientation in _ORIENTATION_TRANSPOSES
            or image.mode not in _PLAIN_MODES
            or decoded.bit_depth > 8
            # tRNS transparency is easy for a remote decoder to drop: make it a real channel.
            or (has_alpha and image.mode != "RGBA")
        )
        return ImageInfo(
            format=decoded.format,
            content_type=_CONTENT_TYPES[decoded.format],
            width=width,
            height=height,
            file_size=decoded.file_size,
            mode=image.mode,
            needs_reencode=needs_reencode,
            has_alpha=has_alpha,
        )


def open_normalized(path: Path) -> Image.Image:
    """Return the photo upright, as 8-bit RGB, or RGBA when it has any transparency."""
    return _normalize(_decode(path, path.name))


def load_rgba_array(path: Path, max_side: int | None = None) -> npt.NDArray[np.uint8]:
    """Return the photo as an (H, W, 4) uint8 array, shrunk to fit ``max_side`` if given."""
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    draft = None if max_side is None else (max_side, max_side)
    image = _normalize(_decode(path, path.name, draft_size=draft))
    if max_side is not None:
        image = _shrink_to_fit(image, max_side)
    return np.array(image.convert("RGBA"), dtype=np.uint8)


def write_upload_copy(path: Path, info: ImageInfo, dest_dir: Path) -> Path:
    """Return a file safe to upload: ``path`` itself, or a normalized copy in ``dest_dir``.

    The copy is a PNG when the photo has transparency, else a quality-95 JPEG.
    It is shrunk (never enlarged) only if it would not fit under ``MAX_FILE_BYTES``.
    """
    if not info.needs_reencode:
        return path
    image = open_normalized(path)
    if image.mode == "RGBA":
        save_format, suffix = "PNG", ".png"
    else:
        save_format, suffix = "JPEG", ".jpg"
    payload = _encode_within_limit(image, save_format)
    dest_dir.mkdir(parents=True, exist_ok=True)
    # The content hash keeps same-named photos from different folders apart.
    digest = hashlib.sha256(payload).hexdigest()[:12]
    target = dest_dir / f"{path.stem}.{digest}.upload{suffix}"
    _write_atomically(target, payload)
    return target


def make_thumbnail(path: Path, size: int = 160) -> bytes:
    """Return a PNG of the upright photo fitting in ``size`` × ``size``, aspect kept."""
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    image = _normalize(_decode(path, path.name, draft_size=(size, size)))
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _decode(
    path: Path, display_name: str, *, draft_size: tuple[int, int] | None = None
) -> _Decoded:
    """Read, size-check and fully decode one photo; refuse bad content."""
    data = _read_bounded(path, display_name)
    kind = _sniff(data)
    if kind not in ("JPEG", "PNG"):
        raise _refuse(display_name, f"this is {kind}; {_UNSUPPORTED}")
    image_format: ImageFormat = "JPEG" if kind == "JPEG" else "PNG"
    # PIL's own bomb guard is a process-wide setting another module may relax,
    # and it warns (an exception under -W error) instead of refusing, so check
    # the declared size ourselves before PIL sees the file.
    layout: JpegLayout = "scan"
    if image_format == "PNG":
        declared = _png_size(data)
    else:
        declared, layout = _jpeg_layout(data)
    if declared is not None:
        _check_dimensions(display_name, *declared)
    if layout == "no-scan":
        raise _refuse(display_name, "the JPEG file has headers but no image data")
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(display_name, _too_many_pixels(None), exc) from None
    except Exception as exc:
        raise _refuse(display_name, _CORRUPT, exc) from None
    try:
        _check_dimensions(display_name, *image.size)
        bit_depth = data[24] if image_format == "PNG" and data[12:16] == b"IHDR" else 8
        if draft_size is not None and image_format == "JPEG":
            # Let libjpeg decode at 1/2..1/8 scale: thumbnails of 40 MP photos stay cheap.
            image.draft(None, draft_size)
        image.load()
        orientation = _orientation(image)
    except InvalidImageError:
        image.close()
        raise
    except Exception as exc:
        image.close()
        raise _refuse(display_name, _CORRUPT, exc) from None
    return _Decoded(image, image_format, len(data), bit_depth, orientation)


def _read_bounded(path: Path, display_name: str) -> bytes:
    """Return the whole file, refusing missing, special, empty and oversized files."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _refuse(display_name, "the file could not be found") from None
    except OSError as exc:
        raise _refuse(display_name, "the file could not be read", exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(display_name, "this is a folder, not a photo")
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO or device would block or never end.
        raise _refuse(display_name, "this is not a regular file")
    if info.st_size == 0:
        raise _refuse(display_name, "the file is empty")
    if info.st_size > MAX_FILE_BYTES:
        raise _refuse(display_name, _too_big(info.st_size))
    try:
        with path.open("rb") as stream:
            # Read one snapshot, bounded: the file may change after the stat.
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _refuse(display_name, "the file could not be read", exc) from None
    if not data:
        raise _refuse(display_name, "the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(display_name, _too_big(len(data)))
    return data


def _sniff(data: bytes) -> str:
    """Return "JPEG", "PNG", or a phrase naming what the file is instead."""
    head = data[:4096]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF image"
    if b"%PDF-" in head[:1024]:
        return "a PDF document"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "an AVIF image"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "a HEIC photo (export it as JPEG first)"
        return "a video or other media file"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "a TIFF image"
    if head.startswith(b"BM") and len(head) >= 18 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return "a BMP image"
    if head.startswith(b"8BPS"):
        return "a Photoshop document"
    if head.startswith(b"\x7fELF") or head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ):
        return "an executable program"
    if head.startswith(b"MZ") and _as_text(head) is None:
        return "an executable program"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive or office document"
    text = _as_text(head)
    if text is not None:
        if "<svg" in text.lower():
            return "an SVG drawing"
        return "a text file"
    return "not a JPEG or PNG image"


def _as_text(head: bytes) -> str | None:
    """Return ``head`` decoded when it reads as text, else None."""
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", errors="replace")
    # Tolerate a multi-byte character cut off at the end of the sample.
    if "\ufffd" in text[:-1]:
        return None
    printable = sum(ch.isprintable() or ch in "\t\r\n\f" for ch in text)
    return text if printable >= 0.95 * len(text) else None


def _png_size(data: bytes) -> tuple[int, int] | None:
    """Return the (width, height) declared by the IHDR chunk, if it comes first."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_layout(data: bytes) -> tuple[tuple[int, int] | None, JpegLayout]:
    """Walk the JPEG header segments up to the first scan.

    Return the frame's (width, height) if found, and "scan" when image data
    follows, "no-scan" when whole header segments end the file, "malformed"
    when a segment is broken or runs past the end.
    """
    size: tuple[int, int] | None = None
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            return size, "malformed"
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte before a marker
            offset += 1
            continue
        if marker == 0xDA:
            return size, "scan"
        if marker == 0xD9:
            return size, "no-scan"
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        if length < 2 or offset + 2 + length > len(data):
            return size, "malformed"
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC); the last one wins, as in PIL.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and length >= 7:
            height = int.from_bytes(data[offset + 5 : offset + 7], "big")
            width = int.from_bytes(data[offset + 7 : offset + 9], "big")
            size = (width, height)
        offset += 2 + length
    return size, "no-scan"


def _check_dimensions(display_name: str, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise _refuse(display_name, "the image has no pixels (zero width or height)")
    if width * height > MAX_PIXELS:
        raise _refuse(display_name, _too_many_pixels((width, height)))


def _orientation(image: Image.Image) -> int:
    """Return the EXIF orientation, treating unreadable EXIF as upright."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception as exc:
        logger.info("ignoring unreadable EXIF (%s: %s)", type(exc).__name__, exc)
        return 1
    return value if isinstance(value, int) else 1


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _normalize(decoded: _Decoded) -> Image.Image:
    """Apply the EXIF orientation and convert to 8-bit RGB or RGBA."""
    image = decoded.image
    has_alpha = _has_alpha(image)
    # Colour profiles only stay valid when the colour space does not change.
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA", "P") else None
    target = "RGBA" if has_alpha else "RGB"
    if image.mode.startswith("I"):
        result = _wide_grey_to_8bit(image, decoded.bit_depth, has_alpha)
    elif image.mode == target:
        result = image
    else:
        result = image.convert(target)
    if result is not image:
        image.close()
    transpose = _ORIENTATION_TRANSPOSES.get(decoded.orientation)
    if transpose is not None:
        upright = result.transpose(transpose)
        result.close()
        result = upright
    result.info = {"icc_profile": icc} if icc else {}
    return result


def _wide_grey_to_8bit(image: Image.Image, bit_depth: int, has_alpha: bool) -> Image.Image:
    """Scale 16-bit greyscale to 0..255; PIL's own convert clips at 255 instead."""
    wide = np.asarray(image)
    top = (1 << bit_depth) - 1 if bit_depth > 8 else 255
    # uint32 holds 65535 * 255; in-place steps keep a 40 MP photo to one extra buffer.
    scaled = np.clip(wide, 0, top).astype(np.uint32)
    scaled *= 255
    scaled += top // 2
    scaled //= top
    grey = scaled.astype(np.uint8)
    channels = [grey, grey, grey]
    if has_alpha:
        transparent = image.info.get("transparency")
        channels.append(np.where(wide == transparent, 0, 255).astype(np.uint8))
    return Image.fromarray(np.stack(channels, axis=-1), "RGBA" if has_alpha else "RGB")


def _shrink_to_fit(image: Image.Image, max_side: int) -> Image.Image:
    width, height = image.size
    if max(width, height) <= max_side:
        return image
    scale = max_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_within_limit(image: Image.Image, save_format: str) -> bytes:
    """Encode ``image``, shrinking it until the result fits ``MAX_FILE_BYTES``."""
    options: dict[str, object] = {}
    if save_format == "JPEG":
        # Full-resolution chroma: the copy replaces the original, so keep its detail.
        options = {"quality": _JPEG_QUALITY, "subsampling": 0}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    # Re-encoding can grow a file (palette PNG → RGBA PNG, q85 JPEG → q95): the
    # copy must pass the same limit as the originals, so shrink in a few steps.
    for _ in range(6):
        buffer = io.BytesIO()
        image.save(buffer, save_format, **options)
        if buffer.tell() <= MAX_FILE_BYTES:
            return buffer.getvalue()
        scale = math.sqrt(MAX_FILE_BYTES / buffer.tell()) * 0.9
        width, height = image.size
        image = image.resize(
            (max(1, int(width * scale)), max(1, int(height * scale))),
            Image.Resampling.LANCZOS,
        )
    raise ValueError("could not encode the image under the upload size limit")


def _write_atomically(target: Path, payload: bytes) -> None:
    descriptor, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _too_big(size: int) -> str:
    return (
        # Round up so a file just over the limit never reads as "10.0 MB".
        f"the file is {math.ceil(size * 10 / (1024 * 1024)) / 10:.1f} MB, over the "
        f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit"
    )


def _too_many_pixels(size: tuple[int, int] | None) -> str:
    limit = f"the {MAX_PIXELS // 1_000_000}-megapixel limit"
    if size is None:
        return f"the image is larger than {limit}"
    width, height = size
    return (
        f"the image is {width} × {height} pixels "
        f"({width * height / 1_000_000:.0f} megapixels), over {limit}"
    )


def _refuse(
    display_name: str, reason: str, cause: BaseException | None = None
) -> InvalidImageError:
    """Log why a file was refused and build the error for the user."""
    if cause is None:
        logger.info("refused %r: %s", display_name, reason)
    else:
        # The exception text names the decoder's complaint, never the file's bytes.
        logger.info(
            "refused %r: %s (%s: %.200s)", display_name, reason, type(cause).__name__, cause
        )
    return InvalidImageError(display_name, reason)
