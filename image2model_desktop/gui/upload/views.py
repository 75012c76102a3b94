"""Views of one object: front, left, back and right slots that make one model together.

Offered only while the chosen FAL model takes several views (its policy's
``max_views``). A photo dropped on a slot is checked and thumbnailed off the Qt
thread; the filled slots, front and left at least, become one batch entry
(``core.intake.multiview_entry``), in the order front, left, back, right.
"""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.intake import BatchEntry, RejectedInput, check_photo, multiview_entry
from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.qt import (
    QCheckBox,
    QDragEnterEvent,
    QDropEvent,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPixmap,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.upload.dropzone import local_paths

VIEWS = ("Front", "Left", "Back", "Right")
THUMB = 96


class ViewSlot(QFrame):
    """One view's drop target: its name, the photo's thumbnail, and why it was refused."""

    dropped = Signal(object)  # Path
    cleared = Signal()

    def __init__(self, view: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.setObjectName("dropZone")  # the drop zone's dashed card, from the stylesheet
        self.setAccessibleName(f"{view} view: drop a photo")
        self.setAcceptDrops(True)
        self.setMinimumSize(150, 150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        top = QHBoxLayout()
        self.title = QLabel(view)
        self.title.setObjectName("rowName")
        self.clear_button = QToolButton()
        self.clear_button.setText("✕")
        self.clear_button.setToolTip(f"Empty the {view.lower()} slot")
        self.clear_button.setAccessibleName(f"Empty the {view.lower()} slot")
        self.clear_button.clicked.connect(self.cleared)
        self.clear_button.hide()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.clear_button)
        self.picture = QLabel("Drop a photo here")
        self.picture.setObjectName("muted")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumHeight(THUMB)
        self.status = QLabel("")
        self.status.setObjectName("photoStatus")
        self.status.setWordWrap(True)
        layout.addLayout(top)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.status)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.isEnabled() and local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [p for p in local_paths(event.mimeData()) if p.is_file()]
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths[0])

    def show_photo(self, name: str, thumbnail: bytes | None, reason: str | None) -> None:
        self.clear_button.show()
        if thumbnail:
            pixmap = QPixmap()
            pixmap.loadFromData(thumbnail)
            self.picture.setPixmap(
                pixmap.scaled(
                    THUMB,
                    THUMB,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.picture.setText("!")
        self.status.setText(reason or name)

    def show_empty(self) -> None:
        self.clear_button.hide()
        self.picture.clear()
        self.picture.setText("Drop a photo here" if self.isEnabled() else "Not for this model")
        self.status.setText("")


class ViewsPanel(QWidget):
    """The "views of one object" mode: a switch and four slots; ``entry()`` is the batch."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.mode = QCheckBox("Views of one object — one model from front, left, back, right")
        self.mode.setObjectName("viewsMode")
        self.mode.setAccessibleName("Views of one object")
        self.mode.toggled.connect(self._toggled)
        self.hint = QLabel("")
        self.hint.setObjectName("muted")
        self.hint.hide()
        row = QHBoxLayout()
        self.slots: list[ViewSlot] = []
        for index, view in enumerate(VIEWS):
            slot = ViewSlot(view)
            slot.dropped.connect(lambda path, i=index: self.set_view_soon(i, path))
            slot.cleared.connect(lambda i=index: self.clear_view(i))
            row.addWidget(slot)
            self.slots.append(slot)
        self.slot_row = QWidget()
        self.slot_row.setMaximumHeight(260)
        self.slot_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mode)
        layout.addWidget(self.hint)
        layout.addWidget(self.slot_row)
        layout.addStretch(1)
        self._entries: list[BatchEntry | None] = [None] * len(VIEWS)
        self._max_views = 1
        self.set_available(1)

    # -- the model's say ----------------------------------------------------------

    def set_available(self, max_views: int, label: str = "") -> None:
        """Offer the mode only for a model taking several views (``max_views`` > 1)."""
        self._max_views = max_views
        able = max_views > 1
        self.mode.setEnabled(able)
        if not able and self.mode.isChecked():
            self.mode.setChecked(False)
        self.hint.setText(
            "Views of one object: choose a FAL model that takes views (Tripo v2.5, "
            "Tripo H3.1, Hunyuan3D v3, Rodin)."
        )
        self.hint.setVisible(not able)
        for index, slot in enumerate(self.slots):
            slot.setEnabled(index < max_views)
            if self._entries[index] is None:
                slot.show_empty()
        self._sync()

    @property
    def active(self) -> bool:
        return self.mode.isEnabled() and self.mode.isChecked()

    # -- photos -------------------------------------------------------------------

    def set_view_soon(self, index: int, path: Path) -> None:
        spawn(self.set_view(index, path))

    async def set_view(self, index: int, path: Path) -> None:
        """Check and thumbnail a photo off the Qt thread, then show it in its slot."""
        from image2model_desktop.core.images import make_thumbnail

        def check() -> tuple[BatchEntry, bytes | None]:
            entry = check_photo(path)
            if isinstance(entry, RejectedInput):
                return entry, None
            try:
                return entry, make_thumbnail(path, THUMB * 2)
            except (OSError, ValueError):
                return entry, None

        entry, thumbnail = await in_thread(check)
        self._entries[index] = entry
        reason = entry.reason if isinstance(entry, RejectedInput) else None
        self.slots[index].show_photo(path.name, thumbnail, reason)
        self.changed.emit()

    def clear_view(self, index: int) -> None:
        self._entries[index] = None
        self.slots[index].show_empty()
        self.changed.emit()

    def entry(self) -> BatchEntry | None:
        """The one batch entry, or None until front and left are filled (in order)."""
        if self.problem() is not None:
            return None
        filled = [e for e in self._entries[: self._max_views] if e is not None]
        return multiview_entry(filled)

    def problem(self) -> str | None:
        """What is missing, in one sentence (None: ready)."""
        entries = self._entries[: self._max_views]
        count = len([e for e in entries if e is not None])
        if entries[0] is None or entries[1] is None:
            return "Drop a photo on Front and on Left; Back and Right are optional."
        if entries[2] is None and count > 2:
            return "Fill Back before Right: the views go front, left, back, right."
        refused = [e for e in entries if isinstance(e, RejectedInput)]
        if refused:
            return refused[0].reason
        return None

    def view_count(self) -> int:
        return len([e for e in self._entries[: self._max_views] if e is not None])

    def _toggled(self) -> None:
        self._sync()
        self.changed.emit()

    def _sync(self) -> None:
        self.slot_row.setVisible(self.active)
