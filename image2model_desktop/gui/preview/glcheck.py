"""Is there an OpenGL VTK can draw with? Asked before the 3D view is made.

On a platform without OpenGL (Qt's offscreen platform, a remote session without
GLX) VTK would only fail at its first frame, far from where the view is made;
asking Qt for a 3.2 core context first gives one clear answer and the
renderer's name for the About dialog and the log.
"""

from __future__ import annotations

import functools

from image2model_desktop.core.errors import GLUnavailableError
from image2model_desktop.gui.qt import (
    QOffscreenSurface,
    QOpenGLContext,
    QSurfaceFormat,
)


@functools.cache
def opengl_renderer() -> str:
    """Say which OpenGL the view gets ("OpenGL 4.5"); raise GLUnavailableError without one.

    Asked through Qt alone (no OpenGL call of our own): the renderer's own name
    comes from VTK once the view has drawn (``ModelView.gl_renderer``).

    Checked before making the interactor: on a platform without OpenGL (Qt's
    offscreen platform, a remote session without GLX) VTK would fail at its first
    frame, far from here.
    """
    wanted = QSurfaceFormat()
    wanted.setRenderableType(QSurfaceFormat.RenderableType.OpenGL)
    wanted.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    wanted.setVersion(3, 2)
    context = QOpenGLContext()
    context.setFormat(wanted)
    if not context.create():
        raise GLUnavailableError("no OpenGL context could be created")
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    if not surface.isValid() or not context.makeCurrent(surface):
        raise GLUnavailableError("the OpenGL context could not be made current")
    try:
        got = context.format()
        if (got.majorVersion(), got.minorVersion()) < (3, 2):
            raise GLUnavailableError(f"OpenGL {got.majorVersion()}.{got.minorVersion()} < 3.2")
    finally:
        context.doneCurrent()
        surface.destroy()
    return f"OpenGL {got.majorVersion()}.{got.minorVersion()}"
