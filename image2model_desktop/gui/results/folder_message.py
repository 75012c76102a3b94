"""Open a folder in the file manager, or say where it is when none opens it."""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.gui.qt import (
    QApplication,
    QDesktopServices,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QUrl,
    QVBoxLayout,
    QWidget,
)


class FolderMessage(QDialog):
    """The folder's path, selectable, with a Copy button: for a system without a file manager."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open folder")
        self.setObjectName("folderMessage")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("No file manager opened the folder on this computer. The models are in:")
        )
        row = QHBoxLayout()
        self.path = QLineEdit(str(folder))
        self.path.setReadOnly(True)
        self.path.setAccessibleName("Folder path")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the path to the clipboard")
        self.copy_button.clicked.connect(self._copy)
        row.addWidget(self.path, 1)
        row.addWidget(self.copy_button)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _copy(self) -> None:
        QApplication.clipboard().setText(self.path.text())
        self.copy_button.setText("Copied")


def open_folder(folder: Path, parent: QWidget | None = None) -> FolderMessage | None:
    """Show ``folder`` in the file manager; when none takes it, show its path (returned).

    Never in a web browser: without a file manager, xdg-open opened folders in
    Chromium (``widgets.file_manager``).
    """
    from image2model_desktop.gui.widgets.file_manager import folder_opener

    if folder_opener() is not None and QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        return None
    message = FolderMessage(folder, parent)
    message.open()
    return message
