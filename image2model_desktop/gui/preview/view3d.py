"""The window's one 3D view: a pyvistaqt ``QtInteractor`` in a native child window.

Why it is built this way (measured on llvmpipe; docs/architecture.md has the figures):

* **Its own native window.** pyvistaqt's interactor is a ``QOpenGLWidget``.
  Once one is part of a top-level window, Qt composes *every* repaint of that
  window through OpenGL (8–14 ms per label repaint here instead of < 1 ms),
  even after it is hidden or deleted. Inside a ``WA_NativeWindow`` host only
  the host's own window is composed that way, and the rest of the window keeps
  raster repaints; ``QWidget.grab()`` still includes the 3D pixels.
* **One frame per paint.** pyvistaqt renders in ``paintGL`` every time, and a
  render requested elsewhere (the camera style, pyvista's ``render()``) asks
  for a repaint as well, so each change would cost two frames. Here the
  interactor's own renders are turned into repaint requests, and the scene is
  only drawn inside ``paintGL``; several mouse moves between two paints cost
  one frame.
* **A stand-in while the camera moves.** Models over ``STANDIN_FACES`` faces
  get a decimated copy (built in the process pool) that is drawn while a
  mouse button is held or the wheel turns; full detail returns on release.
* **No anti-aliasing, no automatic renders**: multisampling is llvmpipe's
  largest cost, and pyvistaqt's auto-update timer renders even when nothing
  changed.

Input handling, the OpenGL check, overlays and the comparison's second renderer
live in their own modules; what is left here (~450 lines) is the one object that
owns the interactor's life, its frames and its scene.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from image2model_desktop.core.errors import GLUnavailableError
from image2model_desktop.gui.preview.glcheck import opengl_renderer
from image2model_desktop.gui.preview.view_input import ViewInput
from image2model_desktop.gui.qt import (
    QApplication,
    QEvent,
    QObject,
    QRect,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.mesh import overlays, stage
from image2model_desktop.mesh.stage import Lighting, ViewModel
from image2model_desktop.mesh.units import format_length

__all__ = ["GLUnavailableError", "ModelView", "opengl_renderer"]

log = logging.getLogger(__name__)

#: After the last wheel step, full detail comes back this much later.
WHEEL_SETTLE_MS = 250


class UncoverRepaint(QObject):
    """Redraw the part of ``window`` that a popup, tooltip or dialog covered, once it hides.

    The view makes its ancestors native windows, and Qt makes their siblings native
    too. With no compositor (Xvfb alone or under openbox, on a 24-bit display), a
    menu hanging over the window's right edge (the preview toolbar's », any menu
    there) stayed painted over the card's and the page's margins after it closed:
    each native window got its Expose and Qt flushed, but the pixels came back only
    at the next repaint (tests/gui/test_repaint.py). A repaint of the covered
    rectangle brings them back. An application-wide filter sees every event; it
    compares the type and returns (about 1.3 µs per event, measured).
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Hide
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and watched is not self._window
        ):
            frame = watched.frameGeometry()
            covered = QRect(self._window.mapFromGlobal(frame.topLeft()), frame.size())
            covered &= self._window.rect()
            if not covered.isEmpty():
                self._window.update(covered)
        return False


class ModelView(QWidget):
    """Show one model at a time in the interactor; every change ends in one repaint."""

    frameDrawn = Signal()
    #: A click in measuring mode picked a point (x, y, z) on the surface.
    pointPicked = Signal(np.ndarray)

    def __init__(self, parent: QWidget | None = None) -> None:
        #: The OpenGL renderer's name (About dialog, log); raises without OpenGL.
        self.gl_renderer = opengl_renderer()
        self.released = False
        super().__init__(parent)
        import pyvista as pv
        from pyvistaqt import QtInteractor

        # Confine OpenGL composition to this widget's own native window (see module doc).
        # Its ancestors become native windows too, as Qt does by default: with
        # WA_DontCreateNativeAncestors (41 ms saved at the results page's first show) the
        # window no longer redrew what a closed dialog, menu or other window had covered
        # when no compositor keeps a copy (Xvfb, openbox, VNC): tests/gui/test_repaint.py.
        self.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self.setObjectName("previewView")
        self._uncover = UncoverRepaint(self.window())
        _application().installEventFilter(self._uncover)
        theme = pv.themes.Theme()
        theme.anti_aliasing = None
        theme.multi_samples = 0
        theme.depth_peeling.enabled = False
        self.plotter: Any = QtInteractor(
            self, auto_update=False, lighting="none", theme=theme, multi_samples=0
        )
        self.plotter.setObjectName("previewInteractor")
        self.plotter.setAccessibleName("3D view: drag to turn, right-drag to pan, wheel to zoom")
        # Its own drop handler would load dropped files into the scene: photos go to the tray.
        self.plotter.setAcceptDrops(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plotter)
        self.renderer: Any = self.plotter.renderer
        stage.set_background(self.renderer)
        stage.set_lights(self.renderer, Lighting.SOFT)
        self._route_renders_through_paint()
        self._filter = ViewInput(self)
        self._filter.resized.connect(self._on_resized)
        self._filter.dragged.connect(self._on_dragged)
        self._filter.dragEnded.connect(lambda: QTimer.singleShot(0, self.show_full_detail))
        self._filter.clicked.connect(self._on_clicked)
        self._filter.wheelTurned.connect(self.wheel_turned)
        self.plotter.installEventFilter(self._filter)
        self.plotter.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.frames = 0
        #: How long the last frames took to draw (benchmarks read it).
        self.frame_seconds: deque[float] = deque(maxlen=64)
        self._frame_started = time.perf_counter()
        #: Qt-thread time of the last ``show_model`` (adding actors, styles, camera).
        self.show_seconds = 0.0
        self.released = False
        self.model: ViewModel | None = None
        self.actors: list[Any] = []
        self._overlays: dict[str, list[Any]] = {}
        self.textured = True
        self.wireframe = False
        self.pbr = False
        self.lighting = Lighting.SOFT
        self.dark = False
        self._standin_shown = False
        #: Per-part face colours drawn instead of the texture (a print map), or None.
        self._face_colours: list[NDArray[np.uint8]] | None = None
        self.framed = False
        self._wheel_timer = QTimer(self)
        self._wheel_timer.setSingleShot(True)
        self._wheel_timer.setInterval(WHEEL_SETTLE_MS)
        self._wheel_timer.timeout.connect(self.show_full_detail)
        self._section: Any = None
        #: The right-hand model while two are compared side by side, else None.
        self.compared: ViewModel | None = None
        self._second: Any = None  # mesh.compare.SecondPane, made at the first comparison
        self._framing: ViewModel | None = None

    # -- frames -------------------------------------------------------------------------

    def _route_renders_through_paint(self) -> None:
        """Draw only inside ``paintGL``: other render requests become repaint requests."""
        plotter = self.plotter
        ren_win = plotter.ren_win
        interactor = ren_win.GetInteractor()
        interactor.EnableRenderOff()

        def on_render_request(_obj: Any, _event: str) -> None:
            if getattr(plotter, "_in_paint", False):
                ren_win.Render()
            else:
                plotter.update()

        def on_start(_obj: Any, _event: str) -> None:
            self._frame_started = time.perf_counter()

        def on_frame(_obj: Any, _event: str) -> None:
            if not self.frames:
                self.gl_renderer = _renderer_name(ren_win.ReportCapabilities(), self.gl_renderer)
            self.frames += 1
            self.frame_seconds.append(time.perf_counter() - self._frame_started)
            self.frameDrawn.emit()

        # VTK holds these callables (and so this view) from C++, out of the garbage
        # collector's sight: ``release`` removes them, or the view would never be freed.
        self._observers = [
            (interactor, interactor.AddObserver("RenderEvent", on_render_request)),
            (ren_win, ren_win.AddObserver("StartEvent", on_start)),
            (ren_win, ren_win.AddObserver("EndEvent", on_frame)),
        ]
        # pyvista would reset the camera at the first render; we frame it ourselves.
        plotter.camera_set = True

    def request_frame(self) -> None:
        """Ask for one repaint (drawn at the next paint; nothing drawn while hidden)."""
        if not self.released:
            self.plotter.update()

    @contextmanager
    def _editing(self) -> Iterator[None]:
        """Change the scene without pyvista drawing a frame per call; then one repaint."""
        self.plotter.suppress_rendering = True
        try:
            yield
        finally:
            self.plotter.suppress_rendering = False
            self.request_frame()

    def showEvent(self, event: Any) -> None:
        if getattr(self, "plotter", None) is not None and not self.released:
            self.plotter.suppress_rendering = False
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:
        # Hidden: nothing of pyvista's may draw (9–11 ms a frame for nobody).
        if getattr(self, "plotter", None) is not None:
            self.plotter.suppress_rendering = True
        super().hideEvent(event)

    # -- the model ----------------------------------------------------------------------

    def show_model(self, model: ViewModel, actors: list[Any]) -> None:
        """Replace the shown model with ``model`` (actors built off the Qt thread)."""
        started = time.perf_counter()
        with self._editing():
            self._remove_model()
            self.model = model
            self.actors = actors
            for actor in actors:
                self.renderer.AddActor(actor)
            self._apply_surface()
            self._apply_lighting()
            self._apply_section()
            self.reset_view(render=False)
        self.show_seconds = time.perf_counter() - started

    def show_compare(
        self,
        left: tuple[ViewModel, list[Any]],
        right: tuple[ViewModel, list[Any]],
        labels: tuple[str, str],
    ) -> None:
        """Two models side by side under one camera (turning either side turns both)."""
        from image2model_desktop.mesh.compare import SecondPane, union

        with self._editing():
            self._remove_model()
            if self._second is None:
                self._second = SecondPane(self.renderer, self.plotter.ren_win)
            self.model, self.actors = left
            self.compared = right[0]
            for actor in self.actors:
                self.renderer.AddActor(actor)
            self._second.show(right[1], labels, dark=self.dark)
            self._apply_surface()
            self._apply_lighting()
            self._framing = union([left[0], right[0]])
            self.reset_view(render=False)

    @property
    def comparing(self) -> bool:
        return self.compared is not None

    def clear_model(self) -> None:
        with self._editing():
            self._remove_model()

    def _remove_model(self) -> None:
        if self.model is not None and self._face_colours is not None:
            stage.hide_face_colours(self.actors, self.model)
        self._face_colours = None
        for name in list(self._overlays):
            self._drop_overlay(name)
        for actor in self.actors:
            actor.ReleaseGraphicsResources(self.plotter.ren_win)
            self.renderer.RemoveActor(actor)
        if self._second is not None:
            self._second.hide()
        self.actors = []
        self.model = None
        self.compared = None
        self._framing = None
        self._standin_shown = False

    def set_standins(self, model: ViewModel, standins: list[Any]) -> None:
        """Attach the lighter surfaces of ``model`` (if it is still the one shown)."""
        if model is self.model:
            model.standins = standins

    # -- camera -------------------------------------------------------------------------

    def reset_view(self, *, render: bool = True) -> None:
        """The three-quarter view, with the whole model in the view whatever its shape."""
        if self.model is None:
            return
        width, height = max(1, self.plotter.width()), max(1, self.plotter.height())
        if self.comparing:
            width //= 2  # each side has half the window
        stage.frame_camera(self.renderer, self._framing or self.model, width / height)
        # Until the user moves the camera, a resized pane keeps the model framed.
        self.framed = True
        if render:
            self.request_frame()

    def camera_state(self) -> tuple[tuple[float, ...], ...]:
        camera = self.renderer.GetActiveCamera()
        return (camera.GetPosition(), camera.GetFocalPoint(), camera.GetViewUp())

    def _on_resized(self) -> None:
        if self.framed:
            self.reset_view(render=False)

    def _on_dragged(self) -> None:
        self.framed = False
        self.show_standin()

    def _on_clicked(self, x: int, y: int) -> None:
        point = self.pick(x, y)
        if point is not None:
            self.pointPicked.emit(point)

    def show_standin(self) -> None:
        """Draw the lighter copy while the camera moves (when the model has one)."""
        model = self.model
        # A stand-in has no colour map of its own: a mapped model turns in full detail.
        if self._standin_shown or model is None or not model.standins or self._face_colours:
            return
        for actor, standin in zip(self.actors, model.standins, strict=True):
            actor.mapper.SetInputData(standin)
        self._standin_shown = True

    def wheel_turned(self) -> None:
        """The wheel zooms: the stand-in until the wheel has rested a moment."""
        self.framed = False
        self.show_standin()
        self._wheel_timer.start()

    def show_full_detail(self) -> None:
        model = self.model
        if not self._standin_shown or model is None:
            return
        for actor, part in zip(self.actors, model.parts, strict=True):
            actor.mapper.SetInputData(part.mesh)
        self._standin_shown = False
        stage.clip_ranges(self.renderer, model.bounds)
        self.request_frame()

    # -- surface, lights, background -----------------------------------------------------

    def set_textured(self, on: bool) -> None:
        self.textured = on
        with self._editing():
            self._apply_surface()
            self._apply_lighting()

    def set_wireframe(self, on: bool) -> None:
        self.wireframe = on
        with self._editing():
            self._apply_surface()
            self._apply_lighting()

    def set_pbr(self, on: bool) -> None:
        self.pbr = on
        with self._editing():
            self._apply_surface()
            self._apply_lighting()

    def set_lighting(self, preset: Lighting) -> None:
        self.lighting = preset
        with self._editing():
            stage.set_lights(self.renderer, preset)
            self._apply_surface()
            self._apply_lighting()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        with self._editing():
            stage.set_background(self.renderer, dark=dark)
            if self._second is not None and self._second.shown:
                self._second.sync_look()

    def _sides(self) -> list[tuple[ViewModel, list[Any]]]:
        sides = [(self.model, self.actors)] if self.model is not None else []
        if self.compared is not None and self._second is not None:
            sides.append((self.compared, self._second.actors))
        return sides

    def _apply_surface(self) -> None:
        for model, actors in self._sides():
            stage.set_surface_style(
                actors, model, textured=self.textured, wireframe=self.wireframe, pbr=self.pbr
            )
        if self.model is not None and self._face_colours is not None:
            stage.show_face_colours(self.actors, self.model, self._face_colours)

    def set_face_colours(self, per_part: list[NDArray[np.uint8]] | None) -> None:
        """Colour every face from ``per_part`` (one (f, 3) array per part); None: own look."""
        if self.model is None:
            return
        with self._editing():
            if per_part is None and self._face_colours is not None:
                stage.hide_face_colours(self.actors, self.model)
            self._face_colours = per_part
            self._apply_surface()
            self._apply_lighting()

    @property
    def face_colours_shown(self) -> bool:
        return self._face_colours is not None

    def _apply_lighting(self) -> None:
        for _model, actors in self._sides():
            stage.set_shading(actors, self.lighting)
        if self._second is not None and self._second.shown:
            self._second.sync_look()

    # -- overlays: dimensions, measurement, section -------------------------------------

    def _drop_overlay(self, name: str) -> None:
        for actor in self._overlays.pop(name, []):
            self.renderer.RemoveActor(actor)

    def show_dimensions(self, unit: str | None, *, real_size: bool = True) -> None:
        """Outline the model's box with a ruler per side in ``unit`` (None: hide).

        Without a known ``real_size`` the sides read as shares of the height.
        """
        with self._editing():
            self._drop_overlay("dimensions")
            if unit is None or self.model is None:
                return
            self._overlays["dimensions"] = overlays.dimension_actors(
                self.renderer, self.model, unit if real_size else None
            )

    def measure_points(self, points: list[NDArray[np.float64]], unit: str | None) -> str:
        """Mark up to two picked points and the line between them; return the distance text.

        ``unit`` None: the real size is not known; the distance is a share of the height.
        """
        with self._editing():
            self._drop_overlay("measure")
            if self.model is None or not points:
                return ""
            self._overlays["measure"] = overlays.measure_actors(self.renderer, self.model, points)
        if len(points) < 2:
            return ""
        distance = float(np.linalg.norm(points[1] - points[0]))
        if unit is None:
            height = float(self.model.size[1]) or 1.0
            return f"{distance / height:.0%} of the height".replace("%", " %")
        return format_length(distance, unit)

    def pick(self, x: int, y: int) -> NDArray[np.float64] | None:
        """The surface point under widget pixel (x, y), or None when it is background."""
        if self.model is None:
            return None
        ratio = self.plotter.devicePixelRatioF()
        height = self.plotter.height()
        return overlays.pick_point(self.renderer, self.actors, x * ratio, (height - 1 - y) * ratio)

    def set_section(self, axis: int | None, share: float = 0.5) -> None:
        """Cut the model with a plane across ``axis`` (0 x, 1 y, 2 z) at ``share`` of its size."""
        self._section = None if axis is None else (axis, share)
        with self._editing():
            self._apply_section()

    def _apply_section(self) -> None:
        for actor in self.actors:
            actor.mapper.RemoveAllClippingPlanes()
        if self._section is None or self.model is None:
            return
        plane = overlays.section_plane(self.model, *self._section)
        for actor in self.actors:
            actor.mapper.AddClippingPlane(plane)

    # -- pictures -----------------------------------------------------------------------

    def screenshot(self, *, transparent: bool = False) -> NDArray[np.uint8]:
        """The view as drawn now: (h, w, 3) uint8, or (h, w, 4) with a transparent background."""
        if self.released:
            return np.zeros((0, 0, 3), np.uint8)
        if not transparent:
            return self._grab()
        # Drawn over black and over white, a pixel's difference is its transparency: this
        # needs no alpha channel in the window (the interactor's framebuffer has none).
        self.renderer.GradientBackgroundOff()
        try:
            self.renderer.SetBackground(0.0, 0.0, 0.0)
            over_black = self._grab().astype(np.int32)
            self.renderer.SetBackground(1.0, 1.0, 1.0)
            over_white = self._grab().astype(np.int32)
        finally:
            stage.set_background(self.renderer, dark=self.dark)
            self.request_frame()
        alpha = 255 - np.clip((over_white - over_black).max(axis=2), 0, 255)
        colour = np.where(
            alpha[..., None] > 0,
            over_black * 255 // np.maximum(alpha, 1)[..., None],
            0,
        )
        rgba = np.dstack([np.clip(colour, 0, 255), alpha]).astype(np.uint8)
        return np.ascontiguousarray(rgba)

    def _grab(self) -> NDArray[np.uint8]:
        """Draw the scene as it is now and read it back (pyvista only reads the last frame)."""
        self.plotter.ren_win.Render()
        image = self.plotter.screenshot(None, return_img=True)
        return np.ascontiguousarray(np.asarray(image)[..., :3], dtype=np.uint8)

    # -- life ---------------------------------------------------------------------------

    def release(self) -> None:
        """Free the model's GL resources and close the interactor (on quit; idempotent)."""
        if self.released:
            return
        self.released = True
        _application().removeEventFilter(self._uncover)
        self._uncover.deleteLater()
        self._wheel_timer.stop()
        self.plotter.removeEventFilter(self._filter)
        self.plotter.suppress_rendering = True
        self._remove_model()
        for subject, tag in self._observers:
            subject.RemoveObserver(tag)
        self._observers = []
        self.plotter.close()


def _application() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "the view lives in a QApplication"
    return app


def _renderer_name(capabilities: str, fallback: str) -> str:
    """The renderer and OpenGL version from VTK's capability report, on one line."""
    found = {}
    for line in capabilities.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("OpenGL renderer string", "OpenGL version string"):
            found[key.strip()] = value.strip()
    renderer = found.get("OpenGL renderer string")
    version = found.get("OpenGL version string")
    if not renderer:
        return fallback
    return f"{renderer}, OpenGL {version}" if version else renderer
