"""The one object that turns engine events into Qt signals.

The bus calls subscribers on the loop thread, which with qasync is the Qt
thread, so emitting here is safe; widgets connect to these signals and never
subscribe to the bus themselves (models never know widgets).
"""

from __future__ import annotations

from collections.abc import Callable

from image2model_desktop.core.events import (
    Event,
    FileUpdated,
    JobCreated,
    JobFinished,
    JobProgress,
)
from image2model_desktop.core.models import FileItem, Job
from image2model_desktop.core.service import JobService
from image2model_desktop.gui.qt import QObject, Signal


class EngineBridge(QObject):
    """Re-emit JobCreated / FileUpdated / JobProgress / JobFinished as Qt signals."""

    jobCreated = Signal(Job)
    fileUpdated = Signal(FileItem)
    jobProgress = Signal(JobProgress)
    jobFinished = Signal(Job)

    def __init__(self, service: JobService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = service.on_event(self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, FileUpdated):
            self.fileUpdated.emit(event.file)
        elif isinstance(event, JobProgress):
            self.jobProgress.emit(event)
        elif isinstance(event, JobCreated):
            self.jobCreated.emit(event.job)
        elif isinstance(event, JobFinished):
            self.jobFinished.emit(event.job)

    def detach(self) -> None:
        """Stop listening (before the window goes away)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
