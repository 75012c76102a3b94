"""The window's watch folder: new complete photos there are queued as batches.

Uses the same ``FolderWatcher`` as ``image2model watch``; the batches get the
default parameters and appear in the library like any other (it follows the
bridge). Each finished batch's models are copied to the output folder Settings
names; when it says "Ask every time", a question that does not stop the window
offers Save… (a folder of the person's choice) or Not now (they stay in the
library). Either way ``said`` tells what happened. It follows the settings
itself: a new folder is watched at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from image2model_desktop.core.intake import check_photos
from image2model_desktop.core.models import Job
from image2model_desktop.core.watch import POLL_SECONDS, FolderWatcher, batches, copy_models
from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.bridge import EngineBridge
from image2model_desktop.gui.qt import QMessageBox, QObject, QTimer, QWidget, Signal
from image2model_desktop.runtime import Runtime

log = logging.getLogger(__name__)


class WatchFolder(QObject):
    """Poll one folder while set; ``problem`` says, in one sentence, what went wrong."""

    problem = Signal(str)
    said = Signal(str)  # what became of a finished batch's models, in one sentence

    def __init__(
        self, runtime: Runtime, bridge: EngineBridge, window: QWidget | None = None
    ) -> None:
        super().__init__()
        self._window = window
        #: Finished watched batches waiting for the person's answer (Ask every time).
        self._unsaved: list[Job] = []
        #: The open "where to?" question, if any (one for every batch waiting).
        self.question: QMessageBox | None = None
        self._service = runtime.service
        self._outputs = runtime.paths.outputs
        self._watcher: FolderWatcher | None = None
        self._busy = False
        #: Jobs started here, whose models go to the output folder when they finish.
        self.jobs: set[str] = set()
        bridge.jobFinished.connect(self.job_finished)
        self._unsubscribe: Callable[[], None] | None = runtime.subscribe_settings(
            lambda _old, new: self.watch(new.watch_folder)
        )
        self._timer = QTimer(self)
        self._timer.setInterval(round(POLL_SECONDS * 1000))
        self._timer.timeout.connect(self._tick)

    @property
    def folder(self) -> Path | None:
        return self._watcher.folder if self._watcher is not None else None

    def watch(self, folder: str | None) -> None:
        """Watch ``folder`` (None: stop); photos already there are left alone."""
        path = Path(folder) if folder else None
        if path == self.folder:
            return
        self._timer.stop()
        self._watcher = None
        if path is None:
            return
        if not path.is_dir():
            self.problem.emit(
                f"The watched folder {path} does not exist; pick it again in Settings."
            )
            return
        self._watcher = FolderWatcher(path)
        self._timer.start()

    def stop(self) -> None:
        """Stop watching and following the settings (the window is closing)."""
        self.watch(None)
        if self.question is not None:
            self.question.finished.disconnect()
            self.question.close()
            self.question = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _tick(self) -> None:
        if self._busy or self._watcher is None:
            return
        self._busy = True
        spawn(self._queue(self._watcher), on_error=self._failed)

    async def _queue(self, watcher: FolderWatcher) -> None:
        try:
            ready = await in_thread(watcher.poll)
            for batch in batches(ready):
                entries = await in_thread(check_photos, batch)
                parameters = self._service.settings.job_defaults()
                job = await self._service.submit(entries, parameters)
                self.jobs.add(job.job_id)
        finally:
            self._busy = False

    def _failed(self, error: BaseException) -> None:
        log.error("Queuing photos from the watched folder failed", exc_info=error)
        self.problem.emit(f"Photos from the watched folder could not be queued: {error}")

    def job_finished(self, job: Job) -> None:
        """Copy a watched batch's models into the output folder, or ask where to."""
        if job.job_id not in self.jobs:
            return
        self.jobs.discard(job.job_id)
        if not job.completed_count:
            return
        folder = self._service.settings.output_folder
        if folder:
            spawn(self._copy([job], Path(folder)), on_error=self._failed)
        else:
            self._unsaved.append(job)
            self._ask()

    def _ask(self) -> None:
        """Ask (or update the open question) where the waiting batches' models go."""
        count = sum(job.completed_count for job in self._unsaved)
        text = (
            f"{count} model{'s' if count != 1 else ''} from the watched folder "
            f"{'are' if count != 1 else 'is'} ready. Save a copy in a folder?"
        )
        if self.question is not None:
            self.question.setText(text)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Watch folder", text, parent=self._window)
        box.setObjectName("watchQuestion")
        box.setInformativeText(
            "They are in the library either way. To have them copied without asking, "
            "choose “Save models in” in Settings."
        )
        save = box.addButton("Save…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)

        def answered() -> None:
            jobs, self._unsaved = self._unsaved, []
            self.question = None
            box.deleteLater()
            folder = self.ask_folder() if box.clickedButton() is save else ""
            if folder:
                spawn(self._copy(jobs, Path(folder)), on_error=self._failed)
            else:
                count = sum(job.completed_count for job in jobs)
                self.said.emit(
                    f"{count} model{'s' if count != 1 else ''} from the watched folder "
                    "stayed in the library only (open the batch to save them)."
                )

        box.finished.connect(answered)
        self.question = box
        box.open()

    def ask_folder(self) -> str:
        """The folder dialog for Save… (tests replace this method)."""
        from image2model_desktop.gui.widgets.file_dialogs import choose_folder

        return choose_folder(self._window, "Save the watched folder's models in", "output")

    async def _copy(self, jobs: list[Job], out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        count = 0
        for job in jobs:
            copied, problems = await in_thread(copy_models, job, self._outputs(job.job_id), out)
            # A model's copy has its model's suffix (.glb); its picture, an image's.
            suffixes = {Path(f.output.model_filename).suffix for f in job.files if f.output}
            count += sum(1 for path in copied if path.suffix in suffixes)
            for problem in problems:
                self.problem.emit(problem)
        self.said.emit(
            f"Copied {count} model{'s' if count != 1 else ''} from the watched folder to {out}."
        )
