"""The 3D preview pane: the window's one long-lived PyVista view, with its toolbar.

The view (``view3d.ModelView``) is a hazardous resource: one is made after the
window's first paint, reused for every model, and released explicitly on quit.
Models are parsed and turned into PyVista objects in a thread
(``mesh.stage.build_view_model``); only adding finished actors and drawing
happen here, on the Qt thread.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.preview.legend import MapLegend
from image2model_desktop.gui.preview.toolbar import PreviewToolbar
from image2model_desktop.gui.qt import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.widgets.elided import ElidedLabel

log = logging.getLogger(__name__)

#: Shown instead of the view when this computer gives no usable OpenGL.
NO_GL_MESSAGE = "The 3D preview could not start on this computer; models can still be saved."
#: How long ``show_model`` waits for the model's first frame on screen.
FIRST_FRAME_TIMEOUT = 5.0
_AXIS_INDEX = (1, 0, 2)
SECTION_AXES = ("Height (Y)", "Width (X)", "Depth (Z)")
#: The legend's short titles (a 1024 px window leaves the legend about 160 px for one).
MAP_TITLES = {"thickness": "Walls", "overhang": "Overhangs"}
#: The preview's dimensions of a model whose real-world size no engine gave.
SIZE_NOT_KNOWN = "Size not known — set it on export (sides shown as shares of the height)"


class PreviewPane(QWidget):
    """Show one model at a time; ``modelShown`` fires once its first frame is drawn."""

    modelShown = Signal(str)  # path
    loadFailed = Signal(str)  # sentence
    turntableRequested = Signal(str)  # path of the shown model
    unitChanged = Signal(str)  # the unit of dimensions and measurements

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewWidget")
        self.setAccessibleName("3D preview of the selected model")
        self.view: Any = None  # view3d.ModelView once attached
        self._load_seq = 0
        self._unavailable = False
        self._picked: list[NDArray[np.float64]] = []
        #: Whether the shown model's size is its real size (else no length is made up).
        self._real_size = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.toolbar = PreviewToolbar()
        self._connect_toolbar()
        self.status = ElidedLabel(minimum=0)
        self.status.setObjectName("muted")
        self.status.setAccessibleName("Preview status")
        # A line of its own, kept while empty: beside the tools, a long status pushed
        # them (the switched-on one too) behind », and a line that came and went would
        # move the view.
        self.status.setFixedHeight(self.status.fontMetrics().height() + 2)
        layout.addWidget(self.toolbar)
        status_row = QHBoxLayout()
        status_row.setContentsMargins(0, 0, 0, 0)
        status_row.addWidget(self.status, 1)
        # A print map's legend shares the status line's row: the view never moves for it.
        self.legend = MapLegend()
        self.legend.setFixedHeight(self.status.height())
        status_row.addWidget(self.legend, 4)
        layout.addLayout(status_row)
        layout.addWidget(self._build_section_bar())
        #: The print check's maps (``FaceMap`` by name) of the file ``_maps_path``.
        self._maps: dict[str, Any] = {}
        self._maps_path: Path | None = None
        #: A colour 3MF's look (per face of the file) for one file, from the export dialog.
        self._colours: tuple[Path, NDArray[np.uint8]] | None = None
        self._stack = QStackedWidget()
        self._placeholder = QLabel("Preparing the 3D viewer…")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setObjectName("previewPlaceholder")
        self._placeholder.setWordWrap(True)
        self._stack.addWidget(self._placeholder)
        layout.addWidget(self._stack, 1)
        self._sync_tools()

    @property
    def model(self) -> Any:
        """The shown ``ViewModel`` (``path``, ``faces``, ``textured``, ``bounds``…), or None."""
        return self.view.model if self.view is not None else None

    @property
    def placeholder_text(self) -> str:
        return self._placeholder.text()

    @property
    def unit(self) -> str:
        return self.toolbar.unit

    def _connect_toolbar(self) -> None:
        bar = self.toolbar
        bar.resetRequested.connect(self.reset_view)
        bar.wireframeToggled.connect(self._on_wireframe)
        bar.textureToggled.connect(self._on_texture)
        bar.pbrToggled.connect(self._on_pbr)
        bar.lightingChosen.connect(self._on_lighting)
        bar.dimensionsToggled.connect(self._on_dimensions)
        bar.unitChosen.connect(self._on_unit)
        bar.measureToggled.connect(self._on_measure)
        bar.sectionToggled.connect(self._on_section)
        bar.screenshotRequested.connect(self.save_screenshot)
        bar.turntableRequested.connect(self._on_turntable)
        bar.mapChosen.connect(lambda _name: self._apply_map())

    def _build_section_bar(self) -> QWidget:
        """The row of the section tool: which way to cut, and where."""
        self.section_bar = QWidget()
        row = QHBoxLayout(self.section_bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Cut across"))
        self.section_axis = QComboBox()
        self.section_axis.setAccessibleName("Section plane direction")
        self.section_axis.addItems(SECTION_AXES)
        self.section_axis.currentIndexChanged.connect(self._apply_section)
        row.addWidget(self.section_axis)
        self.section_slider = QSlider(Qt.Orientation.Horizontal)
        self.section_slider.setObjectName("sectionSlider")
        self.section_slider.setAccessibleName("Section plane position")
        self.section_slider.setRange(0, 100)
        self.section_slider.setValue(50)
        self.section_slider.valueChanged.connect(self._apply_section)
        row.addWidget(self.section_slider, 1)
        self.section_bar.setVisible(False)
        return self.section_bar

    # -- the view's life ----------------------------------------------------------------

    def attach_view(self) -> None:
        """Create the interactor (call after the first paint, when pyvistaqt is imported)."""
        if self.view is not None:
            return
        from image2model_desktop.gui.preview.view3d import ModelView

        # Made inside its final top-level window: a QOpenGLWidget born elsewhere and
        # reparented in never gets a framebuffer again once hidden ("No fbo").
        view = ModelView(self._stack)
        view.pointPicked.connect(self._on_point_picked)
        log.info("3D preview (PyVista QtInteractor) on %s", view.gl_renderer)
        self.view = view
        self._stack.addWidget(view)
        self._placeholder.setText("Select a model to preview it")
        self._sync_tools()

    async def warm_up(self, folder: Path) -> None:
        """Draw a tiny textured model once, so the first real one pays no shader builds.

        llvmpipe generates the code of each shader variant at its first draw (tens of
        ms each: textured, untextured, wireframe); paying that right after start-up,
        while nothing else happens, keeps it out of the results page.
        """
        view = self.view
        if view is None:
            return
        from image2model_desktop.mesh.stage import write_warmup_model

        path = await in_thread(write_warmup_model, folder / "warmup.glb")
        try:
            model, actors = await in_thread(_build, path)
        finally:
            path.unlink(missing_ok=True)
        if self.view is not view or view.model is not None:
            return
        view.show_model(model, actors)
        try:
            for wire in (False, True):
                view.set_wireframe(wire)
                view.screenshot()
                await asyncio.sleep(0)
        finally:
            view.set_wireframe(self.toolbar.is_checked("wireframe"))
            if view.model is model:
                view.clear_model()

    def mark_unavailable(self) -> None:
        """Say for good that this computer cannot show 3D."""
        self._unavailable = True
        self.clear(NO_GL_MESSAGE)

    def close_view(self) -> None:
        """Release the interactor and its GL context (on quit; safe to call twice)."""
        view, self.view = self.view, None
        self._load_seq += 1
        if view is None:
            return
        view.release()
        self._stack.removeWidget(view)
        view.setParent(None)
        view.deleteLater()
        self._placeholder.setText("Select a model to preview it")
        self._sync_tools()

    # -- models -------------------------------------------------------------------------

    async def show_model(self, path: Path) -> bool:
        """Load ``path`` off the Qt thread and show it; False if a newer request won."""
        from image2model_desktop.mesh.stage import STANDIN_FACES

        sides = await self._load(
            (path,),
            f"Loading {path.name}…",
            f"{path.name} could not be shown; the file may be damaged.",
        )
        view = self.view
        if sides is None or view is None:
            return False
        (model, actors), seq = sides[0], self._load_seq
        # On screen first, so the camera is framed for the view's real size.
        self._stack.setCurrentWidget(view)
        view.show_model(model, actors)
        self._restore_overlays()
        self._apply_map()
        if not await self._shown(view, seq, path):
            return False
        if model.faces > STANDIN_FACES:
            spawn(self._attach_standins(view, model))
        return True

    async def show_compare(self, paths: tuple[Path, Path], labels: tuple[str, str]) -> bool:
        """Show two models side by side under one camera; False if a newer request won."""
        sides = await self._load(
            paths,
            f"Loading {paths[0].name} and {paths[1].name}…",
            "The two models could not be shown; a file may be damaged.",
        )
        view = self.view
        if sides is None or view is None:
            return False
        seq = self._load_seq
        self._stack.setCurrentWidget(view)
        view.show_compare(sides[0], sides[1], labels)
        return await self._shown(view, seq, paths[0])

    async def _load(
        self, paths: tuple[Path, ...], loading: str, failure: str
    ) -> list[tuple[Any, list[Any]]] | None:
        """Build each model's PyVista parts and actors off the Qt thread.

        None when this computer shows no 3D, a newer request came meanwhile, or a
        file failed (then ``loadFailed`` says so in one sentence).
        """
        self._load_seq += 1
        seq = self._load_seq
        if self._unavailable or self.view is None:
            return None
        self.status.setText(loading)
        try:
            sides = [await in_thread(_build, path) for path in paths]
        except Exception as error:
            log.warning("Could not load %s: %s", ", ".join(map(str, paths)), error)
            if seq == self._load_seq:
                self.status.setText("")
                self.loadFailed.emit(failure)
            return None
        if seq != self._load_seq or self.view is None:
            return None
        self.status.setText("")
        self._picked = []
        return sides

    async def _shown(self, view: Any, seq: int, path: Path) -> bool:
        """Wait for the first frame; tell ``modelShown`` unless a newer request came."""
        self._sync_tools()
        await self._first_frame(view)
        if seq != self._load_seq:
            return False
        self.modelShown.emit(str(path))
        return True

    @property
    def comparing(self) -> bool:
        return self.view is not None and bool(self.view.comparing)

    async def _attach_standins(self, view: Any, model: Any) -> None:
        from image2model_desktop.core.workers import run_in_process
        from image2model_desktop.mesh.standin import simplify_part, standin_polydata

        standins = []
        for part in model.parts:
            arrays = await run_in_process(
                simplify_part,
                np.asarray(part.mesh.points, np.float32),
                np.asarray(part.mesh.regular_faces, np.int64),
                _uvs(part.mesh),
                model.faces,
            )
            standins.append(await in_thread(standin_polydata, *arrays))
        if self.view is view:
            view.set_standins(model, standins)

    async def _first_frame(self, view: Any) -> None:
        """Wait until the view drew its new model (at once when the pane is not on screen)."""
        if not view.isVisible():
            return
        loop = asyncio.get_running_loop()
        drawn = loop.create_future()

        def done() -> None:
            if not drawn.done():
                drawn.set_result(None)

        view.frameDrawn.connect(done)
        try:
            await asyncio.wait_for(drawn, FIRST_FRAME_TIMEOUT)
        except TimeoutError:
            log.warning("The 3D view drew no frame within %.0f s", FIRST_FRAME_TIMEOUT)
        finally:
            view.frameDrawn.disconnect(done)

    def clear(self, message: str = "Select a model to preview it") -> None:
        self._load_seq += 1
        self.status.setText("")
        self._picked = []
        if self.view is not None:
            self.view.clear_model()
        self._placeholder.setText(NO_GL_MESSAGE if self._unavailable else message)
        self._stack.setCurrentWidget(self._placeholder)
        self._sync_tools()

    # -- toolbar actions ----------------------------------------------------------------

    def reset_view(self) -> None:
        """Look at the model's front in three-quarter view, fitted to the view."""
        if self.view is not None:
            self.view.reset_view()

    def _on_wireframe(self, on: bool) -> None:
        if self.view is not None:
            self.view.set_wireframe(on)

    def _on_texture(self, on: bool) -> None:
        if self.view is not None:
            self.view.set_textured(on)

    def _on_pbr(self, on: bool) -> None:
        if self.view is not None:
            self.view.set_pbr(on)

    def set_lighting(self, key: str) -> None:
        """Light the model with preset ``key`` (``soft``, ``studio``, ``flat``)."""
        self.toolbar.set_lighting(key)
        self._on_lighting(key)

    def _on_lighting(self, key: str) -> None:
        from image2model_desktop.mesh.stage import Lighting

        if self.view is not None:
            self.view.set_lighting(Lighting(key))

    def set_dark(self, dark: bool) -> None:
        if self.view is not None:
            self.view.set_dark(dark)

    def set_real_size(self, known: bool) -> None:
        """Say whether the next model's size is real; unknown sizes are never shown as lengths."""
        self._real_size = known

    @property
    def real_size(self) -> bool:
        return self._real_size

    @property
    def _length_unit(self) -> str | None:
        return self.unit if self._real_size else None

    def _on_dimensions(self, on: bool) -> None:
        if self.view is not None:
            self.view.show_dimensions(self.unit if on else None, real_size=self._real_size)
        if not self._real_size:
            self.status.setText(SIZE_NOT_KNOWN if on else "")

    def _on_unit(self, unit: str) -> None:
        self._restore_overlays()
        self.unitChanged.emit(unit)

    def _on_measure(self, on: bool) -> None:
        self._picked = []
        if self.view is not None:
            self.view.measure_points([], self._length_unit)
        self.status.setText("Click two points on the model" if on else "")

    def _on_point_picked(self, point: NDArray[np.float64]) -> None:
        if not self.toolbar.is_checked("measure") or self.view is None:
            return
        self._picked = [*self._picked, point][-2:] if len(self._picked) < 2 else [point]
        distance = self.view.measure_points(self._picked, self._length_unit)
        self.status.setText(f"Distance: {distance}" if distance else "Click a second point")

    @property
    def measured_text(self) -> str:
        return self.status.text()

    def _on_section(self, on: bool) -> None:
        self.section_bar.setVisible(on)
        self._apply_section()

    def _apply_section(self) -> None:
        if self.view is None:
            return
        if not self.toolbar.is_checked("section"):
            self.view.set_section(None)
            return
        axis = _AXIS_INDEX[self.section_axis.currentIndex()]
        self.view.set_section(axis, self.section_slider.value() / 100)

    def _restore_overlays(self) -> None:
        """Redraw the dimensions and the measurement for the shown model and unit."""
        if self.view is None:
            return
        dimensions = self.toolbar.is_checked("dimensions")
        self.view.show_dimensions(self.unit if dimensions else None, real_size=self._real_size)
        if dimensions and not self._real_size and not self.toolbar.is_checked("measure"):
            self.status.setText(SIZE_NOT_KNOWN)
        if self.toolbar.is_checked("measure"):
            distance = self.view.measure_points(self._picked, self._length_unit)
            if distance:
                self.status.setText(f"Distance: {distance}")

    def _on_turntable(self) -> None:
        if self.model is not None:
            self.turntableRequested.emit(str(self.model.path))

    def set_turntable_busy(self, busy: bool) -> None:
        """Turntable… waits while one is being rendered."""
        self.toolbar.set_turntable_busy(busy)

    # -- pictures -----------------------------------------------------------------------

    def screenshot(self, *, transparent: bool = False) -> NDArray[np.uint8]:
        """The current view as an (h, w, 3) uint8 array; empty when nothing is shown."""
        if self.view is None:
            return np.zeros((0, 0, 3), np.uint8)
        result: NDArray[np.uint8] = self.view.screenshot(transparent=transparent)
        return result

    def save_screenshot(self, transparent: bool = False) -> None:
        if self.view is None or self.model is None:
            return
        target = self.ask_screenshot_path(self.model.path.with_suffix(".png").name)
        if target is None:
            return
        from PIL import Image

        try:
            Image.fromarray(self.screenshot(transparent=transparent)).save(target, "PNG")
        except OSError as error:
            self.status.setText(f"Could not save {target.name} ({error.strerror or error})")
            return
        self.status.setText(f"Saved {target.name}")

    def ask_screenshot_path(self, suggested: str) -> Path | None:
        """Ask where to save the view, in the folder used last (tests replace the dialog)."""
        from image2model_desktop.gui.widgets import file_dialogs

        chosen = file_dialogs.save_file(
            self, "Save view", "screenshot", suggested, "PNG image (*.png)"
        )
        if chosen is None:
            return None
        path = chosen[0]
        return path if path.suffix.lower() == ".png" else path.with_suffix(".png")

    # -- colour maps: the print check's, and a colour 3MF's look --------------------------

    def set_print_maps(self, path: Path, maps: tuple[Any, ...]) -> None:
        """Offer ``maps`` (``report.preview_maps``: ``FaceMap``s) for ``path`` in the toolbar."""
        self._maps = {face_map.name: face_map for face_map in maps}
        self._maps_path = path
        self._sync_tools()
        self._apply_map()

    def clear_print_maps(self) -> None:
        self._maps, self._maps_path = {}, None
        self._sync_tools()
        self._apply_map()

    def _available_maps(self) -> tuple[str, ...]:
        model = self.model
        if model is None or self.comparing or self._maps_path != model.path:
            return ()
        return tuple(self._maps)

    def show_face_colours(self, path: Path, rgb: NDArray[np.uint8]) -> None:
        """Show ``path`` in the colours of a colour 3MF (one RGB per face of the file)."""
        self._colours = (path, rgb)
        self._apply_map()

    def clear_face_colours(self) -> None:
        if self._colours is not None:
            self._colours = None
            self._apply_map()

    def _apply_map(self) -> None:
        """Draw the colour 3MF's look, else the chosen print map, else the model's own look."""
        from image2model_desktop.mesh.stage import map_colours, map_stops, split_per_part

        view, model = self.view, self.model
        per_part = None
        self.legend.hide()
        name = self.toolbar.map_shown
        if view is None or model is None or self.comparing:
            return
        if self._colours is not None and self._colours[0] == model.path:
            per_part = split_per_part(model, self._colours[1])
            self.status.setText("The colours of the colour 3MF, one filament per colour")
        elif name and name in self._available_maps():
            face_map = self._maps[name]
            legend = face_map.legend
            counts = [int(part.mesh.n_cells) for part in model.parts]
            per_part = [
                map_colours(values, legend.low, legend.high, legend.threshold, legend.bad_below)
                for values in face_map.per_part(counts)
            ]
            side = "under" if legend.bad_below else "over"
            unit = legend.unit
            space = "" if unit == "°" else " "
            title = MAP_TITLES.get(name, legend.title)
            self.legend.show_map(
                f"{title}: red {side} {legend.threshold:g}{space}{unit}",
                map_stops(legend.low, legend.high, legend.threshold, legend.bad_below),
                f"{legend.low:g}{space}{unit}",
                f"{'≥ ' if legend.bad_below else ''}{legend.high:g}{space}{unit}",
            )
        view.set_face_colours(per_part)

    def _sync_tools(self) -> None:
        model = self.model
        comparing = self.comparing
        self.toolbar.sync(
            model=model is not None,
            textured=model is not None and model.textured,
            has_pbr=model is not None and model.has_pbr,
            comparing=comparing,
            maps=self._available_maps(),
        )
        if comparing:
            self.section_bar.setVisible(False)


def _uvs(mesh: Any) -> NDArray[np.float32] | None:
    coordinates = mesh.active_texture_coordinates
    return None if coordinates is None else np.asarray(coordinates, np.float32)


def _build(path: Path) -> tuple[Any, list[Any]]:
    """A model's PyVista parts and its actors, in one trip to a worker thread."""
    from image2model_desktop.mesh.stage import build_view_model, make_actors

    model = build_view_model(path)
    return model, make_actors(model)
