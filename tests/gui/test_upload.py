"""Phase 1: photos arrive by drop, browse or paste; refused ones say why; the limit holds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from testkit import until

from image2model_desktop.gui.qt import (
    QApplication,
    QDragEnterEvent,
    QDropEvent,
    QMimeData,
    QPointF,
    Qt,
    QUrl,
)


def drop_files(widget: Any, paths: list[Path]) -> QDropEvent:
    """Deliver a synthetic drop of ``paths`` onto ``widget``, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    # Qt delivers a drop only to the widget that accepted the drag's enter event.
    enter = QDragEnterEvent(
        centre.toPoint(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the drop zone refused the drag"
    event = QDropEvent(
        centre,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)
    return event


def test_dropping_files_and_a_folder_stages_each_photo(open_window, run, photos, tmp_path):
    harness = open_window(with_3d=False)
    upload = harness.window.upload
    zone = harness.window.findChild(type(upload.drop_zone), "dropZone")
    assert zone is upload.drop_zone
    folder = tmp_path / "more"
    folder.mkdir()
    shutil.copy(photos[1], folder / "second.jpg")

    event = drop_files(zone, [photos[0], folder])

    assert event.isAccepted()
    run(
        until(
            lambda: len(upload.tray.photos) == 2 and not upload.tray.is_checking(),
            timeout=30,
            what="len(upload.tray.photos) == 2 and not upload.tray.is_checking()",
        )
    )
    assert [p.name for p in upload.tray.photos] == [photos[0].name, "second.jpg"]
    assert all(p.valid and p.thumbnail for p in upload.tray.photos)
    assert upload.generate_button.isEnabled()
    assert upload.generate_button.text() == "Generate 2 models"
    assert "free" in upload.cost_label.text()


def test_refused_files_are_listed_with_their_reason(open_window, run, tmp_path):
    harness = open_window(with_3d=False)
    upload = harness.window.upload
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a photo at all, just words\n" * 20)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    gif = tmp_path / "anim.png"
    gif.write_bytes(b"GIF89a" + b"\x00" * 64)

    drop_files(upload.drop_zone, [text, empty, gif])

    run(
        until(
            lambda: len(upload.tray.photos) == 3 and not upload.tray.is_checking(),
            timeout=30,
            what="len(upload.tray.photos) == 3 and not upload.tray.is_checking()",
        )
    )
    reasons = {p.name: p.reason for p in upload.tray.photos}
    assert "text file" in reasons["notes.jpg"]
    assert "empty" in reasons["empty.png"]
    assert "GIF" in reasons["anim.png"]
    # Each reason is visible in its row, not only stored.
    for row in range(upload.tray.count()):
        tile = upload.tray.itemWidget(upload.tray.item(row))
        assert tile._status.text() == upload.tray.photos[row].reason
    assert not upload.generate_button.isEnabled()
    assert "3 refused" in upload.count_label.text()


def test_more_than_25_photos_keeps_25_and_says_why(open_window, run, photos, tmp_path):
    harness = open_window(with_3d=False)
    upload = harness.window.upload
    many = []
    for number in range(27):
        target = tmp_path / f"photo_{number:02}.jpg"
        shutil.copy(photos[0] if photos[0].suffix == ".jpg" else photos[1], target)
        many.append(target)

    drop_files(upload.drop_zone, many)

    # Photos are let in as places are free: the ones left out are named once all are checked.
    run(until(upload.notice.isVisible, timeout=60, what="the notice naming those left out"))
    assert len(upload.tray.photos) == 25 and not upload.tray.is_checking()
    assert "at most 25" in upload.notice.text()
    assert "2 were left out" in upload.notice.text()


def test_browse_paste_and_delete_key(open_window, run, photos, qtbot, monkeypatch):
    harness = open_window(with_3d=False)
    window, upload = harness.window, harness.window.upload
    monkeypatch.setattr(upload, "ask_photo_paths", lambda: [photos[0]])
    # Shortcuts fire only in the active window.
    window.activateWindow()
    run(until(window.isActiveWindow, timeout=5, what="the window to become active"))
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    run(
        until(
            lambda: len(upload.tray.valid_photos()) == 1,
            timeout=30,
            what="len(upload.tray.valid_photos()) == 1",
        )
    )

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos[1]))])
    QApplication.clipboard().setMimeData(mime)
    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    run(
        until(
            lambda: len(upload.tray.valid_photos()) == 2,
            timeout=30,
            what="len(upload.tray.valid_photos()) == 2",
        )
    )

    upload.tray.setFocus()
    upload.tray.setCurrentRow(0)
    qtbot.keyClick(upload.tray, Qt.Key.Key_Delete)
    assert [p.name for p in upload.tray.photos] == [photos[1].name]


def test_face_limit_presets_and_slider(open_window):
    harness = open_window(with_3d=False)
    panel = harness.window.upload.parameters
    face = harness.window.findChild(type(panel.face_limit), "faceLimitInput")
    assert face.value() is None
    assert panel.parameters().face_limit is None
    face._buttons[1][0].click()
    assert panel.parameters().face_limit == 5_000
    face._slider.setValue(33_333)
    assert panel.parameters().face_limit == 33_500
    assert face._slider.minimum() == 1_000 and face._slider.maximum() == 50_000
    face._buttons[3][0].click()
    assert panel.parameters().face_limit == 20_000
    assert face._buttons[3][0].isChecked()


def test_fal_without_a_key_disables_generate_with_a_sentence(open_window, run, photos):
    harness = open_window(with_3d=False)
    upload = harness.window.upload
    run(upload.add_paths([photos[0]]))
    assert upload.generate_button.isEnabled()
    upload.parameters.engine.setCurrentIndex(upload.parameters.engine.findData("fal"))
    assert not upload.generate_button.isEnabled()
    assert "Settings" in upload.cost_label.text()
