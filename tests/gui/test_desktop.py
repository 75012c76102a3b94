"""Issue 14, a polished desktop citizen: what a new user tripped over, driven by real input."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from testkit import subprocess_env, until

from image2model_desktop.core.settings import Settings
from image2model_desktop.gui import style
from image2model_desktop.gui.qt import QDialog, QPoint, Qt
from image2model_desktop.gui.shell.header import Phase


def test_taken_port_is_said_in_the_settings_dialog(open_window, data_dir, run):
    from image2model_desktop.gui.settings.dialog import SettingsDialog

    harness = open_window(with_3d=False)
    window = harness.window
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    try:
        dialog = SettingsDialog(
            harness.runtime.settings,
            data_dir,
            window.api.api_key,
            window.api.status,
            window.api.available(),
            window,
            start_api=window._start_api,
        )
        dialog.show()
        # The dialog scrolls on a small screen: the API's group is below the fold.
        dialog.groups.ensureWidgetVisible(dialog.api_enabled)
        # On the box and its words (the row is wider than they are).
        box = QPoint(12, dialog.api_enabled.height() // 2)
        QTest.mouseClick(dialog.api_enabled, Qt.MouseButton.LeftButton, pos=box)
        dialog.api_port.setValue(taken)
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        run(
            until(
                lambda: "already used" in dialog.api_status.text(),
                timeout=10,
                what="the port sentence",
            )
        )
        text = dialog.api_status.text()
        assert f"port {taken} is already used by another program" in text
        assert text.count(".") == 1 and "Error" not in text  # one sentence, no traceback
        assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
        assert dialog.api_status.property("kind") == "error"
        assert not window.api.running

        # Another port (0: any free one) then starts, and Save closes the dialog.
        dialog.api_port.setValue(0)
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        run(until(lambda: not dialog.isVisible(), timeout=10, what="the dialog to close"))
        assert dialog.result() == QDialog.DialogCode.Accepted
        window.runtime.apply_settings(dialog.result_settings())
        assert window.api.running and window.api.status.startswith("Running at")
        dialog.deleteLater()
    finally:
        holder.close()
        run(window.api.stop())


def test_taken_port_at_launch_is_said_on_the_upload_page(open_window, data_dir, run):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    settings = Settings.load(data_dir / "settings.json")
    settings = settings.model_copy(
        update={"api": settings.api.model_copy(update={"enabled": True, "port": taken})}
    )
    settings.save(data_dir / "settings.json")
    try:
        window = open_window(with_3d=False).window
        assert window.api.failed and "already used" in window.api.status
        assert window.upload.notice.isVisible()
        assert "already used" in window.upload.notice.text()
    finally:
        holder.close()


def test_cors_origins_field_is_saved(open_window, data_dir):
    from image2model_desktop.gui.settings.dialog import SettingsDialog

    harness = open_window(with_3d=False)
    dialog = SettingsDialog(harness.runtime.settings, data_dir, "k", "Off.", True, None)
    dialog.api_origins.setText("http://localhost:3000/, https://example.test")
    assert dialog.result_settings().api.cors_origins == [
        "http://localhost:3000",
        "https://example.test",
    ]
    dialog.deleteLater()


def _luminance(widget) -> float:
    """Mean brightness (0–1) of what the widget shows."""
    image = widget.grab().toImage()
    total = 0.0
    points = [(x, y) for x in range(5, image.width(), 37) for y in range(5, image.height(), 37)]
    for x, y in points:
        total += image.pixelColor(x, y).lightnessF()
    return total / len(points)


def test_dark_and_light_choice_colour_every_page(open_window, data_dir, run):
    from image2model_desktop.gui.qt import QApplication
    from image2model_desktop.gui.settings.dialog import SettingsDialog

    harness = open_window(with_3d=False)
    window = harness.window
    dialog = SettingsDialog(harness.runtime.settings, data_dir, "k", "Off.", False, window)
    dialog.show()
    dialog.theme.setFocus()
    # Choose "Dark" with the keyboard as a user would: the combo box is the third entry.
    QTest.keyClick(dialog.theme, Qt.Key.Key_End)
    assert dialog.theme.currentData() == "dark"
    window.runtime.apply_settings(dialog.result_settings())
    dialog.deleteLater()
    try:
        assert Settings.load(data_dir / "settings.json").theme == "dark"
        assert style.current() is style.DARK
        palette = QApplication.instance().palette()
        assert palette.window().color().name() == style.DARK.window
        for page in (window.upload_holder, window.processing, window.results):
            window.pages.setCurrentWidget(page)
            assert _luminance(page) < 0.3, page.objectName()
        assert _luminance(window.library) < 0.3

        light = harness.runtime.settings.model_copy(update={"theme": "light"})
        window.runtime.apply_settings(light)
        for page in (window.upload_holder, window.processing, window.results):
            window.pages.setCurrentWidget(page)
            assert _luminance(page) > 0.7, page.objectName()
    finally:
        style.apply_theme(QApplication.instance(), "light")


def test_state_colours_are_legible_in_both_palettes():
    from image2model_desktop.gui.qt import QColor

    def contrast(a: str, b: str) -> float:
        def lum(name: str) -> float:
            c = QColor(name)
            channels = []
            for v in (c.redF(), c.greenF(), c.blueF()):
                channels.append(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
            return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

        high, low = sorted((lum(a), lum(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for palette in (style.LIGHT, style.DARK):
        assert contrast(palette.text, palette.surface) >= 12
        for name, colour in [*palette.state_colours().items(), ("muted", palette.muted)]:
            if name in ("pending", "cancelled"):
                assert contrast(colour, palette.surface) >= 2.5, (palette.dark, name)
            else:
                assert contrast(colour, palette.surface) >= 4.0, (palette.dark, name)


SYSTEM_SCRIPT = """
from image2model_desktop.gui import style
from image2model_desktop.gui.qt import QApplication
app = QApplication(["image2model"])
print(style.apply_theme(app, "system").dark, app.palette().window().color().name())
"""


@pytest.mark.parametrize("gtk_theme, dark", [("Adwaita:dark", True), ("Adwaita", False)])
def test_system_choice_follows_the_os_scheme(gtk_theme, dark):
    # Qt's GTK platform theme reads the OS scheme from GTK_THEME, as on a GNOME desktop.
    env = dict(os.environ, QT_QPA_PLATFORMTHEME="gtk3", GTK_THEME=gtk_theme)
    result = subprocess.run(
        [sys.executable, "-c", SYSTEM_SCRIPT], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    is_dark, window_colour = result.stdout.split()
    assert is_dark == str(dark)
    assert window_colour == (style.DARK.window if dark else style.LIGHT.window)


def test_second_launch_hands_its_photo_to_the_running_window(open_window, photos, run, tmp_path):
    harness = open_window(with_3d=False)
    window = harness.window
    window.set_phase(Phase.RESULTS)
    assert window.instance is not None and window.instance.listening
    started = time.monotonic()
    second = subprocess.Popen(
        [sys.executable, "-m", "image2model_desktop", str(photos[0])],
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run(
            until(
                lambda: window.upload.tray.count() == 1, timeout=10, what="the photo in the window"
            )
        )
        arrived = time.monotonic() - started
        run(until(lambda: second.poll() is not None, timeout=10, what="the second launch to exit"))
        exited = time.monotonic() - started
    finally:
        if second.poll() is None:
            second.kill()
    _out, err = second.communicate()
    assert second.returncode == 0, err
    assert window.header.phase == Phase.UPLOAD
    assert window.upload.tray.count() == 1
    print(f"photo in the window after {arrived:.2f} s; second launch exited after {exited:.2f} s")
    # The acceptance figure is 1 s; the margin covers a loaded CI machine's Python start.
    assert exited < 2.0


def test_a_stale_socket_left_by_a_crash_is_replaced(data_dir):
    from PySide6.QtCore import QDir

    from image2model_desktop.gui.shell.single_instance import InstanceServer, hand_over, server_name

    stale = Path(QDir.tempPath()) / server_name(data_dir)
    stale.write_bytes(b"")
    assert not hand_over(data_dir, [])
    got: list[list[Path]] = []
    server = InstanceServer(data_dir, got.append)
    try:
        assert server.listening
    finally:
        server.close()


def test_install_desktop_entry_for_the_user(tmp_path):
    env = subprocess_env(XDG_DATA_HOME=str(tmp_path / "share"))
    result = subprocess.run(
        [sys.executable, "-m", "image2model_desktop", "--install-desktop-entry"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    entry = tmp_path / "share" / "applications" / "image2model.desktop"
    text = entry.read_text()
    assert "MimeType=image/jpeg;image/png;" in text
    assert f"Exec={sys.executable} -m image2model_desktop %F" in text
    assert f"TryExec={sys.executable}" in text
    for size in (16, 48, 256):
        icon = (
            tmp_path / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "image2model.png"
        )
        assert icon.stat().st_mode & 0o777 == 0o644
    assert (
        tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "image2model.svg"
    ).exists()
    validate = shutil.which("desktop-file-validate")
    if validate:
        checked = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_watch_folder_in_settings_queues_new_photos(open_window, photos, run, tmp_path, data_dir):
    from image2model_desktop.gui.settings.dialog import SettingsDialog

    inbox, out = tmp_path / "inbox", tmp_path / "models"
    inbox.mkdir()
    shutil.copy(photos[0], inbox / "before.jpg")  # there before watching: left alone
    harness = open_window(with_3d=False)
    window = harness.window
    dialog = SettingsDialog(harness.runtime.settings, data_dir, "k", "Off.", False, window)
    dialog.watch_folder.setText(str(inbox))
    dialog.output_folder.setText(str(out))
    window.runtime.apply_settings(dialog.result_settings())
    dialog.deleteLater()
    assert Settings.load(data_dir / "settings.json").watch_folder == str(inbox)
    assert window.watch.folder == inbox

    shutil.copy(photos[1], inbox / photos[1].name)
    job = run(
        until(
            lambda: window.service.list_jobs(), timeout=30, what="a batch from the watched folder"
        )
    )[0]
    assert [f.filename for f in job.files] == [photos[1].name]
    model = out / f"{photos[1].stem}.glb"
    run(until(model.exists, timeout=120, what="the model copied to the output folder"))
    assert window.library.count() == 1


def test_drop_zone_is_reached_with_tab_shows_focus_and_opens_with_enter_or_space(open_window, run):
    from image2model_desktop.gui.qt import QApplication, QPushButton

    window = open_window(with_3d=False).window
    window.activateWindow()
    zone = window.upload.drop_zone
    unfocused = zone.grab().toImage()
    opened: list[bool] = []
    zone.browseRequested.disconnect()
    zone.browseRequested.connect(lambda: opened.append(True))
    run(until(window.isActiveWindow, timeout=5, what="the window to be active"))
    window.header.findChild(QPushButton, "newBatchButton").setFocus()
    visited = []
    for _ in range(40):
        QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
        if QApplication.focusWidget() is zone:
            break
    assert QApplication.focusWidget() is zone, [w.objectName() for w in visited]
    assert zone.grab().toImage() != unfocused  # the focus ring is drawn
    QTest.keyClick(zone, Qt.Key.Key_Return)
    QTest.keyClick(zone, Qt.Key.Key_Space)
    assert opened == [True, True]


def test_open_folder_without_a_file_manager_shows_the_path_to_copy(
    open_window, run, tmp_path, monkeypatch
):
    from image2model_desktop.gui.qt import QApplication

    window = open_window(with_3d=False).window
    # No xdg-open (nor any launcher) on PATH: as on a bare server or a minimal desktop.
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    window.results._last_folder = tmp_path  # where the last Save put models
    window.results.open_folder_button.setEnabled(True)
    QTest.mouseClick(window.results.open_folder_button, Qt.MouseButton.LeftButton)
    message = window.results.folder_message
    assert message is not None and message.isVisible()
    assert message.path.text() == str(tmp_path)
    QTest.mouseClick(message.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == str(tmp_path)
    message.close()


def test_every_toolbar_button_has_a_tooltip_and_the_shortcuts_work(open_window, run):
    from image2model_desktop.gui.qt import QPushButton

    window = open_window(with_3d=False).window
    pages = (window.header, window.upload, window.processing, window.results)
    buttons = [b for page in pages for b in page.findChildren(QPushButton)]
    # The action buttons; the face-limit presets are a control, not a toolbar.
    panel = window.upload.parameters
    buttons = [b for b in buttons if not panel.isAncestorOf(b)]
    missing = [b.text() for b in buttons if not b.toolTip()]
    assert not missing
    tips = {b.objectName(): b.toolTip() for b in buttons}
    assert tips["newBatchButton"].endswith("(Ctrl+N)")
    assert tips["saveButton"].endswith("(Ctrl+S)")
    assert tips["saveAllButton"].endswith("(Ctrl+Shift+S)")
    window.set_phase(Phase.RESULTS)
    window.activateWindow()
    run(until(window.isActiveWindow, timeout=5, what="the window to be active"))
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.header.phase == Phase.UPLOAD


def test_finished_batch_bar_is_green_and_done_is_said_once(open_window, photos, run, model_glb):
    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)
    window = open_window(engine, with_3d=False).window
    run(window.upload.add_paths(photos[:2]))
    QTest.mouseClick(window.upload.generate_button, Qt.MouseButton.LeftButton)
    run(until(lambda: window.header.phase == Phase.PROCESSING, timeout=10, what="processing"))
    assert window.processing.overall._state == ""
    engine.gate.set()
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results"))
    assert window.processing.overall._state == "completed"
    for row in window.processing.rows():
        assert row.state.text() == "Done"
        assert "Done" not in row.message.text() and "faces" in row.message.text()


def test_library_entries_of_the_same_photos_read_apart_and_delete_names_the_batch(
    open_window, photos, run, model_glb
):
    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)
    engine.gate.set()
    window = open_window(engine, with_3d=False).window
    for count in (1, 2):
        run(window.upload.add_paths(photos[:2]))
        QTest.mouseClick(window.upload.generate_button, Qt.MouseButton.LeftButton)

        def finished(n: int = count) -> bool:
            jobs = window.service.list_jobs()
            return len(jobs) == n and jobs[0].is_finished

        run(until(finished, timeout=30, what=f"batch {count} to finish"))
        run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results"))
        # The second batch in a later second of the clock, as a person's would be.
        made = window.service.list_jobs()[0].created
        run(until(lambda m=made: int(time.time()) > int(m), timeout=5, what="the next second"))
    texts = [window.library.item(i).text() for i in range(window.library.count())]
    assert len(texts) == 2 and texts[0] != texts[1]
    assert texts[0].startswith(f"{photos[0].name} and 1 more")
    assert photos[1].name in window.library.item(0).toolTip()
    asked: list[str] = []
    window.confirm = lambda question: asked.append(question) or False
    window.delete_job(window.library.job_ids()[0])
    assert asked and f"“{photos[0].name} and 1 more” (2 photos, " in asked[0]


def test_layout_at_small_and_large_windows(open_window, photos, run):
    from image2model_desktop.gui.qt import QApplication

    window = open_window(with_3d=False).window
    run(window.upload.add_paths(photos))
    window.resize(2560, 1440)
    QApplication.processEvents()
    upload = window.upload
    holder = window.upload_holder
    assert upload.width() <= 1240 < holder.width()
    left = upload.geometry().left()
    assert abs(left - (holder.width() - upload.geometry().right())) <= 2  # centred
    window.resize(1024, 700)
    QApplication.processEvents()
    assert window.width() == 1024  # nothing holds the window at the larger size
    tray = upload.tray
    shown = [
        i
        for i in range(tray.count())
        if tray.visualItemRect(tray.item(i)).bottom() < tray.viewport().height()
    ]
    assert len(shown) >= 3, len(shown)


def test_file_dialogs_start_in_the_last_used_folder(open_window, tmp_path):
    from image2model_desktop.gui.widgets import file_dialogs

    open_window(with_3d=False)  # the window keeps the folders in its library's window.ini
    assert file_dialogs.last_folder("photos") == str(Path.home())
    photos_dir = tmp_path / "holiday"
    photos_dir.mkdir()
    file_dialogs.remember("photos", photos_dir)
    assert file_dialogs.last_folder("photos") == str(photos_dir)
    assert file_dialogs.last_folder("watch") == str(Path.home())
    photos_dir.rmdir()  # a folder since deleted: back to the home folder
    assert file_dialogs.last_folder("photos") == str(Path.home())


@pytest.mark.parametrize(
    "desktop, preset, expected",
    [
        ("KDE", None, "xdgdesktopportal"),
        ("XFCE", None, "xdgdesktopportal"),
        ("ubuntu:GNOME", None, None),  # Qt's gtk3 theme gives GTK's dialog already
        ("KDE", "qt6ct", "qt6ct"),  # the user's choice stays
        ("", None, None),  # no desktop session (Xvfb, CI)
    ],
)
def test_platform_dialogs_are_asked_for_on_linux_desktops(monkeypatch, desktop, preset, expected):
    from image2model_desktop.gui.app import platform_dialogs

    monkeypatch.setenv("XDG_CURRENT_DESKTOP", desktop)
    # Set first, so monkeypatch restores the variable whatever platform_dialogs writes
    # (a delenv of an absent variable records nothing: the portal theme leaked into
    # later tests' window processes).
    monkeypatch.setenv("QT_QPA_PLATFORMTHEME", preset or "")
    if preset is None:
        monkeypatch.delenv("QT_QPA_PLATFORMTHEME")
    platform_dialogs()
    assert os.environ.get("QT_QPA_PLATFORMTHEME") == expected


def test_long_names_keep_tiles_in_line_and_the_saved_banner_does_not_push(
    open_window, photos, run, model_glb, tmp_path
):
    from image2model_desktop.gui.qt import QApplication

    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)
    engine.gate.set()
    window = open_window(engine, with_3d=False).window
    long_name = tmp_path / ("a_very_long_photo_name_from_a_camera_roll_" * 3 + ".jpg")
    shutil.copy(photos[0], long_name)
    run(window.upload.add_paths([long_name, photos[1], photos[2]]))
    QTest.mouseClick(window.upload.generate_button, Qt.MouseButton.LeftButton)
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results"))
    grid = window.results.grid
    rects = [grid.visualItemRect(grid.item(i)) for i in range(grid.count())]
    assert len({r.height() for r in rects}) == 1, [r.height() for r in rects]
    assert grid.item(0).toolTip() == long_name.name
    top = grid.mapTo(window, grid.rect().topLeft()).y()
    window.results.notice.show_message("Saved chair.glb in /tmp.", "success")
    QApplication.processEvents()
    assert grid.mapTo(window, grid.rect().topLeft()).y() == top


def test_the_last_face_limit_is_kept_for_the_next_batch_and_after_a_restart(
    open_window, photos, run, model_glb, loop
):
    from image2model_desktop.gui.qt import QPushButton

    from .conftest import GatedEngine, close_window

    engine = GatedEngine(model_glb)
    engine.gate.set()
    harness = open_window(engine, with_3d=False)
    window = harness.window
    panel = window.upload.parameters
    low = next(b for b in panel.findChildren(QPushButton) if b.text().startswith("Low"))
    QTest.mouseClick(low, Qt.MouseButton.LeftButton)
    assert panel.parameters().face_limit == 5_000
    run(window.upload.add_paths(photos[:1]))
    QTest.mouseClick(window.upload.generate_button, Qt.MouseButton.LeftButton)
    run(until(lambda: window.header.phase == Phase.RESULTS, timeout=30, what="the results"))
    assert window.service.list_jobs()[0].parameters.face_limit == 5_000
    assert panel.parameters().face_limit == 5_000  # the next batch starts from it
    close_window(loop, harness)

    again = open_window(GatedEngine(model_glb), with_3d=False).window
    assert again.upload.parameters.parameters().face_limit == 5_000


def test_auto_face_limit_shows_no_slider_position(open_window):
    from image2model_desktop.gui.qt import QPushButton, QSlider

    panel = open_window(with_3d=False).window.upload.parameters
    slider = panel.findChild(QSlider, "faceLimitSlider")
    auto = next(b for b in panel.findChildren(QPushButton) if b.text() == "Auto")
    QTest.mouseClick(auto, Qt.MouseButton.LeftButton)
    assert panel.parameters().face_limit is None and not slider.isEnabled()
    medium = next(b for b in panel.findChildren(QPushButton) if b.text().startswith("Medium"))
    QTest.mouseClick(medium, Qt.MouseButton.LeftButton)
    assert slider.isEnabled() and slider.value() == 10_000


def test_upload_words_count_ready_photos_and_name_those_left_out(
    open_window, run, photos, tmp_path
):
    upload = open_window(with_3d=False).window.upload
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    run(upload.add_paths([photos[0], bad]))
    run(until(lambda: not upload.tray.is_checking(), timeout=10, what="the checks"))
    text = upload.count_label.text()
    assert text.startswith("1 ready") and "1 refused (not in the batch)" in text
    assert "1 of 25 places used: refused photos take none" in text
    many = []
    for number in range(27):
        target = tmp_path / f"extra_{number:02}.jpg"
        if number == 3:
            target.write_text("refused too")  # frees its place for the next photo
        else:
            shutil.copy(photos[0], target)
        many.append(target)
    run(upload.add_paths(many))
    notice = upload.notice.text()
    # Refused photos take no place: 25 ready photos, and only the two beyond them left out.
    assert "2 were left out (extra_25.jpg, extra_26.jpg)" in notice, notice
    assert len(upload.tray.valid_photos()) == 25
    assert "25 ready" in upload.count_label.text() and "2 refused" in upload.count_label.text()
