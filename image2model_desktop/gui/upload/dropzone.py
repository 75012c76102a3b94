"""The drop zone: drag photos or folders onto it, or click it to browse."""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.gui.qt import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFrame,
    QKeyEvent,
    QLabel,
    QMimeData,
    QMouseEvent,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import repolish


def local_paths(mime: QMimeData) -> list[Path]:
    """Return the local files and folders carried by a drag or the clipboard."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class DropZone(QFrame):
    """A dashed card that takes dropped files and folders; a click asks to browse."""

    pathsDropped = Signal(list)  # list[Path]
    browseRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAccessibleName("Drop zone: drop photos or folders, or click to browse")
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(88)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._title = QLabel("Drop photos or a folder here")
        self._title.setObjectName("pageTitle")
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("or click to browse  ·  JPG or PNG  ·  up to 25 photos per batch  ·  Ctrl+V")
        hint.setObjectName("muted")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self._title)
        layout.addWidget(hint)

    def _set_hover(self, hover: bool) -> None:
        self.setProperty("hover", "true" if hover else "false")
        repolish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._set_hover(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_hover(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_hover(False)
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.pathsDropped.emit(paths)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.browseRequested.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.browseRequested.emit()
        else:
            super().keyPressEvent(event)
