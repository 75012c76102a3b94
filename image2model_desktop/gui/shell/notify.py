"""Tell the user a batch ended while they were in another window."""

from __future__ import annotations

from image2model_desktop.gui.bridge import EngineBridge
from image2model_desktop.gui.qt import QApplication, QIcon, QSystemTrayIcon, QWidget


class Notifier:
    """A tray balloon when the desktop has a tray, else the taskbar's attention flash."""

    def __init__(self, window: QWidget, icon: QIcon, bridge: EngineBridge) -> None:
        self._window = window
        bridge.jobFinished.connect(
            lambda job: self.batch_ended("Batch finished", f"{job.summary_message()}.")
        )
        self._tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(icon, window)
            self._tray.setToolTip("Image2Model")
            self._tray.show()
        #: The last message shown (tests and the self-test read it).
        self.last_message: tuple[str, str] | None = None

    def batch_ended(self, title: str, message: str) -> None:
        if self._window.isActiveWindow():
            return
        self.last_message = (title, message)
        if self._tray is not None and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, 8000)
        else:
            QApplication.alert(self._window, 0)

    def close(self) -> None:
        if self._tray is not None:
            self._tray.hide()
            self._tray.deleteLater()
            self._tray = None
