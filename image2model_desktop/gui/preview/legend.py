"""The legend of a colour map over the model: its title and limit, then the ramp between its ends.

A one-line Qt widget in the status line's row rather than a VTK scalar bar: it
is crisp at any size, follows the window's colours, covers nothing of the 3D
picture, never moves the view (a row of its own made the view jump 38 px when a
map came on), and a screen reader can read it.
"""

from __future__ import annotations

from image2model_desktop.gui.qt import (
    QColor,
    QLinearGradient,
    QPainter,
    QPaintEvent,
    QRect,
    QSizePolicy,
    Qt,
    QWidget,
)
from image2model_desktop.gui.style import current

#: Height of the ramp, px (the legend shares the status line's row and height).
RAMP_HEIGHT = 9


class MapLegend(QWidget):
    """Title and limit, then ``low ▬▬▬ high``, on one line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapLegend")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._title = ""
        self._low = self._high = ""
        self._stops: list[tuple[float, tuple[int, int, int]]] = []
        self.hide()

    def show_map(
        self,
        title: str,
        stops: list[tuple[float, tuple[int, int, int]]],
        low: str,
        high: str,
    ) -> None:
        """Show a ramp from ``low`` to ``high`` (their labels) along ``stops``."""
        self._title, self._stops, self._low, self._high = title, stops, low, high
        self.setAccessibleName(f"Legend: {title}, from {low} to {high}")
        self.setToolTip(title)
        self.show()
        self.update()

    @property
    def title(self) -> str:
        return self._title

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(QColor(current().text))
        metrics = self.fontMetrics()
        middle = Qt.AlignmentFlag.AlignVCenter
        low_width = metrics.horizontalAdvance(self._low) + 6
        high_width = metrics.horizontalAdvance(self._high) + 6
        # The ramp takes at most a quarter of the row; the title gets what is left.
        ramp_width = max(min(self.width() // 4, 120), 40)
        title_width = max(self.width() - low_width - ramp_width - high_width - 8, 0)
        title = metrics.elidedText(self._title, Qt.TextElideMode.ElideRight, title_width)
        painter.drawText(
            QRect(0, 0, title_width, self.height()), int(middle | Qt.AlignmentFlag.AlignLeft), title
        )
        x = title_width + 8
        painter.drawText(
            QRect(x, 0, low_width, self.height()),
            int(middle | Qt.AlignmentFlag.AlignLeft),
            self._low,
        )
        x += low_width
        ramp = QRect(x, (self.height() - RAMP_HEIGHT) // 2, ramp_width, RAMP_HEIGHT)
        gradient = QLinearGradient(ramp.left(), 0, ramp.right(), 0)
        for position, (r, g, b) in self._stops:
            gradient.setColorAt(position, QColor(r, g, b))
        painter.fillRect(ramp, gradient)
        painter.drawText(
            QRect(ramp.right() + 6, 0, high_width, self.height()),
            int(middle | Qt.AlignmentFlag.AlignLeft),
            self._high,
        )
        painter.end()
