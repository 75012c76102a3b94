"""The 3D view: an OpenGL QWindow that draws one model with a turntable camera.

The view owns its QOpenGLContext instead of being a QOpenGLWindow, whose
context only exists once the window was first exposed: ours is made in
``initialize`` (so a computer without OpenGL 3.3 is known before the view is
shown), and with an offscreen surface it uploads models, warms llvmpipe's
shaders and renders screenshots whether or not the view is on screen.

Rendering happens on demand only (a model arrives, the camera moves, an option
changes, an expose); there is no timer. GL objects (programs, buffers,
textures, VAO) are destroyed explicitly, with the context current, by
``release`` — Python's collector must never be what frees them.

The window sits in a ``QWidget.createWindowContainer``: a QOpenGLWidget would
switch the whole top-level window to GL composition, which costs every repaint
of every widget under llvmpipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from image2model_desktop.gui.model_loader import VERTEX_FLOATS, GpuPart, LoadedModel
from image2model_desktop.gui.qt import (
    QCursor,
    QEvent,
    QExposeEvent,
    QImage,
    QKeyEvent,
    QMatrix4x4,
    QMouseEvent,
    QOffscreenSurface,
    QOpenGLBuffer,
    QOpenGLContext,
    QOpenGLFramebufferObject,
    QOpenGLFramebufferObjectFormat,
    QOpenGLFunctions,
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLTexture,
    QOpenGLVertexArrayObject,
    QPointF,
    QSize,
    QSurfaceFormat,
    Qt,
    QVector3D,
    QVector4D,
    QWheelEvent,
    QWindow,
    Signal,
)
from image2model_desktop.mesh.camera import Camera

log = logging.getLogger(__name__)

GL_TRIANGLES, GL_LINES = 0x0004, 0x0001
GL_FLOAT, GL_UNSIGNED_INT = 0x1406, 0x1405
GL_COLOR_BUFFER_BIT, GL_DEPTH_BUFFER_BIT = 0x4000, 0x0100
GL_DEPTH_TEST, GL_BLEND, GL_POLYGON_OFFSET_FILL, GL_MULTISAMPLE = 0x0B71, 0x0BE2, 0x8037, 0x809D
GL_LEQUAL, GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA = 0x0203, 0x0302, 0x0303
GL_RENDERER, GL_VERSION = 0x1F01, 0x1F02

BACKGROUND_TOP = (0.96, 0.97, 0.98)
BACKGROUND_BOTTOM = (0.80, 0.82, 0.86)
EDGE_COLOR = (0.12, 0.14, 0.18, 0.55)
#: Multisampling doubles llvmpipe's frame time (measured 26 → 49 ms for 50k faces): off.
SAMPLES = 0
#: Bytes uploaded per loop turn (~10 ms of llvmpipe copying, page faults included).
UPLOAD_SLICE = 2 << 20
STRIDE = VERTEX_FLOATS * 4

_MESH_VERTEX = """#version 330 core
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
layout(location = 2) in vec2 uv;
layout(location = 3) in vec4 color;
uniform mat4 view;
uniform mat4 projection;
out vec3 v_normal;
out vec2 v_uv;
out vec4 v_color;
void main() {
    v_normal = mat3(view) * normal;
    v_uv = uv;
    v_color = color;
    gl_Position = projection * view * vec4(position, 1.0);
}
"""

# Photo textures carry baked lighting: light them gently, in display space (no
# sRGB decode), so they look like the photo rather than a lit plastic shell.
_MESH_FRAGMENT = """#version 330 core
in vec3 v_normal;
in vec2 v_uv;
in vec4 v_color;
uniform sampler2D base_texture;
uniform int color_source;  // 0 plain colour, 1 vertex colours, 2 texture
uniform vec4 base_color;
uniform vec3 key_light;  // view space, unit
out vec4 frag_color;
void main() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    float head = max(n.z, 0.0);
    float key = max(dot(n, key_light), 0.0);
    float lambert = min(0.6 * head + 0.5 * key, 1.0);
    vec3 base = base_color.rgb;
    if (color_source == 1) base = v_color.rgb;
    if (color_source == 2) base *= texture(base_texture, v_uv).rgb;
    float specular = 0.06 * pow(max(dot(n, normalize(key_light + vec3(0.0, 0.0, 1.0))), 0.0), 40.0);
    frag_color = vec4(base * (0.35 + 0.75 * lambert) + specular, 1.0);
}
"""

_LINE_VERTEX = """#version 330 core
layout(location = 0) in vec3 position;
uniform mat4 view;
uniform mat4 projection;
void main() { gl_Position = projection * view * vec4(position, 1.0); }
"""

_LINE_FRAGMENT = """#version 330 core
uniform vec4 line_color;
out vec4 frag_color;
void main() { frag_color = line_color; }
"""

# One triangle covering the viewport, coloured by height: no buffers needed.
_BACKGROUND_VERTEX = """#version 330 core
out float v_height;
void main() {
    vec2 corner = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    v_height = corner.y;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.999, 1.0);
}
"""

_BACKGROUND_FRAGMENT = """#version 330 core
in float v_height;
uniform vec3 top;
uniform vec3 bottom;
out vec4 frag_color;
void main() { frag_color = vec4(mix(bottom, top, clamp(v_height, 0.0, 1.0)), 1.0); }
"""


class GLUnavailableError(RuntimeError):
    """This computer gives no OpenGL 3.3 core context (the preview cannot start)."""


def surface_format() -> QSurfaceFormat:
    fmt = QSurfaceFormat()
    fmt.setVersion(3, 3)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(24)
    fmt.setSamples(SAMPLES)
    return fmt


@dataclass
class _PartBuffers:
    """The GL objects of one uploaded part."""

    part: GpuPart
    vertices: QOpenGLBuffer
    triangles: QOpenGLBuffer
    edges: QOpenGLBuffer
    texture: QOpenGLTexture | None

    def destroy(self) -> None:
        for buffer in (self.vertices, self.triangles, self.edges):
            buffer.destroy()
        if self.texture is not None:
            self.texture.destroy()


def _program(vertex: str, fragment: str) -> QOpenGLShaderProgram:
    program = QOpenGLShaderProgram()
    ok = program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Vertex, vertex)
    ok = ok and program.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Fragment, fragment)
    if not (ok and program.link()):
        raise GLUnavailableError(f"a preview shader did not build: {program.log()}")
    return program


#: ``glDrawElements(mode, count, type, offset)``. PySide's binding takes the last
#: argument as client memory, which a bound element buffer reads as a bogus
#: offset; the C function is called instead, with the offset as a plain pointer.
_DrawElements = ctypes.CFUNCTYPE(None, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p)


_RGBA8 = (QOpenGLTexture.PixelFormat.RGBA, QOpenGLTexture.PixelType.UInt8)


def _destroy_all(parts: list[_PartBuffers]) -> None:
    """Destroy the parts' GL objects (the context must be current)."""
    for part in parts:
        part.destroy()
    parts.clear()


def _matrix(values: np.ndarray) -> QMatrix4x4:
    return QMatrix4x4(*(float(v) for v in values.ravel()))


class ModelView(QWindow):
    """Draw one ``LoadedModel``; drag to orbit, right/middle/shift-drag to pan, wheel to zoom."""

    frameDrawn = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setSurfaceType(QWindow.SurfaceType.OpenGLSurface)
        self.setFormat(surface_format())
        self.camera = Camera()
        self.wireframe = False
        self.show_texture = True
        #: Seconds the last upload and the last frame took on the Qt thread (with glFinish).
        self.upload_seconds = 0.0
        self.frame_seconds = 0.0
        self.frames = 0
        self.renderer = ""
        self._model: LoadedModel | None = None
        self._parts: list[_PartBuffers] = []
        self._programs: dict[str, QOpenGLShaderProgram] = {}
        self._context: QOpenGLContext | None = None
        self._offscreen: QOffscreenSurface | None = None
        self._vao: QOpenGLVertexArrayObject | None = None
        self._draw_elements: ctypes._CFuncPtr | None = None
        self._generation = 0
        self._drag: tuple[Qt.MouseButton, QPointF, bool] | None = None
        self._released = False
        self.setCursor(QCursor(Qt.CursorShape.OpenHandCursor))

    # -- GL life ----------------------------------------------------------------------------

    def initialize(self) -> None:
        """Create the context and build the shaders; GLUnavailableError when GL is missing."""
        context = QOpenGLContext()
        context.setFormat(self.requestedFormat())
        offscreen = QOffscreenSurface()
        offscreen.setFormat(self.requestedFormat())
        offscreen.create()
        if not context.create() or context.format().version() < (3, 3):
            offscreen.destroy()
            raise GLUnavailableError("no OpenGL 3.3 core context")
        if not context.makeCurrent(offscreen):
            offscreen.destroy()
            raise GLUnavailableError("the OpenGL context could not be made current")
        self._context, self._offscreen = context, offscreen
        try:
            address = context.getProcAddress(b"glDrawElements")
            if not address:
                raise GLUnavailableError("OpenGL has no glDrawElements")
            self._draw_elements = _DrawElements(address)
            functions = context.functions()
            self.renderer = (
                f"{functions.glGetString(GL_RENDERER)} (OpenGL {functions.glGetString(GL_VERSION)})"
            )
            self._programs = {
                "mesh": _program(_MESH_VERTEX, _MESH_FRAGMENT),
                "line": _program(_LINE_VERTEX, _LINE_FRAGMENT),
                "background": _program(_BACKGROUND_VERTEX, _BACKGROUND_FRAGMENT),
            }
            self._vao = QOpenGLVertexArrayObject()
            self._vao.create()
        finally:
            context.doneCurrent()

    @property
    def released(self) -> bool:
        return self._released

    @property
    def is_ready(self) -> bool:
        """True while the context exists and the view was not released."""
        return self._context is not None and not self._released

    def release(self) -> None:
        """Destroy every GL object with the context current, then the context (safe twice)."""
        if self._released:
            return
        self._released = True
        context, offscreen = self._context, self._offscreen
        if context is not None and offscreen is not None and context.makeCurrent(offscreen):
            _destroy_all(self._parts)
            if self._vao is not None:
                self._vao.destroy()
            # Programs are freed when their last reference goes: drop them while current.
            for program in self._programs.values():
                program.removeAllShaders()
            self._programs = {}
            context.doneCurrent()
        self._programs = {}
        self._parts = []
        self._vao = None
        self._model = None
        self._context = self._offscreen = None
        self._draw_elements = None
        if offscreen is not None:
            offscreen.destroy()

    @property
    def programs(self) -> list[QOpenGLShaderProgram]:
        return list(self._programs.values())

    @property
    def part_count(self) -> int:
        """How many parts have GL buffers now."""
        return len(self._parts)

    def gl_objects(self) -> list[QOpenGLBuffer | QOpenGLTexture | QOpenGLVertexArrayObject]:
        """The buffers, textures and VAO this view holds (tests check they are destroyed)."""
        held: list[QOpenGLBuffer | QOpenGLTexture | QOpenGLVertexArrayObject] = []
        if self._vao is not None:
            held.append(self._vao)
        for part in self._parts:
            held += [part.vertices, part.triangles, part.edges]
            if part.texture is not None:
                held.append(part.texture)
        return held

    # -- what is shown ----------------------------------------------------------------------

    @property
    def model(self) -> LoadedModel | None:
        return self._model

    async def load(self, model: LoadedModel) -> bool:
        """Upload ``model`` a slice per loop turn, then show it from the next frame.

        Buffers and texture levels go up in pieces of at most UPLOAD_SLICE bytes,
        so a 2048² texture (16 MB, first-touch page faults in llvmpipe included)
        never holds the Qt thread for long. The previous model stays on screen
        meanwhile. Returns False when a newer ``load``/``clear_model`` or
        ``release`` came first.
        """
        if not self.is_ready:
            return False
        self._generation += 1
        generation = self._generation
        parts: list[_PartBuffers] = []
        steps = self._upload_steps(model, parts)
        self.upload_seconds = 0.0
        while True:
            if generation != self._generation or not self.is_ready:
                if self.is_ready:
                    with self._current():
                        _destroy_all(parts)
                return False
            started = time.perf_counter()
            with self._current():
                finished = next(steps, None) is None
                self.context_functions().glFinish()
            self.upload_seconds = max(self.upload_seconds, time.perf_counter() - started)
            if finished:
                break
            await asyncio.sleep(0)
        with self._current():
            _destroy_all(self._parts)
        self._parts, self._model = parts, model
        self.camera.fit(model.bounds)
        self.update()
        return True

    def clear_model(self) -> None:
        """Show nothing (and stop any upload under way)."""
        self._generation += 1
        if self.is_ready:
            with self._current():
                _destroy_all(self._parts)
        self._parts, self._model = [], None
        self.update()

    def context_functions(self) -> QOpenGLFunctions:
        assert self._context is not None
        return self._context.functions()

    @contextlib.contextmanager
    def _current(self) -> Iterator[None]:
        """Make the context current on the offscreen surface for GL work off-frame."""
        assert self._context is not None and self._offscreen is not None
        if not self._context.makeCurrent(self._offscreen):
            raise GLUnavailableError("the OpenGL context could not be made current")
        try:
            yield
        finally:
            self._context.doneCurrent()

    def reset_view(self) -> None:
        if self._model is not None:
            self.camera.fit(self._model.bounds)
        self.update()

    def set_wireframe(self, on: bool) -> None:
        self.wireframe = on
        self.update()

    def set_show_texture(self, on: bool) -> None:
        self.show_texture = on
        self.update()

    def update(self) -> None:
        """Ask for a frame (drawn at Qt's next update request, only if on screen)."""
        if self.isExposed():
            self.requestUpdate()

    # -- frames -----------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.UpdateRequest:
            self._render_to_window()
            return True
        return super().event(event)

    def exposeEvent(self, event: QExposeEvent) -> None:
        if self.isExposed():
            self._render_to_window()

    def _render_to_window(self) -> None:
        context = self._context
        if context is None or self._released or not self.isExposed():
            return
        started = time.perf_counter()
        if not context.makeCurrent(self):
            return
        ratio = self.devicePixelRatio()
        functions = context.functions()
        self._draw(functions, round(self.width() * ratio), round(self.height() * ratio))
        context.swapBuffers(self)
        functions.glFinish()
        context.doneCurrent()
        self.frame_seconds = time.perf_counter() - started
        self.frames += 1
        self.frameDrawn.emit()

    def _upload_steps(self, model: LoadedModel, parts: list[_PartBuffers]) -> Iterator[bool]:
        """Create ``model``'s GL objects into ``parts``, yielding after each slice."""
        for part in model.parts:
            vertices = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
            triangles = QOpenGLBuffer(QOpenGLBuffer.Type.IndexBuffer)
            edges = QOpenGLBuffer(QOpenGLBuffer.Type.IndexBuffer)
            for buffer in (vertices, triangles, edges):
                buffer.create()
            texture = None
            if part.mip_levels:
                texture = QOpenGLTexture(QOpenGLTexture.Target.Target2D)
                height, width = part.mip_levels[0].shape[:2]
                texture.setFormat(QOpenGLTexture.TextureFormat.RGBA8_UNorm)
                texture.setSize(width, height)
                texture.setMipLevels(len(part.mip_levels))
                texture.allocateStorage(
                    QOpenGLTexture.PixelFormat.RGBA, QOpenGLTexture.PixelType.UInt8
                )
                texture.setMinMagFilters(
                    QOpenGLTexture.Filter.LinearMipMapNearest, QOpenGLTexture.Filter.Linear
                )
                texture.setWrapMode(QOpenGLTexture.WrapMode.Repeat)
            # Recorded now, so a superseded upload still destroys what it made.
            parts.append(_PartBuffers(part, vertices, triangles, edges, texture))
            for buffer, data in ((vertices, part.vertices), (triangles, part.triangles)):
                flat = data.reshape(-1).view(np.uint8)
                buffer.bind()
                buffer.allocate(len(flat))
                for start in range(0, len(flat), UPLOAD_SLICE):
                    buffer.bind()
                    piece = flat[start : start + UPLOAD_SLICE]
                    buffer.write(start, piece, len(piece))
                    yield True
            # The edges are filled on the first wireframe frame.
            if texture is None:
                continue
            pending = 0
            for level, pixels in enumerate(part.mip_levels):
                height, width = pixels.shape[:2]
                rows = max(1, UPLOAD_SLICE // (width * 4))
                for top in range(0, height, rows):
                    band = pixels[top : top + rows]
                    texture.setData(0, top, 0, width, len(band), 1, level, *_RGBA8, band)
                    pending += band.nbytes
                    if pending >= UPLOAD_SLICE:
                        pending = 0
                        yield True

    # -- drawing ----------------------------------------------------------------------------

    def _draw(self, gl: QOpenGLFunctions, width: int, height: int) -> None:
        if self._vao is None:
            return
        gl.glViewport(0, 0, width, height)
        gl.glClearColor(*BACKGROUND_BOTTOM, 1.0)
        gl.glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT)
        gl.glEnable(GL_MULTISAMPLE)
        self._vao.bind()
        background = self._programs["background"]
        background.bind()
        background.setUniformValue("top", QVector3D(*BACKGROUND_TOP))
        background.setUniformValue("bottom", QVector3D(*BACKGROUND_BOTTOM))
        gl.glDisable(GL_DEPTH_TEST)
        gl.glDrawArrays(GL_TRIANGLES, 0, 3)
        if self._model is not None and self._parts:
            aspect = width / max(height, 1)
            view = _matrix(self.camera.view_matrix(aspect))
            projection = _matrix(self.camera.projection_matrix(aspect))
            gl.glEnable(GL_DEPTH_TEST)
            gl.glDepthFunc(GL_LEQUAL)
            if self.wireframe:
                gl.glEnable(GL_POLYGON_OFFSET_FILL)
                gl.glPolygonOffset(1.0, 1.0)
            for part in self._parts:
                self._draw_surface(gl, part, view, projection)
            gl.glDisable(GL_POLYGON_OFFSET_FILL)
            if self.wireframe:
                for part in self._parts:
                    self._draw_edges(gl, part, view, projection)
        self._vao.release()

    def _use(self, name: str, view: QMatrix4x4, projection: QMatrix4x4) -> QOpenGLShaderProgram:
        """Bind the ``name`` program with this frame's camera matrices."""
        program = self._programs[name]
        program.bind()
        program.setUniformValue("view", view)
        program.setUniformValue("projection", projection)
        return program

    def _draw_surface(
        self, gl: QOpenGLFunctions, part: _PartBuffers, view: QMatrix4x4, projection: QMatrix4x4
    ) -> None:
        program = self._use("mesh", view, projection)
        program.setUniformValue("key_light", QVector3D(0.45, 0.75, 0.5).normalized())
        textured = part.texture is not None and self.show_texture
        source = 2 if textured else 1 if part.part.has_colors else 0
        color = part.part.base_color if textured else part.part.plain_color
        if part.texture is not None and textured:
            part.texture.bind(0)
            program.setUniformValue1i("base_texture", 0)
        program.setUniformValue1i("color_source", source)
        program.setUniformValue("base_color", QVector4D(*color))
        part.vertices.bind()
        for location, offset, size in ((0, 0, 3), (1, 12, 3), (2, 24, 2), (3, 32, 4)):
            program.enableAttributeArray(location)
            program.setAttributeBuffer(location, GL_FLOAT, offset, size, STRIDE)
        part.triangles.bind()
        self._draw_elements(GL_TRIANGLES, len(part.part.triangles), GL_UNSIGNED_INT, None)
        if part.texture is not None and textured:
            part.texture.release(0)

    def _draw_edges(
        self, gl: QOpenGLFunctions, part: _PartBuffers, view: QMatrix4x4, projection: QMatrix4x4
    ) -> None:
        program = self._use("line", view, projection)
        program.setUniformValue("line_color", QVector4D(*EDGE_COLOR))
        part.vertices.bind()
        program.enableAttributeArray(0)
        program.setAttributeBuffer(0, GL_FLOAT, 0, 3, STRIDE)
        for location in (1, 2, 3):
            program.disableAttributeArray(location)
        part.edges.bind()
        if part.edges.size() <= 0:
            part.edges.allocate(part.part.edges, part.part.edges.nbytes)
        gl.glEnable(GL_BLEND)
        gl.glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA)
        self._draw_elements(GL_LINES, len(part.part.edges), GL_UNSIGNED_INT, None)
        gl.glDisable(GL_BLEND)

    # -- pictures ---------------------------------------------------------------------------

    def render_image(self, size: QSize | None = None) -> QImage:
        """Draw the current view into an offscreen framebuffer and return it (RGB888).

        Works whether or not the view is on screen; the size defaults to the view's.
        """
        context, offscreen = self._context, self._offscreen
        if context is None or offscreen is None or self._released:
            return QImage()
        ratio = self.devicePixelRatio()
        if size is None:
            size = QSize(max(round(self.width() * ratio), 1), max(round(self.height() * ratio), 1))
        if not context.makeCurrent(offscreen):
            return QImage()
        try:
            fbo_format = QOpenGLFramebufferObjectFormat()
            fbo_format.setSamples(SAMPLES)
            fbo_format.setAttachment(QOpenGLFramebufferObject.Attachment.Depth)
            fbo = QOpenGLFramebufferObject(size, fbo_format)
            fbo.bind()
            self._draw(context.functions(), size.width(), size.height())
            fbo.release()
            image = fbo.toImage().convertToFormat(QImage.Format.Format_RGB888)
            del fbo  # while the context is current, so its GL objects are freed now
        finally:
            context.doneCurrent()
        return image

    def screenshot(self) -> np.ndarray:
        """The current view as an (h, w, 3) uint8 array (empty if the view never drew)."""
        image = self.render_image()
        if image.isNull():
            return np.zeros((0, 0, 3), np.uint8)
        width, height = image.width(), image.height()
        rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
        return (
            rows.reshape(height, image.bytesPerLine())[:, : width * 3]
            .reshape(height, width, 3)
            .copy()
        )

    # -- interaction ------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        pan = button in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton) or (
            button == Qt.MouseButton.LeftButton and shift
        )
        if button not in (
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.RightButton,
            Qt.MouseButton.MiddleButton,
        ):
            return
        self._drag = (button, event.position(), pan)
        shape = Qt.CursorShape.SizeAllCursor if pan else Qt.CursorShape.ClosedHandCursor
        self.setCursor(QCursor(shape))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            return
        button, last, pan = self._drag
        delta = event.position() - last
        self._drag = (button, event.position(), pan)
        if pan:
            self.camera.move(delta.x(), delta.y(), max(self.height(), 1))
        else:
            self.camera.orbit(delta.x(), delta.y())
        self.update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and event.button() == self._drag[0]:
            self._drag = None
            self.setCursor(QCursor(Qt.CursorShape.OpenHandCursor))
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.camera.zoom(steps)
            self.update()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_R and not event.modifiers():
            self.reset_view()
            event.accept()
            return
        event.ignore()
