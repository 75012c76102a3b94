"""What the 3D view does with keys, clicks, drags and the wheel before VTK sees them.

Keys: VTK's interactor styles bind letters to actions (``e``/``q`` end the
interactor, ``w``/``s`` switch every actor's style, ``3`` stereo), so the view
keeps every key but R (reset) and Tab (focus). Drags and the wheel swap in a big
model's stand-in; a click (press and release within ``CLICK_SLOP`` pixels)
picks a surface point for the measuring tool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from image2model_desktop.gui.qt import QEvent, QMouseEvent, QObject, Qt, QTimer

if TYPE_CHECKING:
    from image2model_desktop.gui.preview.view3d import ModelView

#: A press and release closer than this (pixels) is a click, not a drag.
CLICK_SLOP = 4


class ViewInput(QObject):
    """Keys, clicks and camera moves of the interactor, before VTK sees them."""

    def __init__(self, view: ModelView) -> None:
        super().__init__(view)
        self.view = view
        self._pressed_at: tuple[float, float] | None = None
        self._dragging = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        view = self.view
        if kind == QEvent.Type.KeyPress:
            return self._key(event)
        if kind == QEvent.Type.KeyRelease:
            return True  # VTK's styles bind letters to actions (e/q quit, w/s, 3 stereo…)
        if kind == QEvent.Type.Resize and view.framed:
            view.reset_view(render=False)
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
                    view.framed = False
                    view.show_standin()
        elif kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            was_click = self._pressed_at is not None and not self._dragging
            self._pressed_at = None
            if self._dragging:
                self._dragging = False
                QTimer.singleShot(0, view.show_full_detail)
            if was_click and event.button() == Qt.MouseButton.LeftButton:
                position = event.position()
                point = view.pick(int(position.x()), int(position.y()))
                if point is not None:
                    view.pointPicked.emit(point)
        elif kind == QEvent.Type.Wheel:
            view.wheel_turned()
        return False

    def _key(self, event: Any) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            return False
        if key == Qt.Key.Key_R and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.view.reset_view()
        return True
