"""A one-sentence message shown in place (errors never pop up a dialog)."""

from __future__ import annotations

from typing import Literal

from image2model_desktop.gui.qt import QLabel, QWidget
from image2model_desktop.gui.style import repolish

NoticeKind = Literal["info", "success", "warning", "error"]


class Notice(QLabel):
    """A coloured strip holding the latest sentence; hidden when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setWordWrap(True)
        self.setAccessibleName("Message")
        self.hide()

    def show_message(self, text: str, kind: NoticeKind = "info") -> None:
        self.setText(text)
        self.setProperty("kind", kind)
        repolish(self)
        self.setVisible(bool(text))

    def kind(self) -> str:
        return str(self.property("kind") or "")

    def clear_message(self) -> None:
        self.setText("")
        self.hide()
