"""The About dialog: what this is, and the versions a bug report needs."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from image2model_desktop import __version__
from image2model_desktop.gui.qt import (
    PYSIDE_VERSION,
    QDialog,
    QDialogButtonBox,
    QLabel,
    Qt,
    QVBoxLayout,
    QWidget,
    qVersion,
)


def versions(renderer: str | None = None) -> list[tuple[str, str]]:
    """Name and version of the app and the libraries that matter for bug reports.

    ``renderer`` is the 3D view's OpenGL renderer, when it has started.
    """
    rows = [
        ("Image2Model", __version__),
        ("Python", platform.python_version()),
        ("Qt", qVersion()),
        ("PySide6", PYSIDE_VERSION),
    ]
    for dist in ("qasync", "pyvista", "pyvistaqt", "vtk", "trimesh", "fal-client"):
        try:
            rows.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            rows.append((dist, "not installed"))
    rows.append(("OpenGL", renderer or "not started"))
    rows.append(("Platform", f"{platform.system()} {platform.release()} ({sys.platform})"))
    return rows


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Image2Model")
        self.setObjectName("aboutDialog")
        layout = QVBoxLayout(self)
        title = QLabel("Image2Model Desktop")
        title.setObjectName("pageTitle")
        blurb = QLabel(
            "Turns photos into 3D models with FAL.AI Tripo3D in the cloud, or with the "
            "built-in offline engine on this computer."
        )
        blurb.setWordWrap(True)
        table = "".join(
            f"<tr><td style='padding-right:16px;color:#667085'>{name}</td><td>{value}</td></tr>"
            for name, value in versions(_renderer_of(parent))
        )
        details = QLabel(f"<table>{table}</table>")
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(title)
        layout.addWidget(blurb)
        layout.addWidget(details)
        layout.addWidget(buttons)


def _renderer_of(window: QWidget | None) -> str | None:
    """The OpenGL renderer of the 3D view inside ``window``, if one started."""
    from image2model_desktop.gui.preview.pane import PreviewPane

    if window is None:
        return None
    views = [pane.view for pane in window.findChildren(PreviewPane) if pane.view is not None]
    return next((view.gl_renderer for view in views), None)
