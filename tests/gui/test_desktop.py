"""Issue 14, a polished desktop citizen: what a new user tripped over, driven by real input."""

from __future__ import annotations

import socket

from PySide6.QtTest import QTest

from image2model_desktop.gui.qt import QDialog, Qt

from .conftest import until


def test_taken_port_is_said_in_the_settings_dialog(open_window, data_dir, run):
    from image2model_desktop.gui.settings_dialog import SettingsDialog

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
        QTest.mouseClick(dialog.api_enabled, Qt.MouseButton.LeftButton)
        dialog.api_port.setValue(taken)
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        run(until(lambda: "already used" in dialog.api_status.text(), 10, "the port sentence"))
        text = dialog.api_status.text()
        assert f"port {taken} is already used by another program" in text
        assert text.count(".") == 1 and "Error" not in text  # one sentence, no traceback
        assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
        assert dialog.api_status.property("kind") == "error"
        assert not window.api.running

        # Another port (0: any free one) then starts, and Save closes the dialog.
        dialog.api_port.setValue(0)
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        run(until(lambda: not dialog.isVisible(), 10, "the dialog to close"))
        assert dialog.result() == QDialog.DialogCode.Accepted
        window.apply_settings(dialog.result_settings())
        assert window.api.running and window.api.status.startswith("Running at")
        dialog.deleteLater()
    finally:
        holder.close()
        run(window.api.stop())


def test_taken_port_at_launch_is_said_on_the_upload_page(open_window, data_dir, run):
    from image2model_desktop.core.settings import Settings

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
    from image2model_desktop.gui.settings_dialog import SettingsDialog

    harness = open_window(with_3d=False)
    dialog = SettingsDialog(harness.runtime.settings, data_dir, "k", "Off.", True, None)
    dialog.api_origins.setText("http://localhost:3000/, https://example.test")
    assert dialog.result_settings().api.cors_origins == [
        "http://localhost:3000",
        "https://example.test",
    ]
    dialog.deleteLater()
