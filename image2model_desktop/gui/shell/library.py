"""The library side list: every past job from the store, newest first."""

from __future__ import annotations

import time

from image2model_desktop.core.events import JobProgress
from image2model_desktop.core.models import FileItem, Job, JobStatus
from image2model_desktop.core.service import JobService
from image2model_desktop.core.versions import version_label
from image2model_desktop.gui.bridge import EngineBridge
from image2model_desktop.gui.processing.file_row import money_words
from image2model_desktop.gui.qt import (
    QAbstractItemView,
    QColor,
    QListWidget,
    QListWidgetItem,
    QPainter,
    QPaintEvent,
    QSize,
    Qt,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import current

STATUS_WORDS = {
    JobStatus.PROCESSING: "processing",
    JobStatus.COMPLETED: "done",
    JobStatus.PARTIALLY_COMPLETED: "partly done",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
}
LIST_LIMIT = 500
#: Wide enough for an entry's lines ("spent $0.99 · estimated $1.32"); with the
#: upload page's own minimum it still fits a 1024-px window.
MINIMUM_WIDTH = 200


class LibraryList(QListWidget):
    """Jobs, newest first; ``jobActivated`` asks the window to open one."""

    jobActivated = Signal(str)  # job_id
    deleteRequested = Signal(str)  # job_id

    def __init__(
        self, service: JobService, bridge: EngineBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        # Every batch, whoever started it (this window, the watch folder, the local API).
        bridge.jobCreated.connect(self.update_job)
        bridge.jobProgress.connect(self._on_progress)
        bridge.jobFinished.connect(self.update_job)
        # What FAL billed arrives after the batch ended, one file at a time.
        bridge.fileUpdated.connect(self._on_file_updated)
        self.setObjectName("libraryList")
        self.setAccessibleName("Library of past batches")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The window's splitter squashed the list to ~70 px at 1024×700 (issue 24):
        # a minimum it keeps, and lines cut short with "…" (the tooltip has them whole).
        self.setMinimumWidth(MINIMUM_WIDTH)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSpacing(1)
        self.itemClicked.connect(self._on_clicked)
        self.itemActivated.connect(self._on_clicked)

    def reload(self) -> None:
        """Read the list again from the store, keeping the selection."""
        selected = self.selected_job_id()
        self.clear()
        for job in self._service.list_jobs(LIST_LIMIT):
            self.addItem(self._entry(job))
        if selected is not None:
            self.select_job(selected)

    def job_ids(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def update_job(self, job: Job) -> None:
        """Refresh one entry in place (live progress), or add it on top if new."""
        for row in range(self.count()):
            entry = self.item(row)
            if entry.data(Qt.ItemDataRole.UserRole) == job.job_id:
                entry.setText(_describe(job))
                entry.setToolTip(_tooltip(job))
                entry.setSizeHint(_entry_size(job))
                return
        self.insertItem(0, self._entry(job))

    def _on_file_updated(self, item: FileItem) -> None:
        if item.spent_usd is not None and item.state.is_terminal:
            job = self._service.find_job(item.job_id)
            if job is not None:
                self.update_job(job)

    def _on_progress(self, event: JobProgress) -> None:
        job = self._service.find_job(event.job_id)
        if job is not None:
            self.update_job(job)

    def show_job(self, job: Job) -> None:
        """Bring ``job``'s entry up to date and select it."""
        self.update_job(job)
        self.select_job(job.job_id)

    def select_job(self, job_id: str) -> None:
        for row in range(self.count()):
            if self.item(row).data(Qt.ItemDataRole.UserRole) == job_id:
                self.blockSignals(True)
                self.setCurrentRow(row)
                self.blockSignals(False)
                return

    def selected_job_id(self) -> str | None:
        entry = self.currentItem()
        return str(entry.data(Qt.ItemDataRole.UserRole)) if entry is not None else None

    def request_delete(self) -> None:
        job_id = self.selected_job_id()
        if job_id is not None:
            self.deleteRequested.emit(job_id)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(current().muted))
            painter.drawText(
                self.viewport().rect().adjusted(8, 8, -8, -8),
                int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                | int(Qt.TextFlag.TextWordWrap),
                "No batches yet. Each batch you generate is kept here, newest first.",
            )
            painter.end()

    def _entry(self, job: Job) -> QListWidgetItem:
        entry = QListWidgetItem(_describe(job))
        entry.setToolTip(_tooltip(job))
        entry.setData(Qt.ItemDataRole.UserRole, job.job_id)
        entry.setSizeHint(_entry_size(job))
        return entry

    def _on_clicked(self, entry: QListWidgetItem) -> None:
        self.jobActivated.emit(entry.data(Qt.ItemDataRole.UserRole))


def batch_title(job: Job, longest: int = 26) -> str:
    """``chair.jpg``, ``chair.jpg and 2 more``, or ``chair.jpg · v2 · remeshed`` (a version
    of an earlier model, made by remesh or retexture): how the person knows a batch."""
    names = [f.filename for f in job.files]
    first = names[0] if names else "Empty batch"
    if len(first) > longest:
        first = first[: longest - 2] + "…"
    if len(job.files) == 1 and job.files[0].parent_file_id is not None:
        return f"{first} · {version_label(job.files[0], short=True)}"
    return first if len(names) <= 1 else f"{first} and {len(names) - 1} more"


def batch_time(job: Job) -> str:
    # Seconds too: two batches of the same photos made in one minute still read apart.
    return time.strftime("%b %d, %H:%M:%S", time.localtime(job.created))


def job_money(job: Job) -> str:
    """What a batch cost: ``spent $0.60 · estimated $0.60``, "" for a free engine."""
    estimated = [f.estimated_usd for f in job.files if f.estimated_usd is not None]
    spent = [f.spent_usd for f in job.files if f.spent_usd is not None]
    return money_words(
        round(sum(estimated), 2) if estimated else None, round(sum(spent), 2) if spent else None
    )


def _entry_size(job: Job) -> QSize:
    # Three lines, four with the money line (FAL's batches).
    return QSize(0, 80 if job_money(job) else 62)


def _tooltip(job: Job) -> str:
    names = [f.filename for f in job.files]
    shown = "\n".join(names[:12]) + (f"\n… and {len(names) - 12} more" if len(names) > 12 else "")
    money = job_money(job)
    lines = [batch_time(job), job.summary_message(), *([money] if money else []), shown]
    return "\n".join(lines)


def _describe(job: Job) -> str:
    names = [f.filename for f in job.files]
    title = batch_title(job, 22 if len(names) > 1 else 30)
    when = batch_time(job)
    status = STATUS_WORDS.get(job.status, job.status.value)
    if job.status == JobStatus.PROCESSING:
        status = f"{job.progress:.0f}%"
    elif job.unconfirmed_count:
        # Not a failure: FAL may have the request, and the person decides. The count
        # of models made says the rest.
        status = f"{job.unconfirmed_count} sent, no answer"
    models = f"{job.completed_count}/{len(names)}" if job.completed_count != len(names) else ""
    count = f"{models or len(names)} model{'s' if len(names) != 1 else ''}"
    # Short lines: the sidebar is about 250 px wide in a 1024-px window.
    money = job_money(job)
    return f"{title}\n{count} · {status}\n{when}" + (f"\n{money}" if money else "")
