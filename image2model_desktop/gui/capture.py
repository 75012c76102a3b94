"""Pictures of whole windows that include the 3D view.

``QWidget.grab()`` renders widgets through Qt's backing store; the 3D view is a
native GL window inside a window container, whose pixels never pass through
it, so the grab shows an empty hole there. ``grab_window`` draws the view's
own rendering over that hole.
"""

from __future__ import annotations

from image2model_desktop.gui.qt import QImage, QPainter, QPoint, QRect, QWidget


def grab_window(widget: QWidget) -> QImage:
    """``widget.grab()`` as a QImage, with every visible 3D view painted in."""
    from image2model_desktop.gui.preview import ViewHost

    image = widget.grab().toImage()
    hosts = [host for host in widget.findChildren(ViewHost) if host.isVisible()]
    if not hosts:
        return image
    painter = QPainter(image)
    try:
        for host in hosts:
            ratio = host.devicePixelRatioF()
            view_image = host.view.render_image(
                host.container.size() * ratio if ratio != 1 else None
            )
            if view_image.isNull():
                continue
            corner = host.container.mapTo(widget, QPoint(0, 0))
            painter.drawImage(QRect(corner, host.container.size()), view_image)
    finally:
        painter.end()
    return image
