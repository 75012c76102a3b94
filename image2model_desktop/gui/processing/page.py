"""Phase 2, processing: a row per file, the batch's overall progress, cancel and retry."""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.errors import Image2ModelError
from image2model_desktop.core.events import JobProgress
from image2model_desktop.core.images import make_thumbnail
from image2model_desktop.core.models import FileItem, Job
from image2model_desktop.core.service import JobService
from image2model_desktop.core.states import FileState
from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.bridge import EngineBridge
from image2model_desktop.gui.processing.file_row import THUMB, FileRow
from image2model_desktop.gui.processing.progress import ProgressStrip
from image2model_desktop.gui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QResizeEvent,
    QSize,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import PRIMARY_BUTTON
from image2model_desktop.gui.widgets.keymap import KEYMAP
from image2model_desktop.gui.widgets.notice import Notice

#: Rows built at once when a job is shown (about a screenful), then per loop turn.
FIRST_ROWS = 3
ROWS_PER_TURN = 1


class ProcessingPage(QWidget):
    """Follow one job live (from the bridge); ``resultsRequested`` asks for its results."""

    resultsRequested = Signal(str)  # job_id
    jobStarted = Signal(str)  # job_id of a batch started here ("Generate again")

    def __init__(
        self, service: JobService, bridge: EngineBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        bridge.fileUpdated.connect(self.on_file_updated)
        bridge.jobProgress.connect(self.on_progress)
        bridge.jobFinished.connect(self.on_job_finished)
        self.job_id: str | None = None
        self._rows: dict[str, FileRow] = {}
        self._entries: dict[str, QListWidgetItem] = {}
        #: The latest version of every file of the shown job, built or not, in batch order.
        self._items: dict[str, FileItem] = {}
        #: The question asked before a file sent without an answer is sent again.
        self.resend_question: QMessageBox | None = None
        #: Files of the shown job whose rows are not built yet, with their latest state.
        self._unbuilt: dict[str, FileItem] = {}
        self._build_generation = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        header = QHBoxLayout()
        self.title = QLabel("Processing")
        self.title.setObjectName("pageTitle")
        self.cancel_all_button = QPushButton("Cancel all")
        self.cancel_all_button.setObjectName("cancelAllButton")
        self.cancel_all_button.setAccessibleName("Cancel all files")
        self.cancel_all_button.clicked.connect(self.cancel_all)
        self.retry_failed_button = QPushButton("Retry failed")
        self.retry_failed_button.setObjectName("retryFailedButton")
        self.retry_failed_button.clicked.connect(self.retry_failed)
        self.results_button = QPushButton("View results")
        self.results_button.setObjectName("viewResultsButton")
        self.results_button.setStyleSheet(PRIMARY_BUTTON)
        self.results_button.clicked.connect(
            lambda: self.job_id and self.resultsRequested.emit(self.job_id)
        )
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.retry_failed_button)
        header.addWidget(self.cancel_all_button)
        header.addWidget(self.results_button)
        layout.addLayout(header)
        KEYMAP.bind_button("processing:cancel-all", self.cancel_all_button, self)
        KEYMAP.bind_button("processing:retry-failed", self.retry_failed_button, self)
        KEYMAP.bind_button("processing:results", self.results_button, self)
        self.overall = ProgressStrip(10, maximum=1000)
        self.overall.setObjectName("overallProgress")
        self.overall.setAccessibleName("Overall progress")
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        layout.addWidget(self.overall)
        layout.addWidget(self.summary)
        self.notice = Notice()
        layout.addWidget(self.notice)
        self.list = QListWidget()
        self.list.setObjectName("processingList")
        self.list.setAccessibleName("Files being processed")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        layout.addWidget(self.list, 1)

    def row(self, file_id: str) -> FileRow:
        self._build_rows(len(self._unbuilt))
        return self._rows[file_id]

    def rows(self) -> list[FileRow]:
        self._build_rows(len(self._unbuilt))
        return list(self._rows.values())

    def show_job(self, job: Job) -> None:
        """Show ``job`` (replacing whatever was shown); its rows are built a few per turn.

        A row is a dozen styled widgets: building and polishing 25 at once held
        the loop ~100 ms (bench/gui_lag.py --trace-stalls). The first screenful
        is built now, the rest a few per turn of the event loop; updates for a
        row not built yet are kept and shown when it is.
        """
        self.job_id = job.job_id
        self._rows.clear()
        self._entries.clear()
        self._items = {item.file_id: item for item in job.files}
        self._unbuilt = {item.file_id: item for item in job.files}
        self._build_generation += 1
        self.list.clear()
        self.notice.clear_message()
        noun = "photo" if len(job.files) == 1 else "photos"
        self.title.setText(f"{len(job.files)} {noun} with {_engine_words(job)}")
        self._build_rows(FIRST_ROWS)
        self._schedule_build()
        self._show_overall(job.progress, job.summary_message())
        self._sync_buttons(job)

    def _schedule_build(self) -> None:
        if self._unbuilt:
            generation = self._build_generation
            QTimer.singleShot(0, lambda: self._build_later(generation))

    def _build_later(self, generation: int) -> None:
        if generation == self._build_generation:
            self._build_rows(ROWS_PER_TURN)
            self._schedule_build()

    def _build_rows(self, count: int) -> None:
        if not self._unbuilt or self.job_id is None:
            return
        inputs = self._service.paths.inputs(self.job_id)
        for file_id in list(self._unbuilt)[:count]:
            item = self._unbuilt.pop(file_id)
            row = FileRow(item)
            row.cancelClicked.connect(self._cancel_file)
            row.retryClicked.connect(self._retry_file)
            row.againClicked.connect(self.generate_again)
            row.resendClicked.connect(self.ask_resend)
            entry = QListWidgetItem(self.list)
            self.list.setItemWidget(entry, row)
            self._rows[file_id] = row
            self._entries[file_id] = entry
            self._fit(file_id)
            if item.input_name:
                spawn(self._load_thumbnail(row, inputs / item.input_name))
        self._show_places()

    def _fit(self, file_id: str) -> None:
        """Give a row the height its text needs (a wrapped warning takes two or three lines)."""
        row, entry = self._rows[file_id], self._entries[file_id]
        height = THUMB + 40
        if row.hasHeightForWidth():
            # The stylesheet pads each list item by 2 px a side: the row gets that much less.
            width = self.list.viewport().width() - 4
            height = max(height, row.heightForWidth(width) + 4)
        if entry.sizeHint().height() != height:
            entry.setSizeHint(QSize(0, height))

    def _show_places(self) -> None:
        """Tell each waiting row its place among this batch's waiting files (1: next)."""
        place = 0
        for file_id, item in self._items.items():
            waiting = item.state == FileState.PENDING
            place += waiting
            row = self._rows.get(file_id)
            if row is not None:
                row.set_place(place if waiting else None)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for file_id in self._rows:
            self._fit(file_id)

    async def _load_thumbnail(self, row: FileRow, path: Path) -> None:
        try:
            png = await in_thread(make_thumbnail, path, THUMB * 2)
        except (Image2ModelError, OSError):
            return
        if self._rows.get(row.file_id) is row:
            row.set_thumbnail(png)

    # -- live updates from the bridge ---------------------------------------------

    def on_file_updated(self, item: FileItem) -> None:
        if item.job_id != self.job_id:
            return
        before = self._items.get(item.file_id)
        self._items[item.file_id] = item
        if before is not None and (before.state == FileState.PENDING) != (
            item.state == FileState.PENDING
        ):
            self._show_places()
        if item.file_id in self._unbuilt:
            self._unbuilt[item.file_id] = item
            return
        row = self._rows.get(item.file_id)
        if row is not None:
            row.update_file(item)
            self._fit(item.file_id)

    def on_progress(self, event: JobProgress) -> None:
        if event.job_id == self.job_id:
            self._show_overall(event.progress, event.message)
            self._sync_buttons(self._service.get_job(event.job_id))

    def on_job_finished(self, job: Job) -> None:
        if job.job_id == self.job_id:
            self._sync_buttons(job)

    def _show_overall(self, progress: float, message: str) -> None:
        self.overall.setValue(round(progress * 10))
        self.summary.setText(f"{progress:.0f}%  ·  {message}")

    def _sync_buttons(self, job: Job) -> None:
        running = not job.is_finished
        self.cancel_all_button.setVisible(running)
        retryable = any(
            f.state in (FileState.FAILED, FileState.CANCELLED) and f.input_name for f in job.files
        )
        self.retry_failed_button.setVisible(retryable and not running)
        self.results_button.setVisible(job.completed_count > 0)
        self.overall.set_state(_overall_state(job))

    # -- commands -------------------------------------------------------------------

    def cancel_all(self) -> None:
        if self.job_id is not None:
            count = self._service.cancel_job(self.job_id)
            if count:
                self.notice.show_message(
                    f"Cancelling {count} file{'s' if count != 1 else ''}; "
                    "finished models are kept.",
                    "info",
                )

    def retry_failed(self) -> None:
        if self.job_id is not None:
            spawn(self._service.retry(self.job_id), on_error=self._on_error)

    def _cancel_file(self, file_id: str) -> None:
        self._service.cancel_file(file_id)

    def _retry_file(self, file_id: str) -> None:
        if self.job_id is not None:
            spawn(self._service.retry(self.job_id, [file_id]), on_error=self._on_error)

    def ask_resend(self, file_id: str) -> None:
        """Send again a file sent without an answer, once the person agrees it may cost twice.

        The question is not modal to the loop (``open``, not ``exec``): batches
        keep running while it is on screen.
        """
        item = self._items.get(file_id)
        if self.job_id is None or item is None:
            return
        cost = f" (about ${item.estimated_usd:.2f} more)" if item.estimated_usd else ""
        box = QMessageBox(QMessageBox.Icon.Warning, "Send again?", "", parent=self)
        box.setObjectName("resendQuestion")
        box.setText(f"Send “{item.filename}” to FAL again?")
        box.setInformativeText(
            "FAL may have received the first request and may bill it. Sending again may "
            f"pay twice{cost}. If fal.ai/dashboard shows the request, wait for it instead."
        )
        send = box.addButton("Send again", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        job_id = self.job_id

        def answered() -> None:
            if box.clickedButton() is send:
                spawn(self._service.resend(job_id, [file_id]), on_error=self._on_error)
            box.deleteLater()
            if self.resend_question is box:
                self.resend_question = None

        box.finished.connect(answered)
        self.resend_question = box
        box.open()

    def generate_again(self, file_id: str) -> None:
        """A new batch of that photo that asks the engine anew (no reuse, a new seed)."""
        if self.job_id is not None:
            spawn(self._generate_again(self.job_id, file_id), on_error=self._on_error)

    async def _generate_again(self, job_id: str, file_id: str) -> None:
        job = await self._service.generate_again(job_id, file_id)
        self.jobStarted.emit(job.job_id)

    def _on_error(self, error: BaseException) -> None:
        message = getattr(error, "user_message", None) or "That could not be started again."
        self.notice.show_message(message, "error")


def _engine_words(job: Job) -> str:
    """``FAL Tripo v2.5``, ``several FAL models`` (a compare batch) or ``the offline engine``."""
    if job.engine != "fal":
        return "the offline engine"
    from image2model_desktop.gui.upload.model_choice import fal_catalog, fal_name

    models = {f.model or job.parameters.model for f in job.files}
    if len(models) != 1:
        return "several FAL models"
    try:
        return fal_name(fal_catalog().for_model(models.pop()))
    except Image2ModelError:  # a model this version no longer lists
        return "FAL"


def _overall_state(job: Job) -> str:
    """The overall bar's colour key: the rows' colours once the batch has ended."""
    if not job.is_finished:
        return ""
    if job.completed_count:
        return FileState.COMPLETED.value
    failed = any(f.state == FileState.FAILED for f in job.files)
    return (FileState.FAILED if failed else FileState.CANCELLED).value
