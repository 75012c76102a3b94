"""The main window's keyboard shortcuts and the tooltips that name them (a mixin).

Every action button gets a tooltip, with its shortcut where it has one; the
window-wide keys (open, paste, delete, quit) act on whichever page they concern.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from image2model_desktop.gui.qt import QApplication, QKeySequence, QPushButton, QShortcut, Qt
from image2model_desktop.gui.shell.header import Phase

if TYPE_CHECKING:
    from image2model_desktop.gui.processing.page import ProcessingPage
    from image2model_desktop.gui.qt import QStackedWidget, QWidget
    from image2model_desktop.gui.results.page import ResultsPage
    from image2model_desktop.gui.shell.header import Header
    from image2model_desktop.gui.shell.library import LibraryList
    from image2model_desktop.gui.upload.page import UploadPage

#: The header's buttons, by object name.
HEADER_BUTTONS = ("newBatchButton", "settingsButton", "aboutButton")


class WindowShortcuts:
    """Shortcuts of ``MainWindow``; it provides the pages and ``set_phase``."""

    header: Header
    upload: UploadPage
    processing: ProcessingPage
    results: ResultsPage
    library: LibraryList
    pages: QStackedWidget
    upload_holder: QWidget

    # Declared, not defined: MainWindow's own (and QMainWindow's) must win.
    set_phase: Callable[[Phase], None]

    def _window(self) -> QWidget:
        """This object as the widget it is (the mixin is only ever part of ``MainWindow``)."""
        return cast("QWidget", self)

    def _install_shortcuts(self) -> None:
        bindings = (
            (QKeySequence.StandardKey.Open, self._browse),
            (QKeySequence.StandardKey.Paste, self._paste),
            (QKeySequence(Qt.Key.Key_Delete), self._delete),
        )
        for sequence, slot in bindings:
            shortcut = QShortcut(QKeySequence(sequence), self._window())
            shortcut.activated.connect(slot)
        # Ctrl+Q explicitly: StandardKey.Quit is empty on Windows.
        QShortcut(QKeySequence("Ctrl+Q"), self._window()).activated.connect(self._window().close)
        self._button_shortcuts()

    def _button_shortcuts(self) -> None:
        """Give every toolbar button a tooltip, with its shortcut where it has one."""
        header = {name: self.header.findChild(QPushButton, name) for name in HEADER_BUTTONS}
        table: list[tuple[QPushButton | None, str, str]] = [
            (header["newBatchButton"], "Ctrl+N", "Start a new batch of photos"),
            (header["settingsButton"], "Ctrl+,", "FAL key, defaults, colours, local API"),
            (header["aboutButton"], "F1", "Versions and licences"),
            (self.upload.clear_button, "", "Remove every photo from the list"),
            (self.upload.generate_button, "Ctrl+Return", "Make a model of each photo"),
            (self.processing.cancel_all_button, "", "Stop the files not finished yet"),
            (self.processing.retry_failed_button, "Ctrl+R", "Try the failed files again"),
            (self.processing.results_button, "", "See the finished models"),
            (self.results.details_button, "", "Each file's progress and messages"),
            (self.results.open_folder_button, "", "Show the models in the file manager"),
            (self.results.save_all_button, "Ctrl+Shift+S", "Save every model, in one format"),
            (
                self.results.save_button,
                QKeySequence(QKeySequence.StandardKey.Save).toString(),
                "Save the selected model",
            ),
        ]
        for button, keys, text in table:
            if button is None:
                continue
            if keys:
                sequence = QKeySequence(keys)
                shortcut = QShortcut(sequence, self._window())
                shortcut.activated.connect(
                    lambda b=button: b.isEnabled() and b.isVisible() and b.click()
                )
                text = f"{text} ({sequence.toString(QKeySequence.SequenceFormat.NativeText)})"
            button.setToolTip(text)

    def _browse(self) -> None:
        self.set_phase(Phase.UPLOAD)
        self.upload.browse()

    def _paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is not None and self.upload.paste(mime):
            self.set_phase(Phase.UPLOAD)

    def _delete(self) -> None:
        on_upload = self.upload.tray.hasFocus() or self.pages.currentWidget() is self.upload_holder
        if on_upload and self.upload.tray.remove_selected():
            return
        if self.library.hasFocus() or self.library.selected_job_id():
            self.library.request_delete()
