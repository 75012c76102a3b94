"""The PyVista preview draws real files; toolbar, keys and mouse change the picture; fails softly.

Pixels come from ``plotter.screenshot()`` of the window's one QtInteractor under Xvfb.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from PySide6.QtTest import QTest
from testkit import make_textured_sphere_glb as make_textured_glb
from testkit import until

from image2model_desktop.gui.preview.pane import NO_GL_MESSAGE
from image2model_desktop.gui.qt import QApplication, QPoint, QPointF, Qt, QWheelEvent
from image2model_desktop.gui.selftest import model_pixel_share
from image2model_desktop.gui.shell.header import Phase
from image2model_desktop.mesh import stage
from image2model_desktop.mesh.units import format_length


@pytest.fixture
def preview(open_window, run):
    """The window's preview pane, on screen (results phase), in the active window (keys)."""
    window = open_window().window
    window.set_phase(Phase.RESULTS)
    window.activateWindow()
    run(until(window.isActiveWindow, timeout=5, what="the window to be active"))
    return window.results.preview


def next_frame(run, view, action) -> np.ndarray:
    """Do ``action``, wait for the view to draw on screen, return the view's picture."""
    drawn = view.frames
    action()
    run(until(lambda: view.frames > drawn, timeout=10, what="a new frame"))
    return view.screenshot()


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ clearly between two pictures of the same size."""
    assert a.shape == b.shape
    return float((np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 30).mean())


def model_box(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """Top, bottom, left, right rows/columns holding model pixels."""
    image = pixels[..., :3].astype(int)
    differs = np.abs(image - image[:, :1, :]).sum(axis=2) > 30
    rows, cols = np.nonzero(differs)
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


def write_mesh(path: Path, mesh: trimesh.Trimesh) -> Path:
    mesh.export(path)
    return path


def test_the_preview_is_a_pyvista_qtinteractor_in_its_own_native_window(preview):
    from pyvistaqt import QtInteractor

    view = preview.view
    assert isinstance(view.plotter, QtInteractor)
    assert view.testAttribute(Qt.WidgetAttribute.WA_NativeWindow)
    assert view.plotter.ren_win.GetMultiSamples() == 0


def test_textured_model_is_drawn_and_toggles_change_the_picture(preview, run, model_glb):
    assert run(preview.show_model(model_glb))
    assert preview.model.textured and preview.toolbar.action("texture").isEnabled()
    view = preview.view
    assert view.frames > 0
    textured = preview.screenshot()
    assert textured.shape[0] > 200 and textured.shape[1] > 200
    assert model_pixel_share(textured) > 0.05
    # The checker texture's saturated colours are on screen.
    assert (np.ptp(textured.astype(int), axis=2) > 120).mean() > 0.02

    plain = next_frame(run, view, preview.toolbar.action("texture").trigger)
    assert changed(textured, plain) > 0.02
    # Untextured is the plain grey, lit: no strongly coloured pixel is left.
    assert (np.ptp(plain.astype(int), axis=2) < 40).mean() > 0.99
    again = next_frame(run, view, preview.toolbar.action("texture").trigger)
    assert np.array_equal(again, textured)

    wire = next_frame(run, view, preview.toolbar.action("wireframe").trigger)
    assert changed(textured, wire) > 0.01
    assert np.array_equal(
        next_frame(run, view, preview.toolbar.action("wireframe").trigger), textured
    )


def test_lighting_presets_change_the_picture_and_flat_shows_the_texture_unlit(
    preview, run, model_glb
):
    assert run(preview.show_model(model_glb))
    view = preview.view
    soft = preview.screenshot()
    studio = next_frame(run, view, lambda: preview.toolbar.choice("lighting", "studio").trigger())
    assert changed(soft, studio) > 0.02
    flat = next_frame(run, view, lambda: preview.toolbar.choice("lighting", "flat").trigger())
    assert changed(soft, flat) > 0.02
    # Unlit: every model pixel is one of the texture's own colours, so the sphere's
    # rim is as bright as its middle (lit, the rim darkens).
    top, bottom, left, right = model_box(flat)
    row = flat[(top + bottom) // 2, left + 3 : right - 3].astype(int)
    assert row.max(axis=0).max() > 200
    assert np.array_equal(next_frame(run, view, lambda: preview.set_lighting("soft")), soft)


def test_drag_turns_the_model_and_r_or_reset_brings_the_view_back(preview, run, model_glb):
    assert run(preview.show_model(model_glb))
    view = preview.view
    target = view.plotter
    start = preview.screenshot()
    camera_start = view.camera_state()
    centre = QPoint(target.width() // 2, target.height() // 2)

    def drag(button: Qt.MouseButton, dx: int, dy: int, modifier=Qt.KeyboardModifier.NoModifier):
        QTest.mousePress(target, button, modifier, centre)
        for step in (1, 2, 3, 4):
            QTest.mouseMove(target, centre + QPoint(dx * step // 4, dy * step // 4))
        QTest.mouseRelease(target, button, modifier, centre + QPoint(dx, dy))

    turned = next_frame(run, view, lambda: drag(Qt.MouseButton.LeftButton, 120, 0))
    assert changed(start, turned) > 0.01
    assert view.camera_state() != camera_start
    target.setFocus()
    back = next_frame(run, view, lambda: QTest.keyClick(target, Qt.Key.Key_R))
    assert np.array_equal(back, start)

    panned = next_frame(
        run,
        view,
        lambda: drag(Qt.MouseButton.LeftButton, 80, 40, Qt.KeyboardModifier.ShiftModifier),
    )
    assert changed(start, panned) > 0.01
    assert np.array_equal(next_frame(run, view, preview.toolbar.action("reset").trigger), start)

    def wheel() -> None:
        # Two notches forward, delivered as a real wheel event to the interactor.
        position = QPointF(centre)
        for _ in range(2):
            event = QWheelEvent(
                position,
                target.mapToGlobal(position),
                QPoint(0, 0),
                QPoint(0, 120),
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
            QApplication.sendEvent(target, event)

    closer = next_frame(run, view, wheel)
    assert model_pixel_share(closer) > model_pixel_share(start)
    assert np.array_equal(next_frame(run, view, preview.toolbar.action("reset").trigger), start)


def test_keys_never_reach_vtk(preview, run, model_glb):
    """VTK's styles quit on e/q, fly on f, go stereo on 3: none may happen.

    W is the toolbar's Wireframe key: it reaches our tool (checked, and off again), not
    VTK's style, which would turn every actor to wireframe behind the toolbar's back.
    """
    assert run(preview.show_model(model_glb))
    view = preview.view
    start = preview.screenshot()
    for key in (Qt.Key.Key_Q, Qt.Key.Key_E, Qt.Key.Key_F, Qt.Key.Key_J, Qt.Key.Key_3):
        QTest.keyClick(view.plotter, key)
    run(asyncio.sleep(0))  # the key events are handled
    assert not view.released and view.plotter.isVisible()
    assert np.array_equal(preview.screenshot(), start)
    wire = next_frame(run, view, lambda: QTest.keyClick(view.plotter, Qt.Key.Key_W))
    assert preview.toolbar.is_checked("wireframe") and view.wireframe
    assert changed(start, wire) > 0.01
    back = next_frame(run, view, lambda: QTest.keyClick(view.plotter, Qt.Key.Key_W))
    assert not view.wireframe and np.array_equal(back, start)


@pytest.mark.parametrize("size", [(0.12, 0.62, 0.1), (0.9, 0.08, 0.25)], ids=["bottle", "bench"])
def test_reset_view_frames_the_whole_model_whatever_its_shape(preview, run, tmp_path, size):
    """The regression of a tall bottle clipped at the top, and its wide opposite."""
    box = trimesh.creation.box(extents=size)
    path = write_mesh(tmp_path / "shape.stl", box)
    assert run(preview.show_model(path))
    for width, height in ((900, 420), (380, 700)):
        preview.view.plotter.setFixedSize(width, height)
        run(until(lambda w=width: preview.view.plotter.width() == w, timeout=5, what="the resize"))
        preview.reset_view()
        pixels = preview.screenshot()
        top, bottom, left, right = model_box(pixels)
        rows, cols = pixels.shape[:2]
        assert top > 2 and left > 2 and bottom < rows - 3 and right < cols - 3, (width, height)
        # ... and it fills the view in its tighter direction.
        assert max((bottom - top) / rows, (right - left) / cols) > 0.7
    preview.view.plotter.setMinimumSize(0, 0)
    preview.view.plotter.setMaximumSize(16777215, 16777215)


def test_dimensions_show_the_model_size_in_the_chosen_unit(preview, run, tmp_path):
    box = trimesh.creation.box(extents=(0.2, 0.5, 0.1))
    path = write_mesh(tmp_path / "box.ply", box)
    assert run(preview.show_model(path))
    view = preview.view
    plain = preview.screenshot()
    shown = next_frame(run, view, preview.toolbar.action("dimensions").trigger)
    assert changed(plain, shown) > 0.002
    rulers = [a for a in view._overlays["dimensions"] if hasattr(a, "GetTitle")]
    assert sorted(r.GetTitle() for r in rulers) == ["D 10.0 cm", "H 50.0 cm", "W 20.0 cm"]
    preview.toolbar.choice("units", "mm").trigger()
    rulers = [a for a in view._overlays["dimensions"] if hasattr(a, "GetTitle")]
    assert sorted(r.GetTitle() for r in rulers) == ["D 100 mm", "H 500 mm", "W 200 mm"]
    preview.toolbar.choice("units", "in").trigger()
    assert "H 19.7 in" in [r.GetTitle() for r in view._overlays["dimensions"][1:]]
    hidden = next_frame(run, view, preview.toolbar.action("dimensions").trigger)
    assert np.array_equal(hidden, plain)


def test_two_clicks_measure_the_distance_between_surface_points(preview, run, tmp_path):
    box = trimesh.creation.box(extents=(0.4, 0.4, 0.4))
    path = write_mesh(tmp_path / "cube.stl", box)
    assert run(preview.show_model(path))
    view = preview.view
    preview.toolbar.action("measure").trigger()
    assert preview.measured_text == "Click two points on the model"
    picked: list[np.ndarray] = []
    view.pointPicked.connect(picked.append)
    target = view.plotter
    middle = QPoint(target.width() // 2, target.height() // 2)
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, middle)
    assert len(picked) == 1 and preview.measured_text == "Click a second point"
    below = middle + QPoint(0, target.height() // 8)
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, below)
    assert len(picked) == 2
    for point in picked:  # on the cube's surface: one coordinate sits on a face
        assert np.all(np.abs(point) <= 0.2 + 1e-4)
        assert np.isclose(np.abs(point).max(), 0.2, atol=2e-3)
    distance = float(np.linalg.norm(picked[1] - picked[0]))
    assert 0.02 < distance < 0.4
    assert preview.measured_text == f"Distance: {format_length(distance, 'cm')}"
    # A click on the background picks nothing.
    QTest.mouseClick(
        target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(3, 3)
    )
    assert len(picked) == 2


def test_section_plane_cuts_the_model(preview, run, model_glb):
    assert run(preview.show_model(model_glb))
    view = preview.view
    whole = preview.screenshot()
    cut = next_frame(run, view, preview.toolbar.action("section").trigger)
    assert preview.section_bar.isVisible()  # (the slider's row takes some of the view's height)
    assert model_pixel_share(cut) < model_pixel_share(whole) - 0.01
    low = next_frame(run, view, lambda: preview.section_slider.setValue(20))
    high = next_frame(run, view, lambda: preview.section_slider.setValue(80))
    assert model_pixel_share(low) < model_pixel_share(high) < model_pixel_share(whole) + 0.01
    assert np.array_equal(next_frame(run, view, preview.toolbar.action("section").trigger), whole)


def test_screenshot_menu_writes_pngs_opaque_and_transparent(preview, run, model_glb, tmp_path):
    assert run(preview.show_model(model_glb))
    target = tmp_path / "view.png"
    preview.ask_screenshot_path = lambda suggested: target
    preview.toolbar.choice("screenshot", "opaque").trigger()
    assert "Saved view.png" in preview.status.text()
    with Image.open(target) as image:
        saved = np.asarray(image.convert("RGB"))
    assert saved.shape == preview.screenshot().shape
    assert model_pixel_share(saved) > 0.05
    preview.toolbar.choice("screenshot", "transparent").trigger()
    with Image.open(target) as image:
        assert image.mode == "RGBA"
        alpha = np.asarray(image)[..., 3]
    assert alpha[0, 0] == 0 and alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255


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


def test_pbr_button_follows_the_model_and_changes_the_picture(preview, run, model_glb, tmp_path):
    assert run(preview.show_model(model_glb))
    assert not preview.toolbar.action("pbr").isEnabled()  # the checker sphere has no PBR maps
    scene = trimesh.load(model_glb)
    for geometry in scene.geometry.values():
        size = 16
        orm = np.zeros((size, size, 3), np.uint8)
        orm[..., 1] = 60  # smooth
        orm[..., 2] = 255  # metal
        geometry.visual.material.metallicRoughnessTexture = Image.fromarray(orm)
        geometry.visual.material.metallicFactor = 1.0
        geometry.visual.material.roughnessFactor = 1.0
    metal = tmp_path / "metal.glb"
    scene.export(metal)
    assert run(preview.show_model(metal))
    assert preview.model.has_pbr and preview.toolbar.action("pbr").isEnabled()
    phong = preview.screenshot()
    pbr = next_frame(run, preview.view, preview.toolbar.action("pbr").trigger)
    assert changed(phong, pbr) > 0.02
    assert np.array_equal(
        next_frame(run, preview.view, preview.toolbar.action("pbr").trigger), phong
    )


def test_a_big_model_uses_a_stand_in_only_while_dragging(preview, run, tmp_path):
    big = make_textured_glb(tmp_path / "big.glb", faces=120_000)
    assert run(preview.show_model(big))
    view = preview.view
    model = preview.model
    run(until(lambda: model.standins is not None, timeout=60, what="the stand-in"))
    assert sum(s.n_cells for s in model.standins) <= stage.STANDIN_FACES * 1.1
    full = view.actors[0].mapper.GetInput()
    target = view.plotter
    centre = QPoint(target.width() // 2, target.height() // 2)
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(target, centre + QPoint(30, 0))
    assert view.actors[0].mapper.GetInput() is not full  # the stand-in while the button is held
    QTest.mouseMove(target, centre + QPoint(60, 0))
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    run(
        until(
            lambda: view.actors[0].mapper.GetInput() is full,
            timeout=5,
            what="full detail on release",
        )
    )


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
    target = preview.view.plotter
    corner = target.mapTo(window, QPoint(0, 0))
    image = window.grab().toImage().convertToFormat(window.grab().toImage().Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    rows = rows.reshape(image.height(), image.bytesPerLine())
    whole = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3)
    box = (
        slice(corner.y(), corner.y() + target.height()),
        slice(corner.x(), corner.x() + target.width()),
    )
    assert model_pixel_share(whole[box]) > 0.05
    assert changed(whole[box], preview.screenshot()) < 0.02


def test_without_opengl_the_placeholder_says_so(open_window, run, model_glb, monkeypatch):
    from image2model_desktop.gui.preview import view3d

    def no_gl() -> str:
        raise view3d.GLUnavailableError("no OpenGL context could be created")

    monkeypatch.setattr(view3d, "opengl_renderer", no_gl)
    window = open_window().window
    preview = window.results.preview
    assert preview.view is None
    assert preview.placeholder_text == NO_GL_MESSAGE
    assert not run(preview.show_model(model_glb))
    preview.clear("Select a model to preview it")
    assert preview.placeholder_text == NO_GL_MESSAGE
    assert not preview.toolbar.action("screenshot").isEnabled()


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


def test_two_models_side_by_side_share_one_camera(preview, run, model_glb, tmp_path):
    box = write_mesh(tmp_path / "box.stl", trimesh.creation.box(extents=(1.2, 1.6, 0.6)))
    assert run(preview.show_compare((model_glb, box), ("tripo-v2.5 · 2,000 faces", "box")))
    view = preview.view
    assert preview.comparing and not preview.toolbar.action("dimensions").isEnabled()
    both = preview.screenshot()
    half = both.shape[1] // 2
    left, right = both[:, :half], both[:, half:]
    assert model_pixel_share(left) > 0.05 and model_pixel_share(right) > 0.05
    # The sphere's colours on the left only; the grey box on the right.
    assert (np.ptp(left.astype(int), axis=2) > 120).mean() > 0.02
    assert (np.ptp(right.astype(int), axis=2) > 120).mean() < 0.005
    # One drag on the left turns both sides.
    target = view.plotter
    start = QPoint(target.width() // 4, target.height() // 2)
    turned = next_frame(
        run,
        view,
        lambda: (
            QTest.mousePress(
                target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start
            ),
            QTest.mouseMove(target, start + QPoint(40, 0)),
            QTest.mouseMove(target, start + QPoint(90, 0)),
            QTest.mouseRelease(
                target,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
                start + QPoint(90, 0),
            ),
        ),
    )
    assert changed(left, turned[:, :half]) > 0.01 and changed(right, turned[:, half:]) > 0.01
    # Back to one model: it fills the whole view again, and single-model tools return.
    assert run(preview.show_model(model_glb))
    assert not preview.comparing and preview.toolbar.action("dimensions").isEnabled()
    _, _, left_col, right_col = model_box(preview.screenshot())
    assert left_col < half < right_col
