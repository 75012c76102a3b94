"""The 3D preview draws real files; toolbar and mouse change the picture; it fails softly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from PySide6.QtTest import QTest

from image2model_desktop.gui.capture import grab_window
from image2model_desktop.gui.header import Phase
from image2model_desktop.gui.preview import NO_GL_MESSAGE
from image2model_desktop.gui.qt import QApplication, QImage, QPoint, QPointF, Qt, QWheelEvent
from image2model_desktop.gui.selftest import model_pixel_share

from .conftest import until


@pytest.fixture
def preview(open_window):
    """The window's preview pane, on screen (results phase)."""
    window = open_window().window
    window.set_phase(Phase.RESULTS)
    return window.results.preview


def next_frame(run, view, action) -> np.ndarray:
    """Do ``action``, wait for the view to draw on screen, return the view's picture."""
    drawn = view.frames
    action()
    run(until(lambda: view.frames > drawn, 10, "a new frame"))
    return view.screenshot()


def as_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    rows = rows.reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ clearly between two pictures of the same size."""
    assert a.shape == b.shape
    return float((np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 30).mean())


def test_textured_model_is_drawn_and_toggles_change_the_picture(preview, run, model_glb):
    assert run(preview.show_model(model_glb))
    assert preview.model.textured and preview.texture_button.isEnabled()
    view = preview.view
    assert view.frames > 0
    textured = preview.screenshot()
    assert textured.shape[0] > 200 and textured.shape[1] > 200
    assert model_pixel_share(textured) > 0.05

    plain = next_frame(run, view, preview.texture_button.click)
    assert changed(textured, plain) > 0.02
    # Untextured is the plain grey, lit: no strongly coloured pixel is left.
    assert (np.ptp(plain.astype(int), axis=2) < 40).mean() > 0.99
    again = next_frame(run, view, preview.texture_button.click)
    assert np.array_equal(again, textured)

    wire = next_frame(run, view, preview.wireframe_button.click)
    assert changed(textured, wire) > 0.01
    assert np.array_equal(next_frame(run, view, preview.wireframe_button.click), textured)


def test_drag_turns_the_model_and_r_or_reset_brings_the_view_back(preview, run, model_glb):
    assert run(preview.show_model(model_glb))
    view = preview.view
    start = preview.screenshot()
    centre = QPoint(view.width() // 2, view.height() // 2)

    def drag(button: Qt.MouseButton, dx: int, dy: int, modifier=Qt.KeyboardModifier.NoModifier):
        QTest.mousePress(view, button, modifier, centre)
        QTest.mouseMove(view, centre + QPoint(dx // 2, dy // 2))
        QTest.mouseMove(view, centre + QPoint(dx, dy))
        QTest.mouseRelease(view, button, modifier, centre + QPoint(dx, dy))

    turned = next_frame(run, view, lambda: drag(Qt.MouseButton.LeftButton, 120, 0))
    assert changed(start, turned) > 0.01
    assert view.camera.azimuth != pytest.approx(35.0)
    assert np.array_equal(next_frame(run, view, lambda: QTest.keyClick(view, Qt.Key.Key_R)), start)

    panned = next_frame(run, view, lambda: drag(Qt.MouseButton.RightButton, 80, 40))
    assert changed(start, panned) > 0.01
    assert view.camera.azimuth == pytest.approx(35.0)  # panning does not turn
    assert np.array_equal(next_frame(run, view, preview.reset_button.click), start)

    def wheel() -> None:
        # Two notches forward, delivered as a real wheel event to the view.
        position = QPointF(centre)
        event = QWheelEvent(
            position,
            view.mapToGlobal(position),
            QPoint(0, 0),
            QPoint(0, 240),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view, event)

    closer = next_frame(run, view, wheel)
    assert model_pixel_share(closer) > model_pixel_share(start)
    assert np.array_equal(next_frame(run, view, preview.reset_button.click), start)


def test_screenshot_button_writes_a_png_of_the_view(preview, run, model_glb, tmp_path):
    assert run(preview.show_model(model_glb))
    target = tmp_path / "view.png"
    preview.ask_screenshot_path = lambda suggested: target
    preview.screenshot_button.click()
    assert "Saved view.png" in preview.status.text()
    with Image.open(target) as image:
        saved = np.asarray(image.convert("RGB"))
    assert saved.shape == preview.screenshot().shape
    assert model_pixel_share(saved) > 0.05


@pytest.mark.parametrize("suffix", [".obj", ".stl", ".ply"])
def test_obj_stl_and_ply_are_shown(preview, run, model_glb, tmp_path, suffix):
    mesh = trimesh.load(model_glb, force="mesh")
    if suffix == ".ply":
        # Vertex colours: red on top, blue below.
        colors = np.where(mesh.vertices[:, 1:2] > 0, [[220, 40, 40, 255]], [[40, 40, 220, 255]])
        mesh = trimesh.Trimesh(mesh.vertices, mesh.faces, vertex_colors=colors, process=False)
    path = tmp_path / f"model{suffix}"
    mesh.export(path)
    assert run(preview.show_model(path))
    assert preview.model.path == path
    assert preview.model.textured == (suffix == ".obj")
    pixels = preview.screenshot()
    assert model_pixel_share(pixels) > 0.05
    red = (pixels[..., 0].astype(int) - pixels[..., 2] > 80).mean()
    if suffix == ".ply":
        assert red > 0.02 and (pixels[..., 2].astype(int) - pixels[..., 0] > 80).mean() > 0.02
    elif suffix == ".stl":
        assert red == 0  # plain grey


def test_a_damaged_file_emits_one_sentence_and_keeps_the_last_model(
    preview, run, model_glb, tmp_path
):
    assert run(preview.show_model(model_glb))
    failures: list[str] = []
    preview.loadFailed.connect(failures.append)
    damaged = tmp_path / "broken.glb"
    damaged.write_bytes(b"glTF\x02\x00\x00\x00" + os.urandom(200))

    assert not run(preview.show_model(damaged))
    assert failures == ["broken.glb could not be shown; the file may be damaged."]
    assert preview.model.path == model_glb
    assert preview.status.text() == ""


def test_a_newer_request_wins(preview, run, model_glb, tmp_path):
    from .conftest import make_textured_glb

    other = make_textured_glb(tmp_path / "other.glb", faces=800)

    async def both() -> tuple[bool, bool]:
        import asyncio

        first = asyncio.ensure_future(preview.show_model(model_glb))
        second = asyncio.ensure_future(preview.show_model(other))
        return await first, await second

    assert run(both()) == (False, True)
    assert preview.model.path == other


def test_whole_window_grab_includes_the_model(open_window, run, model_glb):
    window = open_window().window
    window.set_phase(Phase.RESULTS)
    preview = window.results.preview
    assert run(preview.show_model(model_glb))
    host = preview._host
    corner = host.container.mapTo(window, QPoint(0, 0))
    box = (
        slice(corner.y(), corner.y() + host.container.height()),
        slice(corner.x(), corner.x() + host.container.width()),
    )
    whole = as_array(grab_window(window))
    assert whole.shape[:2] == (window.height(), window.width())
    assert model_pixel_share(whole[box]) > 0.05
    assert changed(whole[box], preview.screenshot()) < 0.01
    # What grab_window adds: Qt's own grab has no model there.
    assert model_pixel_share(as_array(window.grab().toImage())[box]) < 0.01


def test_without_opengl_the_placeholder_says_so(open_window, run, model_glb, monkeypatch):
    from image2model_desktop.gui.viewer import GLUnavailableError, ModelView

    def no_gl(self) -> None:
        raise GLUnavailableError("no OpenGL 3.3 core context")

    monkeypatch.setattr(ModelView, "initialize", no_gl)
    window = open_window().window
    preview = window.results.preview
    assert preview.view is None
    assert preview.placeholder_text == NO_GL_MESSAGE
    assert not run(preview.show_model(model_glb))
    preview.clear("Select a model to preview it")
    assert preview.placeholder_text == NO_GL_MESSAGE
    assert not preview.screenshot_button.isEnabled()


@pytest.mark.slow
def test_a_platform_without_opengl_starts_with_the_placeholder(tmp_path):
    """Qt's offscreen platform without an X display has no GL: the real check, not a patch."""
    code = (
        "import asyncio, tempfile\n"
        "from pathlib import Path\n"
        "from image2model_desktop.gui.app import bootstrap, close_session, load_3d_stack\n"
        "session = bootstrap(Path(tempfile.mkdtemp()))\n"
        "session.window.show()\n"
        "async def main():\n"
        "    try:\n"
        "        await load_3d_stack(session.window)\n"
        "        print('VIEW', session.window.results.preview.view)\n"
        "        print('TEXT', session.window.results.preview.placeholder_text)\n"
        "    finally:\n"
        "        await close_session(session)\n"
        "session.loop.run_until_complete(main())\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")},
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "IMAGE2MODEL_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert "VIEW None" in done.stdout
    assert f"TEXT {NO_GL_MESSAGE}" in done.stdout
