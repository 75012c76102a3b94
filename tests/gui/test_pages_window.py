"""The window's pages on a small screen and by keyboard, the watch folder that asks, and
folders opened only by a file manager (issue 24 points 2, 7, 9 and 10)."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtTest import QTest
from testkit import until

from image2model_desktop.gui.qt import QMessageBox, Qt
from image2model_desktop.gui.upload.model_choice import MODEL_ROLE


def click(widget) -> None:  # type: ignore[no-untyped-def]
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_watch_folder_that_asks_every_time_asks_and_says_what_it_did(
    open_window, photos, run, tmp_path
):
    inbox, out = tmp_path / "inbox", tmp_path / "chosen"
    inbox.mkdir()
    harness = open_window(with_3d=False)
    window = harness.window
    settings = harness.runtime.settings
    assert settings.output_folder is None  # "Ask every time"
    window.save_settings(settings.model_copy(update={"watch_folder": str(inbox)}))
    watch = window.watch

    def asked() -> QMessageBox | None:
        question = watch.question
        return question if question is not None and question.isVisible() else None

    shutil.copy(photos[0], inbox / photos[0].name)
    question = run(until(asked, timeout=120, what="the question where to save the model"))
    assert "1 model from the watched folder is ready" in question.text()
    (not_now,) = [b for b in question.buttons() if b.text() == "Not now"]
    click(not_now)
    run(until(lambda: window.upload.notice.isVisible(), timeout=5, what="the sentence"))
    assert "stayed in the library only" in window.upload.notice.text()

    shutil.copy(photos[1], inbox / photos[1].name)
    question = run(until(asked, timeout=120, what="the second question"))
    watch.ask_folder = lambda: str(out)
    (save,) = [b for b in question.buttons() if b.text() == "Save…"]
    click(save)
    model = out / f"{photos[1].stem}.glb"
    run(until(model.exists, timeout=30, what="the model copied to the chosen folder"))
    run(
        until(
            lambda: "Copied 1 model" in window.upload.notice.text(),
            timeout=10,
            what="the sentence saying where",
        )
    )
    assert window.upload.notice.text() == (f"Copied 1 model from the watched folder to {out}.")
    assert not (out / f"{photos[0].stem}.glb").exists()  # Not now copied nothing


def fake_desktop(tmp_path: Path, handler: str, entry: str) -> tuple[dict[str, str], Path]:
    """A PATH whose xdg-mime names ``handler`` for folders, and whose xdg-open writes down
    what it was asked to open; ``entry`` is that handler's desktop entry."""
    bin_dir, data = tmp_path / "bin", tmp_path / "share"
    bin_dir.mkdir(parents=True)
    (data / "applications").mkdir(parents=True)
    (data / "applications" / handler).write_text(entry)
    opened = tmp_path / "opened.txt"
    scripts = {
        "xdg-mime": f'#!/bin/sh\n[ "$3" = inode/directory ] && echo {handler}\n',
        "xdg-open": f'#!/bin/sh\necho "$1" >> {opened}\n',
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {"PATH": str(bin_dir), "XDG_DATA_HOME": str(data), "XDG_DATA_DIRS": str(data)}
    return env, opened


FILES = "[Desktop Entry]\nName=Files\nExec=files %U\nCategories=System;FileTools;FileManager;\n"
CHROMIUM = (
    "[Desktop Entry]\nName=Chromium\nExec=/usr/bin/chromium %U\nCategories=Network;WebBrowser;\n"
    "MimeType=text/html;x-scheme-handler/http;x-scheme-handler/https;\n"
)


def test_folders_open_in_a_file_manager_never_in_a_browser(tmp_path):
    from image2model_desktop.gui.widgets.file_manager import folder_opener

    files_env, _ = fake_desktop(tmp_path / "a", "org.example.Files.desktop", FILES)
    assert folder_opener(files_env) == "org.example.Files.desktop"
    browser_env, _ = fake_desktop(tmp_path / "b", "chromium.desktop", CHROMIUM)
    assert folder_opener(browser_env) is None
    # A browser that only says so by the links it opens.
    quiet = CHROMIUM.replace("Categories=Network;WebBrowser;\n", "")
    quiet_env, _ = fake_desktop(tmp_path / "c", "web.desktop", quiet)
    assert folder_opener(quiet_env) is None
    # Named, but with no entry to read (xdg-open would fall back to a browser).
    gone_env = dict(files_env, XDG_DATA_HOME=str(tmp_path), XDG_DATA_DIRS=str(tmp_path))
    assert folder_opener(gone_env) is None
    assert folder_opener({"PATH": str(tmp_path / "nowhere")}) is None  # no xdg-mime at all


def test_open_folder_uses_the_file_manager_and_shows_the_path_instead_of_a_browser(
    open_window, run, tmp_path, monkeypatch
):
    window = open_window(with_3d=False).window
    results = window.results
    folder = tmp_path / "models"
    folder.mkdir()
    results._last_folder = folder  # where the last Save put models
    results.open_folder_button.setEnabled(True)

    env, opened = fake_desktop(tmp_path / "browser", "chromium.desktop", CHROMIUM)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    click(results.open_folder_button)
    message = results.folder_message
    assert message is not None and message.isVisible()
    assert message.path.text() == str(folder)
    assert not opened.exists()  # the browser was never started
    message.close()

    env, opened = fake_desktop(tmp_path / "files", "org.example.Files.desktop", FILES)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    results.folder_message = None
    click(results.open_folder_button)
    assert results.folder_message is None
    # Qt starts xdg-open detached: wait for what it wrote down.
    text = run(until(lambda: opened.exists() and opened.read_text(), timeout=10, what="xdg-open"))
    assert text.strip() in (folder.as_uri(), str(folder))


def tab_walk(start, steps: int = 120) -> list:  # type: ignore[no-untyped-def]
    """The widgets Tab gives focus to, from ``start`` round the focus chain back to it."""
    from image2model_desktop.gui.qt import QApplication

    start.setFocus(Qt.FocusReason.TabFocusReason)
    seen = [QApplication.focusWidget()]
    for _ in range(steps):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now is seen[0]:
            break
        seen.append(now)
    return seen


def controls(root) -> list:  # type: ignore[no-untyped-def]
    """Every control under ``root`` a person can use now: shown, enabled, taking Tab focus."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QWidget,
    )

    from image2model_desktop.gui.upload.dropzone import DropZone

    kinds = (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        DropZone,
    )
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, kinds):
            continue
        inner = isinstance(widget, QLineEdit) and isinstance(
            widget.parentWidget(), QAbstractSpinBox | QComboBox
        )
        # Buttons of an exclusive group are reached as radio buttons are (``group_reached``).
        grouped = isinstance(widget, QAbstractButton) and widget.group() is not None
        inner = inner or grouped
        tab = widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        if not inner and tab and widget.isVisibleTo(root) and widget.isEnabled():
            found.append(widget)
    return found


def reached(widget, visited: list) -> bool:  # type: ignore[no-untyped-def]
    return any(v is widget or (v is not None and widget.isAncestorOf(v)) for v in visited)


def group_reached(buttons: list, visited: list) -> None:  # type: ignore[type-arg]
    """Tab reaches the group (one of its buttons); from there the arrow keys reach each."""
    from image2model_desktop.gui.qt import QApplication

    entered = [b for b in buttons if reached(b, visited)]
    assert entered, [name_of(b) for b in buttons]
    buttons[0].setFocus(Qt.FocusReason.TabFocusReason)
    for button in buttons[1:]:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
        assert QApplication.focusWidget() is button, name_of(QApplication.focusWidget())


def name_of(widget) -> str:  # type: ignore[no-untyped-def]
    text = widget.text() if hasattr(widget, "text") else ""
    return widget.accessibleName() or text or widget.objectName() or type(widget).__name__


def test_every_control_of_the_upload_page_and_settings_is_reached_with_tab(
    open_window, run, photos
):
    from image2model_desktop.gui.settings.dialog import SettingsDialog

    window = open_window(with_3d=False).window
    window.activateWindow()
    run(until(window.isActiveWindow, timeout=5, what="the window to be active"))
    upload = window.upload
    run(upload.add_paths(photos[:2]))
    run(until(lambda: not upload.tray.is_checking(), timeout=10, what="the checks"))
    # A FAL model (its own policy, even with no key) shows every control, the slider live.
    combo = upload.parameters.engine
    combo.setCurrentIndex(
        next(i for i in range(combo.count()) if combo.itemData(i, MODEL_ROLE) == "tripo-v2.5")
    )
    upload.parameters.face_limit.set_value(10_000)
    from image2model_desktop.gui.qt import QPushButton

    visited = tab_walk(window.header.findChild(QPushButton, "newBatchButton"))
    every = controls(upload)
    assert len(every) >= 11, [name_of(w) for w in every]
    assert [name_of(w) for w in every if not reached(w, visited)] == []
    group_reached([b for b, _ in upload.parameters.face_limit._buttons], visited)

    root = window.runtime.paths.root
    dialog = SettingsDialog(window.runtime.settings, root, "k", "Off.", True, window)
    dialog.show()
    dialog.activateWindow()
    run(until(dialog.isActiveWindow, timeout=5, what="the dialog to be active"))
    every = controls(dialog)
    assert len(every) > 15, [name_of(w) for w in every]
    visited = tab_walk(every[0])
    assert [name_of(w) for w in every if not reached(w, visited)] == []
    group_reached([b for b, _ in dialog.defaults.face_limit._buttons], visited)
    dialog.close()
    dialog.deleteLater()


def test_at_1024x700_the_library_stays_readable_and_no_page_widens_the_window(
    open_window, run, photos, model_glb, tmp_path
):
    from image2model_desktop.gui.qt import QApplication
    from image2model_desktop.gui.shell.header import Phase
    from image2model_desktop.gui.shell.library import MINIMUM_WIDTH

    from .conftest import GatedEngine

    engine = GatedEngine(model_glb)  # closed: the batch stays on the processing page
    window = open_window(engine, with_3d=False).window
    window.resize(1024, 700)
    run(until(lambda: window.width() == 1024, timeout=5, what="the window at 1024 px"))
    long_name = tmp_path / ("a photo with a very long name from a phone camera " * 2 + ".jpg")
    shutil.copy(photos[0], long_name)
    run(window.upload.add_paths([long_name, photos[1]]))
    run(until(window.upload.generate_button.isEnabled, timeout=10, what="Generate"))
    QApplication.processEvents()
    assert window.width() == 1024 and window.library.width() >= MINIMUM_WIDTH
    click(window.upload.generate_button)
    run(until(lambda: window.header.phase == Phase.PROCESSING, timeout=10, what="processing"))
    run(until(lambda: len(engine.started) == 2, timeout=10, what="both files at the engine"))
    QApplication.processEvents()
    assert window.width() == 1024, window.processing.minimumSizeHint()
    assert window.library.width() >= MINIMUM_WIDTH
    row = window.processing.rows()[0]
    from image2model_desktop.gui.qt import QLabel

    assert row.name.text() == long_name.name and QLabel.text(row.name).endswith("…")
    entry = window.library.item(0)
    # Each line is cut short in the list; the tooltip has the batch whole.
    assert long_name.name in entry.toolTip() and "in progress" in entry.toolTip()
