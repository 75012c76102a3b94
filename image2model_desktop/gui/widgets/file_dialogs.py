"""File dialogs that start in the folder used last, not in the working folder.

The folders are remembered per purpose ("photos", "watch"…) in the library's
``window.ini`` (``remember_in`` names it; the main window does at start), so
each library, and each test, keeps its own. The dialogs are the static
``QFileDialog`` functions, which use the platform's own dialog where Qt has one
(Windows, macOS, a GTK desktop, or any desktop through the XDG portal: see
``app.platform_dialogs``).
"""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.gui.qt import QFileDialog, QSettings, QWidget

PHOTO_FILTER = "Photos (*.jpg *.jpeg *.png *.JPG *.JPEG *.PNG)"
_store: Path | None = None


def remember_in(ini: Path) -> None:
    """Keep the last-used folders in ``ini``."""
    global _store
    _store = ini


def last_folder(purpose: str) -> str:
    """The folder to start in: the last one used for ``purpose``, else the home folder."""
    if _store is not None:
        saved = QSettings(str(_store), QSettings.Format.IniFormat).value(f"folders/{purpose}")
        if isinstance(saved, str) and Path(saved).is_dir():
            return saved
    return str(Path.home())


def remember(purpose: str, folder: Path) -> None:
    if _store is not None:
        settings = QSettings(str(_store), QSettings.Format.IniFormat)
        settings.setValue(f"folders/{purpose}", str(folder))
        settings.sync()


def open_photos(parent: QWidget | None) -> list[Path]:
    """Ask for photos, starting where photos were last taken from."""
    names, _ = QFileDialog.getOpenFileNames(
        parent, "Add photos", last_folder("photos"), PHOTO_FILTER
    )
    paths = [Path(n) for n in names]
    if paths:
        remember("photos", paths[0].parent)
    return paths


def save_file(
    parent: QWidget | None, title: str, purpose: str, name: str, filters: str
) -> tuple[Path, str] | None:
    """Ask where to save ``name``, starting in the folder last used for ``purpose``.

    Returns the path and the filter chosen; remembers the folder.
    """
    start = Path(last_folder(purpose)) / Path(name).name
    chosen, kind = QFileDialog.getSaveFileName(parent, title, str(start), filters)
    if not chosen:
        return None
    path = Path(chosen)
    remember(purpose, path.parent)
    return path, kind


def choose_folder(parent: QWidget | None, title: str, purpose: str, current: str = "") -> str:
    """Ask for a folder, starting at ``current`` or the last one chosen for ``purpose``."""
    start = current if current and Path(current).is_dir() else last_folder(purpose)
    name = QFileDialog.getExistingDirectory(parent, title, start)
    if name:
        remember(purpose, Path(name))
    return name
