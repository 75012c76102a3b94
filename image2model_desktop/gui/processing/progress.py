"""A light progress bar: one rounded strip painted on the next frame.

``QProgressBar.setValue`` repaints synchronously; with a stylesheet under
Xvfb that measured 7 ms per call, and 25 rows updating several times a second
stalled the loop for hundreds of ms. This widget only calls ``update()``, so
Qt coalesces repaints into the next frame.
"""

from __future__ import annotations

from image2model_desktop.gui.qt import QColor, QPainter, QPaintEvent, QSize, Qt, QWidget
from image2model_desktop.gui.style import current


class ProgressStrip(QWidget):
    """A 0–``maximum`` bar; ``state`` picks the colour (accent while running)."""

    def __init__(self, height: int = 8, maximum: int = 100, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = 0
        self._maximum = maximum
        self._state = ""
        self._height = height
        self.setFixedHeight(height)
        self.setAccessibleName("Progress")

    def sizeHint(self) -> QSize:
        return QSize(200, self._height)

    def value(self) -> int:
        return self._value

    def maximum(self) -> int:
        return self._maximum

    def setValue(self, value: int) -> None:
        value = max(0, min(self._maximum, int(value)))
        if value != self._value:
            self._value = value
            self.update()

    def set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        rect = self.rect()
        radius = rect.height() / 2
        palette = current()
        painter.setBrush(QColor(palette.track))
        painter.drawRoundedRect(rect, radius, radius)
        if self._value > 0:
            fill = rect.adjusted(0, 0, 0, 0)
            fill.setWidth(max(rect.height(), round(rect.width() * self._value / self._maximum)))
            fills = {"completed": palette.success, "failed": palette.error}
            fills["cancelled"] = palette.cancelled
            fills["unconfirmed"] = palette.warning
            painter.setBrush(QColor(fills.get(self._state, palette.accent)))
            painter.drawRoundedRect(fill, radius, radius)
        painter.end()
