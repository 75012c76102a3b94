"""Hostile photos dropped on the window's drop zone (Qt, under Xvfb via pytest-xvfb).

Each refused photo shows its reason in its tile; Generate sends only the good
ones, which complete; the window stays up. The qasync loop is this module's
own (tests/gui's fixtures are not visible here) and is closed at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hostile import build_hostile_corpus
from testkit import make_photo, until

from image2model_desktop.core.states import FileState
from image2model_desktop.gui.qt import (
    QApplication,
    QDragEnterEvent,
    QDropEvent,
    QEvent,
    QMimeData,
    QPointF,
    Qt,
    QUrl,
)
from image2model_desktop.runtime import open_runtime

T = TypeVar("T")
TIMEOUT = 90.0


@pytest.fixture(scope="module")
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    from image2model_desktop.gui.app import make_application
    from image2model_desktop.gui.qtloop import QtEventLoop

    make_application()
    loop = QtEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


def drop(widget: Any, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(centre.toPoint(), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the drop zone refused the drag"
    QApplication.sendEvent(
        widget, QDropEvent(centre, Qt.DropAction.CopyAction, mime, buttons, keys)
    )


def test_hostile_drop_shows_each_reason_and_good_photos_complete(
    qloop: asyncio.AbstractEventLoop, qtbot: Any, tmp_path: Path, isolated_environment: Path
) -> None:
    from image2model_desktop.gui.app import Session, app_icon, close_session, wait_exposed
    from image2model_desktop.gui.shell.window import MainWindow

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return qloop.run_until_complete(asyncio.wait_for(coro, TIMEOUT))

    corpus = build_hostile_corpus(tmp_path / "hostile")
    good = [make_photo(tmp_path / f"good{i}.png", 160 + 16 * i) for i in range(2)]
    isolated_environment.mkdir(parents=True, exist_ok=True)
    runtime = open_runtime(isolated_environment)
    window = MainWindow(runtime, app_icon())
    window.show()
    try:
        run(wait_exposed(window))
        run(window.start([]))
        upload = window.upload
        drop(upload.drop_zone, [*good, *(c.path for c in corpus)])
        total = len(good) + len(corpus)
        run(
            until(
                lambda: len(upload.tray.photos) == total and not upload.tray.is_checking(),
                timeout=60,
                what="every dropped photo checked",
            )
        )
        photos = {p.name: p for p in upload.tray.photos}
        for case in corpus:
            reason = photos[case.path.name].reason
            assert reason, case.path.name
            assert case.expect_reason_contains in reason.lower(), (case.path.name, reason)
        assert [p.name for p in upload.tray.valid_photos()] == [g.name for g in good]
        for row in range(upload.tray.count()):
            tile = upload.tray.itemWidget(upload.tray.item(row))
            photo = upload.tray.photos[row]
            if photo.reason:
                assert tile._status.text() == photo.reason

        engine = upload.parameters.engine
        engine.setCurrentIndex(engine.findData("offline"))
        assert upload.generate_button.isEnabled()
        upload.generate_button.click()

        def finished_job() -> Any:
            jobs = runtime.service.list_jobs()
            return jobs and jobs[0].is_finished and jobs[0]

        job = run(until(finished_job, timeout=TIMEOUT, what="the batch to finish"))
        assert [f.filename for f in job.files] == [g.name for g in good]
        assert {f.state for f in job.files} == {FileState.COMPLETED}, job.files
        assert window.isVisible()
    finally:
        session = Session(None, qloop, window, runtime)  # type: ignore[arg-type]
        run(close_session(session, stop_workers=False))
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
