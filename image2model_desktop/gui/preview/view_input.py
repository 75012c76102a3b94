"""What the 3D view does with keys, clicks, drags and the wheel before VTK sees them.

Keys: VTK's interactor styles bind letters to actions (``e``/``q`` end the
interactor, ``w``/``s`` switch every actor's style, ``3`` stereo), so the view
keeps every key from VTK but Tab (focus); the preview's own keys (R, W…) are
toolbar shortcuts, which Qt runs before a key reaches the view. Drags and the
wheel ask for a big model's stand-in; a click (press and release within
``CLICK_SLOP`` pixels) asks for the surface point under it.
"""

from __future__ import annotations

from image2model_desktop.gui.qt import QEvent, QKeyEvent, QMouseEvent, QObject, Qt, Signal

#: A press and release closer than this (pixels) is a click, not a drag.
CLICK_SLOP = 4


class ViewInput(QObject):
    """An event filter for the interactor: it reports gestures, the view acts on them."""

    resized = Signal()
    #: A mouse move with a button held, past the click slop (each one of them).
    dragged = Signal()
    dragEnded = Signal()
    clicked = Signal(int, int)  # widget pixel (x, y) of a left click
    wheelTurned = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pressed_at: tuple[float, float] | None = None
        self._dragging = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return event.key() not in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
        if kind == QEvent.Type.KeyRelease:
            return True  # VTK's styles bind letters to actions (e/q quit, w/s, 3 stereo…)
        if kind == QEvent.Type.Resize:
            self.resized.emit()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            position = event.position()
            self._pressed_at = (position.x(), position.y())
            self._dragging = False
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if self._pressed_at is not None and event.buttons() != Qt.MouseButton.NoButton:
                position = event.position()
                far = max(
                    abs(position.x() - self._pressed_at[0]),
                    abs(position.y() - self._pressed_at[1]),
                )
                if far > CLICK_SLOP:
                    self._dragging = True
                    self.dragged.emit()
        elif kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            was_click = self._pressed_at is not None and not self._dragging
            self._pressed_at = None
            if self._dragging:
                self._dragging = False
                self.dragEnded.emit()
            if was_click and event.button() == Qt.MouseButton.LeftButton:
                position = event.position()
                self.clicked.emit(int(position.x()), int(position.y()))
        elif kind == QEvent.Type.Wheel:
            self.wheelTurned.emit()
        return False
