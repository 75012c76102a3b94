"""The results grid: one tile per finished model, with a picture of it.

FAL sends a rendered image; the offline engine does not, so one is rendered
off-screen in the process pool (``mesh.render``) and kept beside the model,
so reopening a job from the library shows it at once, with no network.
"""

from __future__ import annotations

import logging
from pathlib import Path

from image2model_desktop.core.models import FileItem
from image2model_desktop.core.workers import run_in_process
from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.qt import (
    QAbstractItemView,
    QColor,
    QIcon,
    QImage,
    QListWidget,
    QListWidgetItem,
    QPixmap,
    QResizeEvent,
    QSize,
    Qt,
    QTimer,
    QWidget,
)
from image2model_desktop.gui.style import current

log = logging.getLogger(__name__)
WARNING_ROLE = Qt.ItemDataRole.UserRole + 1

ICON = 132
RENDER_SIZE = 320
#: A tile's second line when its model carries a warning (the tooltip has the sentence).
WARNED = "⚠ doubtful model"


def cached_render_path(outputs: Path, item: FileItem) -> Path | None:
    """Where the grid picture of ``item`` is (or will be) kept."""
    if item.output is None:
        return None
    if item.output.preview_filename:
        return outputs / item.output.preview_filename
    return outputs / f"{Path(item.output.model_filename).stem}.render.png"


async def grid_picture(outputs: Path, item: FileItem) -> Path | None:
    """Return a picture of ``item``'s model, rendering one if needed (None on failure)."""
    from image2model_desktop.mesh.render import render_preview

    target = cached_render_path(outputs, item)
    if target is None or item.output is None:
        return None
    if target.exists():
        return target
    model = outputs / item.output.model_filename
    if not model.exists():
        return None
    return await run_in_process(render_preview, model, target, RENDER_SIZE)


class ResultsGrid(QListWidget):
    """Tiles of one size in steady columns; each tile's data is its file id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsGrid")
        self.setAccessibleName("Finished models")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(ICON, ICON))
        self.setGridSize(QSize(ICON + 24, ICON + 44))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        # A long name wrapped onto extra lines and pushed its tile out of line with the
        # others: one line, cut in the middle (the tooltip has the whole name).
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # Ctrl/Shift-click a second model to see the two side by side.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setToolTip("Ctrl+click a second model to compare the two side by side")
        self.setMinimumWidth(ICON + 60)
        blank = QPixmap(ICON, ICON)
        blank.fill(Qt.GlobalColor.transparent)
        self._placeholder = QIcon(blank)

    def show_items(self, items: list[FileItem], outputs: Path) -> None:
        """One tile per item, in order; pictures arrive as they are found or drawn."""
        self.clear()
        for item in items:
            entry = QListWidgetItem(_caption(item))
            entry.setData(Qt.ItemDataRole.UserRole, item.file_id)
            warning = item.output.warning if item.output else None
            entry.setData(WARNING_ROLE, warning)
            entry.setToolTip(f"{item.filename}\n⚠ {warning}" if warning else item.filename)
            entry.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            # An empty picture until the real one arrives: a tile without an icon was
            # 36 px tall, so tiles changed size (and the grid its rows) as pictures came.
            entry.setIcon(self._placeholder)
            self.addItem(entry)
            spawn(self._load_picture(entry, outputs, item))
        self.recolour()

    def recolour(self) -> None:
        """Draw warned tiles' text in the theme's amber (call again when the theme changes)."""
        amber = QColor(current().warning)
        for row in range(self.count()):
            entry = self.item(row)
            if entry.data(WARNING_ROLE):
                entry.setForeground(amber)

    def warning(self, entry: QListWidgetItem) -> str | None:
        """The tile's model's warning sentence, if it has one."""
        value = entry.data(WARNING_ROLE)
        return str(value) if value else None

    def file_id(self, entry: QListWidgetItem) -> str:
        return str(entry.data(Qt.ItemDataRole.UserRole))

    def selected_file_ids(self) -> list[str]:
        """The selected tiles' file ids, in grid order."""
        return [self.file_id(e) for e in sorted(self.selectedItems(), key=self.row)]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A narrower grid rewraps its tiles: keep the selected model in sight.
        QTimer.singleShot(0, self._selected_in_view)

    def _selected_in_view(self) -> None:
        selected = self.currentItem()
        if selected is not None:
            self.scrollToItem(selected)

    async def _load_picture(self, entry: QListWidgetItem, outputs: Path, item: FileItem) -> None:
        try:
            picture = await grid_picture(outputs, item)
        except Exception as error:
            log.warning("No grid picture for %s: %s", item.file_id, error)
            return
        if picture is None or self.row(entry) < 0:
            return
        # QImage (unlike QPixmap) may be decoded off the Qt thread: do the WebP/PNG work there.
        image = await in_thread(_scaled_image, picture)
        if not image.isNull() and self.row(entry) >= 0:
            entry.setIcon(_untinted_icon(QPixmap.fromImage(image)))


def _scaled_image(path: Path) -> QImage:
    image = QImage(str(path))
    if image.isNull():
        return image
    return image.scaled(
        ICON * 2,
        ICON * 2,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


def _caption(item: FileItem) -> str:
    faces = f"{item.output.face_count:,} faces" if item.output else ""
    if item.output is not None and item.output.warning:
        faces = WARNED
    name = item.filename if len(item.filename) <= 22 else item.filename[:20] + "…"
    return f"{name}\n{faces}"


def _untinted_icon(pixmap: QPixmap) -> QIcon:
    """An icon that looks the same selected: the item's background shows the selection.

    Without a Selected pixmap, Qt tints the picture with the highlight colour,
    and a selected model's colours turn blue.
    """
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(pixmap, mode)
    return icon
