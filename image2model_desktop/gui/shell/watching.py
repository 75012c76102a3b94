"""The window's watch folder: new complete photos there are queued as batches.

Uses the same ``FolderWatcher`` as ``image2model watch``; the batches get the
default parameters and appear in the library like any other (it follows the
bridge). When Settings has an output folder, each finished batch's models are
copied there. It follows the settings itself: a new folder is watched at once.
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
from image2model_desktop.gui.qt import QObject, QTimer, Signal
from image2model_desktop.runtime import Runtime

log = logging.getLogger(__name__)


class WatchFolder(QObject):
    """Poll one folder while set; ``problem`` says, in one sentence, what went wrong."""

    problem = Signal(str)

    def __init__(self, runtime: Runtime, bridge: EngineBridge) -> None:
        super().__init__()
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
        """Copy a watched batch's models into the output folder (if one is set)."""
        if job.job_id not in self.jobs:
            return
        self.jobs.discard(job.job_id)
        folder = self._service.settings.output_folder
        if folder:
            spawn(self._copy(job, Path(folder)))

    async def _copy(self, job: Job, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        _, problems = await in_thread(copy_models, job, self._outputs(job.job_id), out)
        for problem in problems:
            self.problem.emit(problem)
