"""A one-line label cut short with "…" that never widens its layout."""

from __future__ import annotations

from image2model_desktop.gui.qt import QLabel, QResizeEvent, QSizePolicy, Qt, QWidget


class ElidedLabel(QLabel):
    """Shows as much of its text as fits, then "…"; the tooltip and ``text()`` have it all.

    Its width is ignored by the layout (``QSizePolicy.Ignored``) above ``minimum``
    pixels: a long photo name never widens a row, its page or the window.
    """

    def __init__(self, text: str = "", minimum: int = 60, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(minimum)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        """The whole text, however much of it is shown."""
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        super().setText(shown)
