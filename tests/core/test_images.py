"""Tests for content validation and normalization of photos."""

from __future__ import annotations

import contextlib
import io
import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from hostile import (
    GOOD_NAMES,
    ODD_DISPLAY_PREFIX,
    HostileCase,
    build_good_corpus,
    build_hostile_corpus,
    png_bytes,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from image2model_desktop.core import images
from image2model_desktop.core.errors import InvalidImageError
from image2model_desktop.core.images import (
    ImageInfo,
    load_rgba_array,
    make_thumbnail,
    open_normalized,
    validate_image,
    write_upload_copy,
)

# name: (format, width, height, mode, needs_reencode, has_alpha)
EXPECTED_INFO = {
    "rgb.jpg": ("JPEG", 64, 48, "RGB", False, False),
    "alpha.png": ("PNG", 64, 48, "RGBA", False, True),
    "cmyk.jpg": ("JPEG", 32, 24, "CMYK", True, False),
    "grey16.png": ("PNG", 16, 8, "I;16", True, False),
    "rgb16.png": ("PNG", 16, 8, "RGB", True, False),
    "grey.jpg": ("JPEG", 64, 48, "L", False, False),
    "palette_transparent.png": ("PNG", 32, 32, "P", True, True),
    "rotated6.jpg": ("JPEG", 40, 60, "RGB", True, False),
    "tiny.png": ("PNG", 8, 8, "RGB", False, False),
    "animated.png": ("PNG", 20, 20, "RGBA", False, True),
    "camera.mpo.jpg": ("JPEG", 64, 48, "RGB", False, False),
}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="module")
def hostile(corpus_dir: Path) -> list[HostileCase]:
    return build_hostile_corpus(corpus_dir / "hostile")


@pytest.fixture(scope="module")
def good(corpus_dir: Path) -> dict[str, Path]:
    return {path.name: path for path in build_good_corpus(corpus_dir / "good")}


def test_bombs_are_small_files(tmp_path: Path) -> None:
    hostile = build_hostile_corpus(tmp_path / "hostile")
    bombs = [case.path for case in hostile if case.path.stem == "bomb"]
    assert bombs and all(path.stat().st_size < 1024 * 1024 for path in bombs)


def test_every_hostile_case_is_refused_with_its_reason(hostile: list[HostileCase]) -> None:
    assert len({case.path.name for case in hostile}) == len(hostile)
    for case in hostile:
        # A bomb is refused for its megapixels, read from its header (how fast: bench/validate.py).
        with pytest.raises(InvalidImageError) as caught:
            validate_image(case.path, case.display_name)
        error = caught.value
        assert case.expect_reason_contains in error.reason.lower(), (case.path.name, error.reason)
        assert str(error).startswith(case.display_name + ": ")
        assert error.filename == case.display_name
        assert error.code == "INVALID_IMAGE"


def test_hostile_files_are_refused_by_every_reader(hostile: list[HostileCase]) -> None:
    for case in hostile:
        for read in (open_normalized, load_rgba_array, make_thumbnail):
            with pytest.raises(InvalidImageError):
                read(case.path)


def test_size_refusal_names_size_and_limit(hostile: list[HostileCase]) -> None:
    (huge,) = [case for case in hostile if case.path.name == "huge.jpg"]
    with pytest.raises(InvalidImageError) as caught:
        validate_image(huge.path, huge.display_name)
    assert caught.value.reason == "the file is 10.1 MB, over the 10 MB limit"


def test_missing_folder_and_fifo_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidImageError, match="could not be found"):
        validate_image(tmp_path / "gone.jpg", "gone.jpg")
    with pytest.raises(InvalidImageError, match="folder"):
        validate_image(tmp_path, "photos")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.jpg"
        os.mkfifo(fifo)
        # Opening a FIFO would block forever: it must be refused from stat alone.
        with pytest.raises(InvalidImageError, match="not a regular file"):
            validate_image(fifo, "pipe.jpg")


def test_unreadable_file_is_refused(tmp_path: Path, good: dict[str, Path]) -> None:
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("permissions do not apply")
    locked = tmp_path / "locked.jpg"
    locked.write_bytes(good["rgb.jpg"].read_bytes())
    locked.chmod(0)
    with pytest.raises(InvalidImageError, match="could not be read"):
        validate_image(locked, "locked.jpg")


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_file_is_accepted_with_right_info(name: str, good: dict[str, Path]) -> None:
    path = good[name]
    info = validate_image(path, ODD_DISPLAY_PREFIX + name)
    fmt, width, height, mode, needs_reencode, has_alpha = EXPECTED_INFO[name]
    assert info == ImageInfo(
        format=fmt,
        content_type="image/jpeg" if fmt == "JPEG" else "image/png",
        width=width,
        height=height,
        file_size=path.stat().st_size,
        mode=mode,
        needs_reencode=needs_reencode,
        has_alpha=has_alpha,
    )


def test_format_comes_from_content_not_name(tmp_path: Path, good: dict[str, Path]) -> None:
    png_named_jpg = tmp_path / "really a png.jpg"
    png_named_jpg.write_bytes(good["tiny.png"].read_bytes())
    no_suffix = tmp_path / "photo"
    no_suffix.write_bytes(good["rgb.jpg"].read_bytes())
    assert validate_image(png_named_jpg, "x.jpg").format == "PNG"
    assert validate_image(no_suffix, "photo").content_type == "image/jpeg"


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_open_normalized_gives_8bit_rgb_or_rgba(name: str, good: dict[str, Path]) -> None:
    info = validate_image(good[name], name)
    image = open_normalized(good[name])
    assert image.mode == ("RGBA" if info.has_alpha else "RGB")
    assert image.size == (info.width, info.height)


def test_orientation_is_applied(good: dict[str, Path]) -> None:
    image = open_normalized(good["rotated6.jpg"])
    assert image.size == (40, 60)
    # The red block stored top-left shows top-right once turned upright.
    assert _close(image.getpixel((40 - 8, 8)), (255, 0, 0))
    assert _close(image.getpixel((8, 8)), (255, 255, 255))
    assert _close(image.getpixel((40 - 8, 60 - 8)), (255, 255, 255))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillows_exif_transpose(tmp_path: Path, orientation: int) -> None:
    stored = Image.new("RGB", (48, 32), "white")
    stored.paste((255, 0, 0), (0, 0, 16, 16))
    stored.paste((0, 0, 255), (32, 16, 48, 32))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "oriented.png"
    stored.save(path, exif=exif)
    with Image.open(path) as reference:
        expected = np.asarray(ImageOps.exif_transpose(reference).convert("RGB"))
    info = validate_image(path, "oriented.png")
    assert (info.width, info.height) == (expected.shape[1], expected.shape[0])
    assert info.needs_reencode == (orientation != 1)
    assert np.array_equal(np.asarray(open_normalized(path)), expected)


def test_16bit_grey_is_scaled_not_clipped(good: dict[str, Path]) -> None:
    pixels = np.asarray(open_normalized(good["grey16.png"]))
    assert pixels[0, 0].tolist() == [0, 0, 0]
    assert pixels[0, 1].tolist() == [128, 128, 128]
    assert pixels[0, 2].tolist() == [255, 255, 255]
    assert pixels[0, 3].tolist() == [4, 4, 4]  # 1000 / 257, where clipping would give 255


def test_16bit_rgb_is_scaled(good: dict[str, Path]) -> None:
    assert open_normalized(good["rgb16.png"]).getpixel((3, 3)) == (255, 128, 0)


def test_16bit_grey_with_trns_gets_alpha(tmp_path: Path) -> None:
    rows = b"".join(b"\x00" + bytes.fromhex("00008080ffff8080") for _ in range(2))
    path = tmp_path / "grey16_trns.png"
    data = png_bytes(4, 2, zlib.compress(rows), bit_depth=16, colour_type=0)
    # Insert a tRNS chunk making 0x8080 transparent, right after IHDR.
    trns = b"\x00\x00\x00\x02tRNS\x80\x80" + _crc(b"tRNS\x80\x80")
    path.write_bytes(data[:33] + trns + data[33:])
    info = validate_image(path, "grey16_trns.png")
    assert info.has_alpha and info.needs_reencode
    pixels = np.asarray(open_normalized(path))
    assert pixels[0, :, 3].tolist() == [255, 0, 255, 0]
    assert pixels[0, 2, :3].tolist() == [255, 255, 255]


def test_cmyk_colour_is_roughly_right(good: dict[str, Path]) -> None:
    image = open_normalized(good["cmyk.jpg"])
    assert image.mode == "RGB"
    assert _close(image.getpixel((16, 12)), (255, 0, 0), tolerance=12)


def test_adobe_inverted_cmyk_is_read_upright(tmp_path: Path) -> None:
    # PIL writes CMYK JPEGs with an Adobe APP14 marker and stores them inverted.
    path = tmp_path / "adobe.jpg"
    Image.new("CMYK", (16, 16), (255, 0, 255, 0)).save(path, "JPEG", quality=95)
    assert b"Adobe" in path.read_bytes()
    assert _close(open_normalized(path).getpixel((8, 8)), (0, 255, 0), tolerance=12)


def test_transparency_survives_normalization(good: dict[str, Path]) -> None:
    palette = open_normalized(good["palette_transparent.png"])
    assert palette.getpixel((0, 0))[3] == 0
    assert palette.getpixel((16, 16)) == (200, 30, 30, 255)
    assert open_normalized(good["alpha.png"]).mode == "RGBA"


def test_grey_jpeg_becomes_rgb(good: dict[str, Path]) -> None:
    red, green, blue = open_normalized(good["grey.jpg"]).getpixel((30, 20))
    assert red == green == blue


def test_load_rgba_array_shapes(good: dict[str, Path]) -> None:
    full = load_rgba_array(good["rotated6.jpg"])
    assert full.shape == (60, 40, 4) and full.dtype == np.uint8
    assert (full[..., 3] == 255).all()
    small = load_rgba_array(good["rotated6.jpg"], max_side=30)
    assert small.shape == (30, 20, 4)
    assert _close(tuple(small[4, 16, :3].tolist()), (255, 0, 0), tolerance=40)
    never_upscaled = load_rgba_array(good["tiny.png"], max_side=100)
    assert never_upscaled.shape == (8, 8, 4)
    with pytest.raises(ValueError):
        load_rgba_array(good["tiny.png"], max_side=0)


def test_upload_copy_only_when_needed(tmp_path: Path, good: dict[str, Path]) -> None:
    dest = tmp_path / "uploads"
    for name in GOOD_NAMES:
        source = good[name]
        info = validate_image(source, name)
        copy = write_upload_copy(source, info, dest)
        if not info.needs_reencode:
            assert copy == source
            continue
        assert copy.parent == dest and copy != source
        copied = validate_image(copy, copy.name)
        assert not copied.needs_reencode, name
        assert (copied.width, copied.height) == (info.width, info.height)
        assert copied.format == ("PNG" if info.has_alpha else "JPEG")
    assert not list(dest.glob(".*")), "temporary files left behind"


def test_same_named_photos_get_separate_copies(tmp_path: Path) -> None:
    copies = set()
    for folder, grey in (("a", 0), ("b", 200)):
        source = tmp_path / folder / "IMG_0001.png"
        source.parent.mkdir()
        Image.new("LA", (8, 8), (grey, 100)).save(source)
        copies.add(write_upload_copy(source, validate_image(source, source.name), tmp_path))
    assert len(copies) == 2


def test_upload_copy_keeps_orientation_and_colour(tmp_path: Path, good: dict[str, Path]) -> None:
    source = good["rotated6.jpg"]
    copy = write_upload_copy(source, validate_image(source, "r.jpg"), tmp_path)
    with Image.open(copy) as image:
        assert image.getexif().get(0x0112) is None
        assert _close(image.getpixel((40 - 8, 8)), (255, 0, 0))


def test_make_thumbnail_is_small_png(good: dict[str, Path]) -> None:
    for name in GOOD_NAMES:
        data = make_thumbnail(good[name], size=32)
        with Image.open(io.BytesIO(data)) as thumb:
            assert thumb.format == "PNG"
            assert max(thumb.size) <= 32
    with Image.open(io.BytesIO(make_thumbnail(good["rotated6.jpg"], size=30))) as thumb:
        assert thumb.size == (20, 30)


def test_thumbnail_of_large_jpeg_keeps_aspect(tmp_path: Path) -> None:
    path = tmp_path / "wide.jpg"
    Image.new("RGB", (3000, 1000), (0, 128, 255)).save(path, "JPEG")
    with Image.open(io.BytesIO(make_thumbnail(path))) as thumb:
        assert thumb.size == (160, 53)
        assert _close(thumb.convert("RGB").getpixel((80, 26)), (0, 128, 255), tolerance=12)


def test_upload_copy_is_shrunk_to_fit_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Grey+alpha noise doubles in size as an RGBA PNG; a small limit keeps this fast.
    limit = 40_000
    monkeypatch.setattr(images, "MAX_FILE_BYTES", limit)
    noise = np.random.default_rng(3).integers(0, 256, (120, 120), dtype=np.uint8)
    path = tmp_path / "noise_la.png"
    Image.fromarray(np.stack([noise, noise], axis=-1), "LA").save(path, compress_level=1)
    info = validate_image(path, "noise_la.png")
    assert info.needs_reencode and info.file_size <= limit
    copy = write_upload_copy(path, info, tmp_path / "out")
    copied = validate_image(copy, copy.name)
    assert copied.file_size <= limit
    assert 60 < copied.width < 120 and copied.width == copied.height


ODD_NAMES = st.sampled_from(["../../etc/passwd.jpg", "фото 1 📷.png", "  spaced .jpg", "a\nb.png"])
MAGIC_PREFIXES = st.sampled_from(
    [
        b"",
        b"\xff\xd8\xff",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        b"\x89PNG\r\n\x1a\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ]
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(prefix=MAGIC_PREFIXES, body=st.binary(max_size=2048), name=ODD_NAMES)
def test_random_bytes_never_escape_as_other_errors(
    tmp_path: Path, prefix: bytes, body: bytes, name: str
) -> None:
    path = tmp_path / ("fuzz.png" if name.endswith(".png") else "fuzz.jpg")
    path.write_bytes(prefix + body)
    try:
        info = validate_image(path, name)
    except InvalidImageError as error:
        assert str(error).startswith(name + ": ")
        return
    assert info.width * info.height > 0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cut=st.integers(min_value=1, max_value=400), flip=st.integers(0, 255))
def test_damaged_real_images_never_escape(tmp_path: Path, cut: int, flip: int) -> None:
    source = io.BytesIO()
    Image.new("RGB", (24, 24), (flip, 40, 90)).save(source, "JPEG")
    data = bytearray(source.getvalue())
    data[min(cut, len(data) - 1)] ^= flip
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data[: len(data) - cut]))
    with contextlib.suppress(InvalidImageError):
        open_normalized(path)


def _close(actual: object, expected: tuple[int, ...], tolerance: int = 30) -> bool:
    assert isinstance(actual, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(actual, expected, strict=False))


def _crc(data: bytes) -> bytes:
    return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
