"""Turntable animations and contact sheets, drawn off-screen with PyVista.

A turntable is one orbit of the model around its up axis, rendered in the
picture worker (:mod:`.render` keeps the plotter warm) in chunks, so the window can
show progress and stay responsive, then encoded: GIF with Pillow, MP4 with
imageio-ffmpeg (H.264, the ffmpeg binary ships inside that wheel).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from image2model_desktop.core.errors import TurntableError
from image2model_desktop.core.fsutil import atomic_destination
from image2model_desktop.core.workers import draws_pictures
from image2model_desktop.mesh import stage

FORMATS = (".gif", ".mp4")
DEFAULT_FRAMES = 72
DEFAULT_SIZE = (480, 480)
DEFAULT_FPS = 24
MAX_FRAMES = 720
MAX_SIDE = 2048

_staged: dict[tuple[str, float, tuple[int, int]], object] = {}


def check_request(out: Path, frames: int, size: tuple[int, int]) -> None:
    """Raise TurntableError with one sentence when the options cannot work."""
    if out.suffix.lower() not in FORMATS:
        raise TurntableError(f"{out.name}: a turntable is saved as .gif or .mp4.")
    if not 2 <= frames <= MAX_FRAMES:
        raise TurntableError(f"The number of frames must be between 2 and {MAX_FRAMES}.")
    if not all(16 <= side <= MAX_SIDE for side in size):
        raise TurntableError(f"Width and height must be between 16 and {MAX_SIDE} pixels.")


def parse_size(text: str) -> tuple[int, int]:
    """``"640x480"`` → (640, 480); TurntableError otherwise."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise TurntableError(f"{text!r} is not a size like 640x480.")
    return int(parts[0]), int(parts[1])


def even(size: tuple[int, int]) -> tuple[int, int]:
    """H.264 wants even sides: round down (what ffmpeg would otherwise refuse)."""
    return size[0] - size[0] % 2, size[1] - size[1] % 2


@draws_pictures
def render_frames(
    model: Path, folder: Path, first: int, stop: int, frames: int, size: tuple[int, int]
) -> int:
    """Draw frames ``first`` … ``stop - 1`` of ``frames`` into ``folder`` (picture worker).

    The model stays loaded in this worker between chunks of the same turntable.
    """
    from image2model_desktop.mesh.render import Staged

    key = (str(model), model.stat().st_mtime, size)
    staged = _staged.get(key)
    if not isinstance(staged, Staged):
        for old in _staged.values():
            if isinstance(old, Staged):
                old.close()
        _staged.clear()
        staged = Staged(stage.build_view_model(model), size)
        _staged[key] = staged
    for index in range(first, stop):
        azimuth = stage.AZIMUTH + 360.0 * index / frames
        pixels = staged.picture(azimuth, stage.ELEVATION)
        np.save(folder / f"frame{index:04}.npy", pixels)
    return stop - first


def encode(folder: Path, frames: int, out: Path, fps: int = DEFAULT_FPS) -> Path:
    """Join the frames in ``folder`` into ``out`` (.gif or .mp4), written atomically."""
    from PIL import Image

    pictures = [np.load(folder / f"frame{index:04}.npy") for index in range(frames)]
    suffix = out.suffix.lower()
    with atomic_destination(out) as tmp:
        if suffix == ".gif":
            images = [Image.fromarray(picture) for picture in pictures]
            images[0].save(
                tmp,
                format="GIF",
                save_all=True,
                append_images=images[1:],
                duration=round(1000 / fps),
                loop=0,
            )
        else:
            _write_mp4(tmp, pictures, fps)
    return out


def _write_mp4(target: Path, pictures: Sequence[NDArray[np.uint8]], fps: int) -> None:
    import imageio_ffmpeg

    height, width = pictures[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(target),
        (width, height),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=2,
        output_params=["-f", "mp4"],
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for picture in pictures:
        writer.send(np.ascontiguousarray(picture))
    writer.close()


def make_turntable(
    model: Path,
    out: Path,
    frames: int = DEFAULT_FRAMES,
    size: tuple[int, int] = DEFAULT_SIZE,
    fps: int = DEFAULT_FPS,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Render and encode a turntable in this process (the command line)."""
    import tempfile

    if out.suffix.lower() == ".mp4":
        size = even(size)
    check_request(out, frames, size)
    chunk = max(1, frames // 12)
    with tempfile.TemporaryDirectory(prefix="image2model-turntable-") as folder:
        for first in range(0, frames, chunk):
            stop = min(frames, first + chunk)
            render_frames(model, Path(folder), first, stop, frames, size)
            if progress is not None:
                progress(stop, frames)
        return encode(Path(folder), frames, out, fps)


def frame_count(path: Path) -> int:
    """How many frames an animation file holds (tests and the command's summary)."""
    if path.suffix.lower() == ".gif":
        from PIL import Image

        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1))
    import imageio_ffmpeg

    frames, _seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    return int(frames)


# -- contact sheets ----------------------------------------------------------------------------

SHEET_TILE = 256
SHEET_CAPTION = 34
SHEET_GAP = 12


@draws_pictures
def contact_sheet(models: Sequence[Path], out: Path, captions: Sequence[str] = ()) -> Path:
    """One PNG with a picture of every model in a grid, each captioned with its name."""
    from PIL import Image, ImageDraw, ImageFont

    from image2model_desktop.mesh.render import render_model

    if not models:
        raise TurntableError("There is no model to put on a contact sheet.")
    labels = list(captions) or [path.stem for path in models]
    columns = max(1, math.ceil(math.sqrt(len(models))))
    rows = math.ceil(len(models) / columns)
    cell_w, cell_h = SHEET_TILE + SHEET_GAP, SHEET_TILE + SHEET_CAPTION + SHEET_GAP
    sheet = Image.new(
        "RGB", (columns * cell_w + SHEET_GAP, rows * cell_h + SHEET_GAP), (250, 250, 251)
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=15)
    for index, (path, label) in enumerate(zip(models, labels, strict=False)):
        column, row = index % columns, index // columns
        left, top = SHEET_GAP + column * cell_w, SHEET_GAP + row * cell_h
        picture = render_model(path, (SHEET_TILE, SHEET_TILE))
        sheet.paste(Image.fromarray(picture), (left, top))
        text = label if len(label) <= 30 else label[:29] + "…"
        draw.text((left + 4, top + SHEET_TILE + 8), text, fill=(40, 44, 52), font=font)
    with atomic_destination(out) as tmp:
        sheet.save(tmp, format="PNG")
    return out
