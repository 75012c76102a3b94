"""The 3D preview: the window's one long-lived QtInteractor, with its toolbar.

The interactor is a hazardous resource (GL context, timers): one is made after
the window's first paint, reused for every model, and closed explicitly on
quit. Models are parsed in a thread (``model_loader``); only adding actors and
rendering happen here, on the Qt thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from image2model_desktop.gui.background import in_thread
from image2model_desktop.gui.model_loader import (
    LoadedModel,
    read_model,
    set_textured,
    texture_of,
    write_warmup_model,
)
from image2model_desktop.gui.qt import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)

BACKGROUND_TOP = (0.96, 0.97, 0.98)
BACKGROUND_BOTTOM = (0.80, 0.82, 0.86)
# The same three-quarter view as the offline renders in mesh/render.py.
AZIMUTH, ELEVATION, ZOOM = 35.0, 18.0, 1.1


class PreviewPane(QWidget):
    """Show one model at a time; ``modelShown`` fires once its first frame is drawn."""

    modelShown = Signal(str)  # path
    loadFailed = Signal(str)  # sentence

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewWidget")
        self.setAccessibleName("3D preview of the selected model")
        self.plotter: Any = None
        self.model: LoadedModel | None = None
        self._textures: list[tuple[Any, Any]] = []
        self._load_seq = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        self.reset_button = self._tool("Reset view", "Reset the camera (R)", self.reset_view)
        self.wireframe_button = self._tool("Wireframe", "Show the mesh edges", self._wireframe)
        self.wireframe_button.setCheckable(True)
        self.texture_button = self._tool("Texture", "Show or hide the texture", self._texture)
        self.texture_button.setCheckable(True)
        self.texture_button.setChecked(True)
        self.screenshot_button = self._tool(
            "Screenshot…", "Save this view as a PNG", self.save_screenshot
        )
        for button in (
            self.reset_button,
            self.wireframe_button,
            self.texture_button,
            self.screenshot_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("muted")
        bar.addWidget(self.status)
        layout.addLayout(bar)
        self._stack = QStackedWidget()
        self._placeholder = QLabel("Preparing the 3D viewer…")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setObjectName("muted")
        self._placeholder.setStyleSheet(
            "background: qlineargradient(x1:0, y1:0, x2:0, y2:1, stop:0 #f5f7fa, stop:1 #cdd1db);"
            "border-radius: 8px;"
        )
        self._stack.addWidget(self._placeholder)
        layout.addWidget(self._stack, 1)
        self._sync_tools()

    def _tool(self, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(text.rstrip("…"))
        button.clicked.connect(slot)
        return button

    # -- the interactor's life ------------------------------------------------------

    def attach_plotter(self) -> None:
        """Create the interactor (pyvistaqt must be importable; call after first paint)."""
        if self.plotter is not None:
            return
        import pyvista as pv
        from pyvistaqt import QtInteractor

        # auto_update=False: the default 5 Hz re-render would stall the loop with big meshes.
        plotter = QtInteractor(self._stack, auto_update=False, lighting="none")
        plotter.setObjectName("previewInteractor")
        # Its own drop handler would load dropped files into the scene: photos go to the tray.
        plotter.setAcceptDrops(False)
        plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)  # type: ignore[arg-type]
        plotter.add_light(pv.Light(light_type="headlight", intensity=0.9))
        plotter.add_light(pv.Light(position=(1.5, 3.0, 4.0), focal_point=(0, 0, 0), intensity=0.5))
        plotter.add_light(
            pv.Light(position=(-3.0, 1.0, -2.0), focal_point=(0, 0, 0), intensity=0.3)
        )
        self.plotter = plotter
        self._stack.addWidget(plotter)
        self._placeholder.setText("Select a model to preview it")
        self._sync_tools()

    async def warm_up(self, folder: Path) -> None:
        """Draw a tiny textured model once, hidden, so the first real one skips shader builds.

        llvmpipe compiles the PBR + texture shaders at the first such frame
        (~0.2 s); paying that at startup keeps it out of the results phase.
        """
        if self.plotter is None:
            return
        path = await in_thread(write_warmup_model, folder / "warmup.glb")
        model = await in_thread(read_model, path)
        if self.plotter is None or self.model is not None:
            return
        for actor in model.actors:
            self.plotter.renderer.AddActor(actor)
        self.plotter.render()
        for actor in model.actors:
            actor.ReleaseGraphicsResources(self.plotter.ren_win)
            self.plotter.renderer.RemoveActor(actor)
        path.unlink(missing_ok=True)

    def close_plotter(self) -> None:
        """Release the interactor and its GL context (on quit; safe to call twice)."""
        plotter, self.plotter = self.plotter, None
        self._clear_actors(plotter)
        self.model = None
        if plotter is not None:
            self._stack.removeWidget(plotter)
            plotter.close()
            plotter.setParent(None)
            plotter.deleteLater()

    # -- models -----------------------------------------------------------------------

    async def show_model(self, path: Path) -> bool:
        """Load ``path`` off the Qt thread and show it; False if a newer request won."""
        self._load_seq += 1
        seq = self._load_seq
        self.status.setText(f"Loading {path.name}…")
        try:
            model = await in_thread(read_model, path)
        except Exception as error:
            log.warning("Could not load %s: %s", path, error)
            if seq == self._load_seq:
                self.status.setText("")
                self.loadFailed.emit(f"{path.name} could not be shown; the file may be damaged.")
            return False
        if seq != self._load_seq or self.plotter is None:
            return False
        self._clear_actors(self.plotter)
        renderer = self.plotter.renderer
        self._textures = []
        for actor in model.actors:
            renderer.AddActor(actor)
            texture = texture_of(actor)
            if texture is not None:
                self._textures.append((actor, texture))
        self.model = model
        self._apply_view_options()
        self._stack.setCurrentWidget(self.plotter)
        self.reset_view()
        self.status.setText("")
        self._sync_tools()
        self.modelShown.emit(str(path))
        return True

    def clear(self, message: str = "Select a model to preview it") -> None:
        self._load_seq += 1
        if self.plotter is not None:
            self._clear_actors(self.plotter)
            self.plotter.render()
        self.model = None
        self._placeholder.setText(message)
        self._stack.setCurrentWidget(self._placeholder)
        self._sync_tools()

    def _clear_actors(self, plotter: Any) -> None:
        if plotter is None or self.model is None:
            return
        for actor in self.model.actors:
            actor.ReleaseGraphicsResources(plotter.ren_win)
            plotter.renderer.RemoveActor(actor)
        self._textures = []

    # -- toolbar ----------------------------------------------------------------------

    def reset_view(self) -> None:
        """Look at the model's front in three-quarter view, fitted to the viewport."""
        if self.plotter is None or self.model is None:
            return
        renderer = self.plotter.renderer
        camera = renderer.GetActiveCamera()
        # Set the camera with plain VTK calls: pyvista's setters each render a frame.
        camera.SetFocalPoint(0.0, 0.0, 0.0)
        camera.SetPosition(0.0, 0.0, 1.0)
        camera.SetViewUp(0.0, 1.0, 0.0)
        camera.Azimuth(AZIMUTH)
        camera.Elevation(ELEVATION)
        camera.OrthogonalizeViewUp()
        renderer.ResetCamera()
        camera.Zoom(ZOOM)
        renderer.ResetCameraClippingRange()
        self.plotter.render()

    def _apply_view_options(self) -> None:
        if self.model is None:
            return
        wire = self.wireframe_button.isChecked()
        for actor in self.model.actors:
            prop = actor.GetProperty()
            if wire:
                prop.SetRepresentationToWireframe()
            else:
                prop.SetRepresentationToSurface()
        show_texture = self.texture_button.isChecked()
        for actor, texture in self._textures:
            set_textured(actor, texture, show_texture)

    def _wireframe(self) -> None:
        self._apply_view_options()
        if self.plotter is not None:
            self.plotter.render()

    def _texture(self) -> None:
        self._wireframe()

    def save_screenshot(self) -> None:
        if self.plotter is None or self.model is None:
            return
        target = self.ask_screenshot_path(self.model.path.with_suffix(".png").name)
        if target is None:
            return
        self.plotter.screenshot(str(target))
        self.status.setText(f"Saved {target.name}")

    def ask_screenshot_path(self, suggested: str) -> Path | None:
        """Ask where to save the view (tests replace this method)."""
        name, _ = QFileDialog.getSaveFileName(self, "Save view", suggested, "PNG image (*.png)")
        if not name:
            return None
        path = Path(name)
        return path if path.suffix.lower() == ".png" else path.with_suffix(".png")

    def _sync_tools(self) -> None:
        has_model = self.model is not None
        for button in (self.reset_button, self.wireframe_button, self.screenshot_button):
            button.setEnabled(has_model)
        self.texture_button.setEnabled(has_model and bool(self._textures))
