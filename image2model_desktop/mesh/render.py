"""Still pictures of models without a window: grid pictures, the offline engine's preview.

``pv.Plotter(off_screen=True)`` draws them in the app's one picture worker
(``core.workers.draws_pictures``; with no display VTK renders through EGL on
Mesa's llvmpipe). The worker keeps one plotter, resized for each picture size,
so only the first picture pays for the imports and the GL context (measured
in ``bench/render.py``: cold about 1.6 s, warm 0.2–0.8 s); one plotter per
size cost 15–30 MB more per size (``bench/memory.py``).
Pictures use the preview's lights, background and three-quarter view
(:mod:`.stage`), drawn at twice the size and reduced, which smooths edges
for less than llvmpipe's multisampling costs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from image2model_desktop.core.fsutil import atomic_destination
from image2model_desktop.core.workers import draws_pictures
from image2model_desktop.mesh import stage

#: Each output pixel averages SUPERSAMPLE² drawn pixels.
SUPERSAMPLE = 2

_plotters: list[Any] = []


@draws_pictures
def render_preview(model_path: Path, out_png: Path, size: int = 512) -> Path:
    """Render ``model_path`` in three-quarter view to a ``size``² PNG at ``out_png``."""
    pixels = render_model(model_path, (size, size))
    save_png(pixels, out_png)
    return out_png


def render_model(
    model_path: Path,
    size: tuple[int, int],
    *,
    azimuth: float = stage.AZIMUTH,
    elevation: float = stage.ELEVATION,
    transparent: bool = False,
) -> NDArray[np.uint8]:
    """Return an (h, w, 3) (or RGBA when ``transparent``) picture of the model."""
    model = stage.build_view_model(model_path)
    with Staged(model, size) as staged:
        return staged.picture(azimuth, elevation, transparent=transparent)


class Staged:
    """A model on a warm off-screen plotter; pictures from any angle until closed."""

    def __init__(self, model: stage.ViewModel, size: tuple[int, int]) -> None:
        self.model = model
        self.size = size
        self.plotter = _plotter(size)
        self.actors = stage.make_actors(model)
        renderer = self.plotter.renderer
        for actor in self.actors:
            renderer.AddActor(actor)
        stage.set_shading(self.actors, stage.Lighting.SOFT)

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def picture(
        self, azimuth: float, elevation: float, *, transparent: bool = False
    ) -> NDArray[np.uint8]:
        width, height = self.size
        stage.frame_camera(
            self.plotter.renderer,
            self.model,
            width / height,
            azimuth=azimuth,
            elevation=elevation,
        )
        self.plotter.camera_set = True  # else pyvista resets the camera at the first render
        # pyvista's screenshot reads the last frame (it draws only the first): draw this one.
        self.plotter.render()
        image = self.plotter.screenshot(None, transparent_background=transparent, return_img=True)
        return _reduce(np.asarray(image, dtype=np.uint8))

    def close(self) -> None:
        renderer = self.plotter.renderer
        for actor in self.actors:
            actor.ReleaseGraphicsResources(self.plotter.ren_win)
            renderer.RemoveActor(actor)
        self.actors = []


def _plotter(size: tuple[int, int]) -> Any:
    """The worker's plotter (made once, then reused), sized for pictures of ``size``."""
    width, height = size
    window = [width * SUPERSAMPLE, height * SUPERSAMPLE]
    if _plotters:
        warm: Any = _plotters[0]
        if list(warm.window_size) != window:
            warm.window_size = window
        return warm
    # Off-screen pictures need no display: EGL keeps workers off the X server (a
    # worker holding an X connection dies noisily when the display goes first), and
    # without a display VTK would try X first and print "bad X server connection".
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    plotter: Any = pv.Plotter(off_screen=True, window_size=window, lighting="none")
    # Multisampling is llvmpipe's largest single cost; the supersampled reduction smooths.
    plotter.ren_win.SetMultiSamples(0)
    stage.set_background(plotter.renderer)
    stage.set_lights(plotter.renderer, stage.Lighting.SOFT)
    _plotters.append(plotter)
    return plotter


def _reduce(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Average SUPERSAMPLE² blocks into one pixel."""
    height, width = image.shape[0] // SUPERSAMPLE, image.shape[1] // SUPERSAMPLE
    blocks = image[: height * SUPERSAMPLE, : width * SUPERSAMPLE].astype(np.float32)
    blocks = blocks.reshape(height, SUPERSAMPLE, width, SUPERSAMPLE, image.shape[2])
    reduced: NDArray[np.uint8] = np.rint(blocks.mean(axis=(1, 3))).astype(np.uint8)
    return reduced


def save_png(pixels: NDArray[np.uint8], out_png: Path) -> None:
    from PIL import Image

    with atomic_destination(out_png) as tmp:
        # Level 3 writes a few percent more bytes than the default 6, in a third of the time.
        Image.fromarray(pixels).save(tmp, format="PNG", compress_level=3)
