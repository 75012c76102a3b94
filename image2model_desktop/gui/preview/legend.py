"""The legend of a colour map over the model: its title, the ramp, the values and the limit.

A small Qt widget above the view rather than a VTK scalar bar: it is crisp at
any size, follows the window's colours, takes no room in the 3D picture (where
it covered the model in a narrow pane), and a screen reader can read it.
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

#: Height of the ramp and of the widget, px.
RAMP_HEIGHT = 10
LEGEND_HEIGHT = 34


class MapLegend(QWidget):
    """Title and limit on the left, the ramp with its two ends on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapLegend")
        self.setFixedHeight(LEGEND_HEIGHT)
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
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        text = QColor(current().text)
        painter.setPen(text)
        metrics = self.fontMetrics()
        title_width = min(metrics.horizontalAdvance(self._title) + 12, self.width() // 2)
        painter.drawText(
            QRect(0, 0, title_width, self.height()),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            metrics.elidedText(self._title, Qt.TextElideMode.ElideRight, title_width - 6),
        )
        ramp = QRect(title_width, 2, max(self.width() - title_width - 2, 10), RAMP_HEIGHT)
        gradient = QLinearGradient(ramp.left(), 0, ramp.right(), 0)
        for position, (r, g, b) in self._stops:
            gradient.setColorAt(position, QColor(r, g, b))
        painter.fillRect(ramp, gradient)
        labels = QRect(ramp.left(), ramp.bottom() + 2, ramp.width(), self.height() - RAMP_HEIGHT)
        painter.drawText(
            labels, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), self._low
        )
        painter.drawText(
            labels, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop), self._high
        )
        painter.end()
