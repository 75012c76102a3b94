"""The 3D preview: the window's one long-lived GL view, with its toolbar.

The view (``viewer.ModelView``, an OpenGL QWindow in a window container) is a
hazardous resource: one is made after the window's first paint, reused for
every model, and released explicitly (GL objects with their context current)
on quit. Models are parsed in a thread (``model_loader``); only the GL upload
and drawing happen here, on the Qt thread.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import numpy as np

from image2model_desktop.gui.background import in_thread
from image2model_desktop.gui.model_loader import LoadedModel, read_model, write_warmup_model
from image2model_desktop.gui.qt import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSize,
    QStackedWidget,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)

#: Shown instead of the view when this computer gives no usable OpenGL.
NO_GL_MESSAGE = "The 3D preview could not start on this computer; models can still be saved."
#: How long ``show_model`` waits for the view to be on screen, then for its first frame.
EXPOSE_TIMEOUT, FIRST_FRAME_TIMEOUT = 1.0, 5.0


class ViewHost(QWidget):
    """The widget side of the GL view: its window container, findable by ``capture``."""

    def __init__(self, view: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewView")
        self.view = view
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.container = QWidget.createWindowContainer(view, self)
        self.container.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.container.setAccessibleName("3D view: drag to turn, right-drag to pan, wheel to zoom")
        layout.addWidget(self.container)


class PreviewPane(QWidget):
    """Show one model at a time; ``modelShown`` fires once its first frame is drawn."""

    modelShown = Signal(str)  # path
    loadFailed = Signal(str)  # sentence

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewWidget")
        self.setAccessibleName("3D preview of the selected model")
        self.view: Any = None  # viewer.ModelView once attached
        self._host: ViewHost | None = None
        self._load_seq = 0
        self._unavailable = False
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
        self._placeholder.setWordWrap(True)
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

    @property
    def model(self) -> LoadedModel | None:
        return self.view.model if self.view is not None else None

    @property
    def placeholder_text(self) -> str:
        return self._placeholder.text()

    # -- the view's life --------------------------------------------------------------------

    def attach_view(self) -> None:
        """Create the GL view (call after the first paint); GLUnavailableError without GL."""
        if self.view is not None:
            return
        from image2model_desktop.gui.viewer import ModelView

        view = ModelView()
        try:
            view.initialize()
        except Exception:
            view.release()
            view.deleteLater()
            raise
        log.info("3D preview on %s", view.renderer)
        self.view = view
        self._host = ViewHost(view)
        self._stack.addWidget(self._host)
        self._placeholder.setText("Select a model to preview it")
        self._sync_tools()

    async def warm_up(self, folder: Path) -> None:
        """Load and draw a tiny textured model once, so the first real one pays no start-up.

        It warms the loader's imports (trimesh's GLB reader, PIL) in a thread and
        llvmpipe's first textured and wireframe draws (shader code generation)
        on the Qt thread, offscreen, so nothing flashes on screen.
        """
        if self.view is None:
            return
        path = await in_thread(write_warmup_model, folder / "warmup.glb")
        try:
            model = await in_thread(read_model, path)
        finally:
            path.unlink(missing_ok=True)
        view = self.view
        if view is None or view.model is not None or not await view.load(model):
            return
        try:
            view.render_image(QSize(64, 64))
            view.set_wireframe(True)
            view.render_image(QSize(64, 64))
        finally:
            view.set_wireframe(self.wireframe_button.isChecked())
            if view.model is model:
                view.clear_model()

    def mark_unavailable(self) -> None:
        """Say for good that this computer cannot show 3D (no OpenGL 3.3)."""
        self._unavailable = True
        self.clear(NO_GL_MESSAGE)

    def close_view(self) -> None:
        """Release the view's GL objects and its window (on quit; safe to call twice)."""
        view, host = self.view, self._host
        self.view, self._host = None, None
        self._load_seq += 1
        if view is None or host is None:
            return
        view.release()
        self._stack.removeWidget(host)
        host.setParent(None)
        host.deleteLater()  # the container owns the view's window and deletes it with itself
        self._placeholder.setText("Select a model to preview it")
        self._sync_tools()

    # -- models -----------------------------------------------------------------------------

    async def show_model(self, path: Path) -> bool:
        """Load ``path`` off the Qt thread and show it; False if a newer request won."""
        self._load_seq += 1
        seq = self._load_seq
        if self._unavailable:
            return False
        self.status.setText(f"Loading {path.name}…")
        try:
            model = await in_thread(read_model, path)
        except Exception as error:
            log.warning("Could not load %s: %s", path, error)
            if seq == self._load_seq:
                self.status.setText("")
                self.loadFailed.emit(f"{path.name} could not be shown; the file may be damaged.")
            return False
        if seq != self._load_seq:
            return False
        self.status.setText("")
        if self.view is None or not await self.view.load(model):
            return False
        if seq != self._load_seq:
            return False
        self._stack.setCurrentWidget(self._host)
        self._sync_tools()
        await self._first_frame()
        if seq != self._load_seq:
            return False
        self.modelShown.emit(str(path))
        return True

    async def _first_frame(self) -> None:
        """Wait until the view drew its new model (at once when the pane is not on screen)."""
        view = self.view
        if view is None or not self.isVisible():
            return
        loop = asyncio.get_running_loop()
        drawn = view.frames
        # The container maps the view's native window a moment after it is shown.
        deadline = loop.time() + EXPOSE_TIMEOUT
        while not view.isExposed() and loop.time() < deadline:
            await asyncio.sleep(0.005)
        deadline = loop.time() + FIRST_FRAME_TIMEOUT
        while view.isExposed() and view.frames == drawn and not view.released:
            if loop.time() > deadline:
                log.warning("The 3D view drew no frame within %.0f s", FIRST_FRAME_TIMEOUT)
                return
            await asyncio.sleep(0.005)

    def clear(self, message: str = "Select a model to preview it") -> None:
        self._load_seq += 1
        self.status.setText("")
        if self.view is not None:
            self.view.clear_model()
        self._placeholder.setText(NO_GL_MESSAGE if self._unavailable else message)
        self._stack.setCurrentWidget(self._placeholder)
        self._sync_tools()

    # -- toolbar ----------------------------------------------------------------------------

    def reset_view(self) -> None:
        """Look at the model's front in three-quarter view, fitted to the viewport."""
        if self.view is not None:
            self.view.reset_view()

    def _wireframe(self) -> None:
        if self.view is not None:
            self.view.set_wireframe(self.wireframe_button.isChecked())

    def _texture(self) -> None:
        if self.view is not None:
            self.view.set_show_texture(self.texture_button.isChecked())

    def screenshot(self) -> np.ndarray:
        """The current view as an (h, w, 3) uint8 array; empty when nothing was drawn."""
        if self.view is None:
            return np.zeros((0, 0, 3), np.uint8)
        return self.view.screenshot()  # type: ignore[no-any-return]

    def save_screenshot(self) -> None:
        if self.view is None or self.model is None:
            return
        target = self.ask_screenshot_path(self.model.path.with_suffix(".png").name)
        if target is None:
            return
        if self.view.render_image().save(str(target), "PNG"):
            self.status.setText(f"Saved {target.name}")
        else:
            self.status.setText(f"Could not save {target.name}")

    def ask_screenshot_path(self, suggested: str) -> Path | None:
        """Ask where to save the view (tests replace this method)."""
        name, _ = QFileDialog.getSaveFileName(self, "Save view", suggested, "PNG image (*.png)")
        if not name:
            return None
        path = Path(name)
        return path if path.suffix.lower() == ".png" else path.with_suffix(".png")

    def _sync_tools(self) -> None:
        model = self.model
        for button in (self.reset_button, self.wireframe_button, self.screenshot_button):
            button.setEnabled(model is not None)
        self.texture_button.setEnabled(model is not None and model.textured)
