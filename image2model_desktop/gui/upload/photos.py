"""The photos staged for the next batch: each checked and thumbnailed off the Qt thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from image2model_desktop.core.errors import InvalidImageError
from image2model_desktop.core.images import ImageInfo, make_thumbnail, validate_image
from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPixmap,
    QSize,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import repolish

#: Small enough that a 700-pixel-high window still lists four photos.
THUMB_SIZE = 44


@dataclass
class StagedPhoto:
    """One photo in the tray and what checking it found."""

    path: Path
    name: str
    info: ImageInfo | None = None
    #: Why validation refused it (None while checking or when accepted).
    reason: str | None = None
    thumbnail: bytes | None = None
    #: ``core.reuse.pixel_hash``, once known: the estimate leaves out photos already made.
    pixel_hash: str | None = None

    @property
    def checking(self) -> bool:
        return self.info is None and self.reason is None

    @property
    def valid(self) -> bool:
        return self.info is not None


def check_photo(path: Path) -> tuple[ImageInfo | None, str | None, bytes | None]:
    """Validate and thumbnail one photo (blocking: run it in a thread)."""
    try:
        info = validate_image(path, path.name)
    except InvalidImageError as error:
        return None, error.reason[:1].upper() + error.reason[1:] + ".", None
    try:
        thumbnail = make_thumbnail(path, THUMB_SIZE * 2)
    except (InvalidImageError, OSError):
        thumbnail = None
    return info, None, thumbnail


class PhotoTile(QWidget):
    """A row of the tray: thumbnail, name, what validation said, and a remove button."""

    removeClicked = Signal()

    def __init__(self, photo: StagedPhoto, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        self._thumb = QLabel()
        self._thumb.setFixedSize(THUMB_SIZE, THUMB_SIZE)
        self._thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._thumb.setObjectName("rowThumbnail")
        text = QVBoxLayout()
        self._name = QLabel(photo.name)
        self._name.setObjectName("rowName")
        self._status = QLabel()
        self._status.setObjectName("photoStatus")
        self._status.setWordWrap(True)
        text.addWidget(self._name)
        text.addWidget(self._status)
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip(f"Remove {photo.name}")
        remove.setAccessibleName(f"Remove {photo.name}")
        remove.clicked.connect(self.removeClicked)
        layout.addWidget(self._thumb)
        layout.addLayout(text, 1)
        layout.addWidget(remove)
        self.show_photo(photo)

    def show_photo(self, photo: StagedPhoto) -> None:
        if photo.thumbnail:
            pixmap = QPixmap()
            pixmap.loadFromData(photo.thumbnail)
            self._thumb.setPixmap(
                pixmap.scaled(
                    THUMB_SIZE,
                    THUMB_SIZE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        if photo.checking:
            self._status.setText("Checking…")
            self._set_kind("checking")
        elif photo.info is not None:
            info = photo.info
            self._status.setText(
                f"Ready  ·  {info.width} × {info.height}  ·  {_size(info.file_size)}"
            )
            self._set_kind("ready")
        else:
            self._status.setText(photo.reason or "Refused.")
            self._set_kind("refused")
            self._thumb.setText("!")

    def _set_kind(self, kind: str) -> None:
        # Colours come from the window's stylesheet (light or dark), keyed on this.
        if self._status.property("kind") != kind:
            self._status.setProperty("kind", kind)
            repolish(self._status)


class PhotoTray(QListWidget):
    """The list of staged photos; emits ``changed`` whenever one is added, checked or removed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoList")
        self.setAccessibleName("Photos for the next batch")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSpacing(2)
        self._photos: list[StagedPhoto] = []

    @property
    def photos(self) -> list[StagedPhoto]:
        return list(self._photos)

    def valid_photos(self) -> list[StagedPhoto]:
        return [p for p in self._photos if p.valid]

    def taken_places(self) -> int:
        """Places of the batch's limit in use: accepted photos and those still being checked."""
        return sum(1 for p in self._photos if p.reason is None)

    def is_checking(self) -> bool:
        return any(p.checking for p in self._photos)

    def known(self, path: Path) -> bool:
        resolved = path.resolve()
        return any(p.path.resolve() == resolved for p in self._photos)

    async def add(self, path: Path) -> None:
        """Add a photo row at once, then fill in what checking it finds.

        Returns once the photo is checked; its hash (for the estimate) follows.
        """
        photo = StagedPhoto(path=path, name=path.name)
        self._photos.append(photo)
        item = QListWidgetItem(self)
        tile = PhotoTile(photo)
        tile.removeClicked.connect(lambda: self.remove(photo))
        item.setSizeHint(QSize(0, THUMB_SIZE + 8))
        self.setItemWidget(item, tile)
        self.changed.emit()
        photo.info, photo.reason, photo.thumbnail = await in_thread(check_photo, path)
        if photo in self._photos:
            tile.show_photo(photo)
            self.changed.emit()
        if photo.info is not None and photo in self._photos:
            spawn(self._hash(photo))

    async def _hash(self, photo: StagedPhoto) -> None:
        from image2model_desktop.core.reuse import pixel_hash

        photo.pixel_hash = await in_thread(pixel_hash, photo.path)
        if photo in self._photos:
            self.changed.emit()

    def remove(self, photo: StagedPhoto) -> None:
        if photo not in self._photos:
            return
        row = self._photos.index(photo)
        self._photos.pop(row)
        self.takeItem(row)
        self.changed.emit()

    def remove_selected(self) -> int:
        rows = sorted((self.row(item) for item in self.selectedItems()), reverse=True)
        for row in rows:
            self._photos.pop(row)
            self.takeItem(row)
        if rows:
            self.changed.emit()
        return len(rows)

    def clear_photos(self) -> None:
        self._photos.clear()
        self.clear()
        self.changed.emit()


def _size(num_bytes: int) -> str:
    if num_bytes >= 1_000_000:
        return f"{num_bytes / 1_000_000:.1f} MB"
    return f"{max(1, round(num_bytes / 1000))} KB"
