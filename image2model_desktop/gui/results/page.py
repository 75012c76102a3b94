"""Phase 3, results: the grid of finished models, the 3D preview, stats and saving."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image2model_desktop.core.errors import TurntableError
from image2model_desktop.core.models import FileItem, Job
from image2model_desktop.core.service import JobService
from image2model_desktop.core.states import FileState
from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.bridge import EngineBridge
from image2model_desktop.gui.preview.pane import PreviewPane
from image2model_desktop.gui.qt import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.results.export_dialog import ExportChoice, ExportDialog
from image2model_desktop.gui.results.grid import ICON, ResultsGrid
from image2model_desktop.gui.results.media import contact_sheet, render_turntable
from image2model_desktop.gui.results.saving import save_all_with_options, save_with_options
from image2model_desktop.gui.results.versions import VersionsStrip
from image2model_desktop.gui.style import PRIMARY_BUTTON
from image2model_desktop.gui.widgets import file_dialogs
from image2model_desktop.gui.widgets.elided import ElidedLabel
from image2model_desktop.gui.widgets.keymap import KEYMAP
from image2model_desktop.gui.widgets.notice import Notice, NoticeKind
from image2model_desktop.mesh.options import ExportOptions

if TYPE_CHECKING:
    from image2model_desktop.gui.results.print_check import PrintCheckDialog
    from image2model_desktop.mesh.export import ExportReport

log = logging.getLogger(__name__)
#: A one-line notice's height beyond its text (the stylesheet's padding, both sides).
NOTICE_PADDING = 14


class ResultsPage(QWidget):
    """Show a finished job's models; the preview is the window's one interactor."""

    detailsRequested = Signal(str)  # job_id

    def __init__(
        self, service: JobService, bridge: EngineBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        bridge.jobFinished.connect(self._on_job_finished)
        self.job: Job | None = None
        self._last_folder: Path | None = None
        #: The open print check (one at a time).
        self.print_check: PrintCheckDialog | None = None
        #: The height typed for the last print export (the print check starts from it).
        self._print_height = ""
        #: The batch's own notice (photos that failed), shown when no warning is.
        self._job_notice: tuple[str, NoticeKind] | None = None
        self._warning_shown = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        header = QHBoxLayout()
        self.title = QLabel("Results")
        self.title.setObjectName("pageTitle")
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        self.details_button = QPushButton("Processing details")
        self.details_button.clicked.connect(
            lambda: self.job and self.detailsRequested.emit(self.job.job_id)
        )
        header.addWidget(self.title)
        header.addSpacing(12)
        header.addWidget(self.summary)
        header.addStretch(1)
        header.addWidget(self.details_button)
        layout.addLayout(header)
        self.notice = Notice()
        # "Saved … in …" appearing above the grid pushed the page down: its strip keeps
        # its place while empty.
        policy = self.notice.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.notice.setSizePolicy(policy)
        self.notice.setMinimumHeight(self.notice.fontMetrics().height() + NOTICE_PADDING)
        layout.addWidget(self.notice)
        self.task_progress = QProgressBar()
        self.task_progress.setObjectName("taskProgress")
        self.task_progress.setAccessibleName("Turntable export progress")
        self.task_progress.setTextVisible(True)
        self.task_progress.setFormat("Rendering the turntable: frame %v of %m")
        self.task_progress.hide()
        layout.addWidget(self.task_progress)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.grid = ResultsGrid()
        self.grid.currentItemChanged.connect(self._on_selected)
        self.grid.itemSelectionChanged.connect(self._on_selection_changed)
        splitter.addWidget(self.grid)

        card = QFrame()
        card.setObjectName("card")
        right = QVBoxLayout(card)
        right.setContentsMargins(12, 10, 12, 12)
        self.preview = PreviewPane()
        self.preview.loadFailed.connect(lambda text: self.notice.show_message(text, "error"))
        self.preview.turntableRequested.connect(self.export_turntable)
        right.addWidget(self.preview, 1)
        # Cut short, never wider than the card: a long line ("Reused from batch …") made
        # the page, then the window, wider than the screen and squeezed the library.
        self.stats = ElidedLabel(minimum=0)
        self.stats.setObjectName("modelStats")
        self.stats.setAccessibleName("Model statistics")
        right.addWidget(self.stats)
        # The size in the stats line follows the preview's unit box.
        self.preview.unitChanged.connect(self._refresh_stats)
        # Versions of the selected model (issue 22): show, compare, remesh, retexture.
        self.versions = VersionsStrip(service, bridge)
        self.versions.showRequested.connect(self._show_version)
        self.versions.compareRequested.connect(self._compare_versions)
        self.versions.said.connect(lambda level, text: self.notice.show_message(text, level))
        right.addWidget(self.versions)
        buttons = QHBoxLayout()
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.setObjectName("openFolderButton")
        self.open_folder_button.clicked.connect(self.open_folder)
        self.print_check_button = QPushButton("Print check…")
        self.print_check_button.setObjectName("printCheckButton")
        self.print_check_button.setAccessibleName("Check the selected model for 3D printing")
        self.print_check_button.clicked.connect(self.open_print_check)
        self.save_all_button = QPushButton("Save all…")
        self.save_all_button.setObjectName("saveAllButton")
        self.save_all_button.setAccessibleName("Save all models")
        self.save_all_button.clicked.connect(self.save_all)
        self.save_button = QPushButton("Save as…")
        self.save_button.setObjectName("saveButton")
        self.save_button.setAccessibleName("Save the selected model")
        self.save_button.setStyleSheet(PRIMARY_BUTTON)
        self.save_button.clicked.connect(self.save_selected)
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.print_check_button)
        buttons.addWidget(self.save_all_button)
        buttons.addWidget(self.save_button)
        right.addLayout(buttons)
        for command, button in (
            ("results:details", self.details_button),
            ("results:open-folder", self.open_folder_button),
            ("results:save-all", self.save_all_button),
            ("results:print-check", self.print_check_button),
            ("results:save", self.save_button),
        ):
            KEYMAP.bind_button(command, button, self)
        splitter.addWidget(card)
        # Both sides grow with the window: on a wide screen the grid gains columns
        # instead of leaving a two-column strip beside a huge preview.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([2 * (ICON + 24) + 30, 900])
        layout.addWidget(splitter, 1)
        self._sync_buttons()

    # -- showing a job ----------------------------------------------------------------

    @property
    def outputs(self) -> Path | None:
        return self._service.paths.outputs(self.job.job_id) if self.job else None

    def completed(self) -> list[FileItem]:
        if self.job is None:
            return []
        return [f for f in self.job.files if f.state == FileState.COMPLETED and f.output]

    def selected_item(self) -> FileItem | None:
        entry = self.grid.currentItem()
        if entry is None or self.job is None:
            return None
        return self.job.file(self.grid.file_id(entry))

    def show_job(self, job: Job) -> None:
        """Fill the grid with ``job``'s models and preview the first."""
        same_job = self.job is not None and self.job.job_id == job.job_id
        keep = self.selected_item() if same_job else None
        self.job = job
        self.notice.clear_message()
        self.grid.blockSignals(True)
        done = self.completed()
        self.title.setText(f"{len(done)} model{'s' if len(done) != 1 else ''}")
        self.summary.setText(results_summary(job, done))
        self.grid.show_items(done, self._service.paths.outputs(job.job_id))
        self.grid.blockSignals(False)
        if done:
            index = next((i for i, f in enumerate(done) if keep and f.file_id == keep.file_id), 0)
            if not same_job or keep is None or self.preview.model is None:
                self.grid.setCurrentRow(index)
            else:
                self.grid.blockSignals(True)
                self.grid.setCurrentRow(index)
                self.grid.blockSignals(False)
        else:
            self.preview.clear("No model finished in this batch.")
            self.stats.setText("")
        failed = len(job.files) - len(done)
        self._job_notice = None
        if failed and job.is_finished:
            sentence = (
                f"{failed} photo{'s' if failed != 1 else ''} did not become a model; "
                "open Processing details to see why or retry."
            )
            self._job_notice = (sentence, "warning")
            self.notice.show_message(sentence, "warning")
        self._show_warning(self.selected_item())
        self._sync_buttons()

    def _show_warning(self, item: FileItem | None) -> None:
        """The selected model's warning, whole, in the notice (else the batch's own notice)."""
        warning = item.output.warning if item is not None and item.output is not None else None
        if warning:
            assert item is not None
            self.notice.show_message(f"⚠ {item.filename}: {warning}", "warning")
            self._warning_shown = True
        elif self._warning_shown:
            self._warning_shown = False
            if self._job_notice is not None:
                self.notice.show_message(self._job_notice[0], self._job_notice[1])
            else:
                self.notice.clear_message()

    def _on_job_finished(self, job: Job) -> None:
        # The shown batch ended while on screen (a retry, the last file): show it all.
        if self.job is not None and job.job_id == self.job.job_id and self.isVisible():
            self.show_job(job)

    def clear_job(self) -> None:
        """Show nothing (the shown batch was deleted)."""
        self.job = None
        self.preview.clear()

    # -- the 3D preview's life (the window's start-up and quit) ---------------------------

    def attach_preview(self, dark: bool) -> None:
        """Create the 3D view (after the first paint); raises when OpenGL is missing."""
        self.preview.attach_view()
        self.preview.set_dark(dark)
        if self.job is not None and self.isVisible():
            self.show_job(self.job)

    async def warm_up_preview(self, folder: Path) -> None:
        await self.preview.warm_up(folder)

    def preview_unavailable(self, message: str | None = None) -> None:
        """Say for good that 3D cannot be shown here (``message``: why, if known)."""
        if message is None:
            self.preview.mark_unavailable()
        else:
            self.preview.clear(message)

    def set_dark(self, dark: bool) -> None:
        self.preview.set_dark(dark)
        self.grid.recolour()

    def close_preview(self) -> None:
        self.preview.close_view()

    def _on_selected(self, current: QListWidgetItem | None, _previous: object) -> None:
        item = self.selected_item() if current is not None else None
        self.versions.show_entry(item)
        self._sync_buttons()
        self._show_warning(item)
        if len(self.grid.selectedItems()) == 2:
            return  # the selection handler shows the pair
        if item is None or item.output is None or self.outputs is None:
            self.stats.setText("")
            return
        self.stats.setText(stats_text(item, self.preview.unit))
        self.preview.set_real_size(item.output.real_size)
        spawn(self.preview.show_model(self.outputs / item.output.model_filename))

    def compared_items(self) -> list[FileItem]:
        """The two selected models being compared (empty unless exactly two are selected)."""
        if self.job is None:
            return []
        chosen = [self.job.file(file_id) for file_id in self.grid.selected_file_ids()]
        found = [item for item in chosen if item is not None and item.output is not None]
        return found if len(found) == 2 else []

    def _on_selection_changed(self) -> None:
        pair = self.compared_items()
        if self.outputs is None:
            return
        if not pair:
            single = self.selected_item()
            if self.preview.comparing and single is not None and single.output is not None:
                self.stats.setText(stats_text(single, self.preview.unit))
                self.preview.set_real_size(single.output.real_size)
                spawn(self.preview.show_model(self.outputs / single.output.model_filename))
            return
        paths = tuple(self.outputs / item.output.model_filename for item in pair if item.output)
        labels = tuple(compare_label(item, self.job) for item in pair)
        self.stats.setText("   |   ".join(label.replace("\n", " · ") for label in labels))
        self.preview.set_real_size(all(item.output.real_size for item in pair if item.output))
        spawn(self.preview.show_compare((paths[0], paths[1]), (labels[0], labels[1])))

    def _show_version(self, item: FileItem) -> None:
        self.stats.setText(stats_text(item, self.preview.unit))
        spawn(self.preview.show_model(self.versions.model_path(item)))

    def _compare_versions(self, first: FileItem, second: FileItem) -> None:
        """Two versions of one entry side by side, under one camera."""
        labels = (version_compare_label(first), version_compare_label(second))
        self.stats.setText("   |   ".join(label.replace("\n", " · ") for label in labels))
        paths = (self.versions.model_path(first), self.versions.model_path(second))
        spawn(self.preview.show_compare(paths, labels))

    def _sync_buttons(self) -> None:
        has_any = bool(self.completed())
        self.save_button.setEnabled(self.selected_item() is not None)
        self.print_check_button.setEnabled(self.selected_item() is not None)
        self.save_all_button.setEnabled(has_any)
        self.open_folder_button.setEnabled(self.job is not None)
        self.details_button.setEnabled(self.job is not None)

    # -- saving -----------------------------------------------------------------------

    def _refresh_stats(self) -> None:
        item = self.selected_item()
        if item is not None and item.output is not None and not self.compared_items():
            self.stats.setText(stats_text(item, self.preview.unit))

    def save_selected(self) -> None:
        """Open the export dialog for the selected model; it asks for the file last."""
        # The version chosen under the preview (the grid's model unless another is chosen).
        item = self.versions.chosen() or self.selected_item()
        if item is None or item.output is None or self.outputs is None:
            return
        src = self._service.paths.outputs(item.job_id) / item.output.model_filename

        def ask(suggested: Path) -> Path | None:
            choice = self.ask_save_path(suggested)
            return choice[0] if choice is not None else None

        dialog = ExportDialog(
            item.output,
            item.output_stem,
            self._start_folder(),
            ask,
            unit=self.preview.unit,
            height=self._print_height,
            source=src,
            parent=self,
        )
        colours = dialog.print_box
        colours.coloursPreviewRequested.connect(
            lambda count, palette: spawn(self._preview_colours(src, count, palette, dialog))
        )
        colours.coloursPreviewCleared.connect(self.preview.clear_face_colours)
        dialog.finished.connect(lambda _result: self.preview.clear_face_colours())
        dialog.accepted.connect(lambda: self._export_chosen(dialog.choice, src))
        self._open_dialog(dialog)

    async def _preview_colours(
        self, src: Path, count: int, palette: tuple[tuple[int, int, int], ...] | None, dialog: Any
    ) -> None:
        """Show the colour 3MF's look on the model (quantised in the process pool)."""
        from image2model_desktop.core.workers import run_in_process
        from image2model_desktop.mesh.printing.colour3mf import preview_colours

        self.preview.status.setText(f"Finding {count} colours in the texture…")
        colours = await run_in_process(preview_colours, src, count, palette)
        if self.export_dialog is not dialog or not dialog.isVisible():
            return
        dialog.print_box.set_palette([tuple(c) for c in colours.palette.tolist()])
        if dialog.print_box.colour_count == count and dialog.print_box.show_colours.isChecked():
            self.preview.show_face_colours(src, colours.rgb)

    def _export_chosen(self, choice: ExportChoice | None, src: Path) -> None:
        if choice is None:
            return
        if choice.format.for_printing and choice.options.height is not None:
            self._print_height = str(choice.options.height).replace(" ", "")
        if choice.web_plan is not None:
            spawn(self._save_web(choice), on_error=self._save_failed)
        else:
            spawn(self._save(src, choice), on_error=self._save_failed)

    async def _save_web(self, choice: ExportChoice) -> None:
        """Write the planned web export's files (bytes already made) in a thread."""
        from image2model_desktop.mesh.web import format_size, write_web_export

        plan = choice.web_plan
        assert plan is not None
        self.notice.show_message(f"Writing {choice.dest.name} and its levels of detail…", "info")
        await in_thread(write_web_export, plan)
        self._last_folder = choice.dest.parent
        files = len(plan.files)
        said = (
            f"Saved {choice.dest.name} for the web ({files} file{'s' if files != 1 else ''}, "
            f"{format_size(plan.total_bytes)}) in {choice.dest.parent}."
        )
        self.notice.show_message(
            " ".join([said, *plan.warnings]), "warning" if plan.warnings else "success"
        )

    async def _save(self, src: Path, choice: ExportChoice) -> None:
        dest = choice.dest
        self.notice.show_message(f"Saving {dest.name} as {choice.format.label}…", "info")
        report = await save_with_options(src, dest, choice.options)
        self._last_folder = report.path.parent
        said = (
            f"Saved {report.path.name} ({report.faces:,} faces, {self._size_words(report)}) "
            f"in {report.path.parent}."
        )
        sentences = [said, *report.notes, *report.warnings]
        if choice.open_in is not None:
            from image2model_desktop.gui.results.slicer import open_in

            sentences.append(open_in(choice.open_in, report.path))
        self.notice.show_message(" ".join(sentences), "warning" if report.warnings else "success")

    def _size_words(self, report: ExportReport) -> str:
        """``8.00 × 6.00 × 8.00 cm``: the written size in the unit the preview shows."""
        from image2model_desktop.mesh.units import METRES_PER_UNIT, format_length

        metres = METRES_PER_UNIT[report.unit]
        return " × ".join(format_length(v * metres, self.preview.unit) for v in report.size)

    # -- the print check ----------------------------------------------------------------

    def open_print_check(self) -> None:
        """Open the print check of the selected model, at the last print height typed."""
        from image2model_desktop.gui.results.print_check import PrintCheckDialog

        item = self.selected_item()
        if item is None or item.output is None or self.outputs is None:
            return
        src = self.outputs / item.output.model_filename
        if self.print_check is not None:
            self.print_check.close()
        dialog = PrintCheckDialog(
            src,
            item.filename,
            height=self._print_height,
            real_size=item.output.real_size,
            parent=self,
        )
        dialog.checked.connect(lambda report: self._on_checked(dialog, src, report))
        dialog.fixRequested.connect(
            lambda options, word: self._save_fixed(src, item.output_stem, options, word)
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _result: self._print_check_closed(dialog))
        self.print_check = dialog
        dialog.show()

    def _print_check_closed(self, dialog: PrintCheckDialog) -> None:
        if self.print_check is dialog:
            self.print_check = None

    def _on_checked(self, dialog: Any, src: Path, report: Any) -> None:
        from image2model_desktop.mesh.printing.report import preview_maps

        height = dialog.height_edit.text().strip()
        if height:
            self._print_height = height
        self.preview.set_print_maps(src, preview_maps(report))

    def _save_fixed(self, src: Path, stem: str, options: ExportOptions, word: str) -> None:
        """Write a fixed copy as a 3MF, asking where (the library's model stays as it is)."""
        from image2model_desktop.mesh.formats import ExportFormat

        chosen = self.ask_save_path(self._start_folder() / f"{stem}.{word}.3mf")
        if chosen is None:
            return
        dest = (
            chosen[0]
            if chosen[0].suffix.lower() in (".3mf", ".stl")
            else chosen[0].with_suffix(".3mf")
        )
        fmt = ExportFormat.STL if dest.suffix.lower() == ".stl" else ExportFormat.THREEMF
        spawn(self._save(src, ExportChoice(dest, fmt, options)), on_error=self._save_failed)

    def save_all(self) -> None:
        """Open the export dialog for every model (format first, then the folder)."""
        done = self.completed()
        if self.job is None or self.outputs is None or not done or done[0].output is None:
            return
        first = done[0]
        assert first.output is not None
        dialog = ExportDialog(
            first.output,
            first.output_stem,
            self._start_folder(),
            self.ask_folder,
            count=len(done),
            unit=self.preview.unit,
            height=self._print_height,
            parent=self,
        )
        dialog.accepted.connect(lambda: self._export_all_chosen(dialog.choice))
        self._open_dialog(dialog)

    def _export_all_chosen(self, choice: ExportChoice | None) -> None:
        if choice is not None:
            spawn(self._save_all(choice), on_error=self._save_failed)

    async def _save_all(self, choice: ExportChoice) -> None:
        assert self.job is not None and self.outputs is not None
        folder = choice.dest
        self.notice.show_message(f"Saving {len(self.completed())} models…", "info")
        reports = await save_all_with_options(
            list(self.job.files), self.outputs, folder, choice.format, choice.options
        )
        self._last_folder = folder
        models = [self.outputs / f.output.model_filename for f in self.completed() if f.output]
        sheet = await contact_sheet(models, [f.filename for f in self.completed()], folder)
        also = f" and a contact sheet ({sheet.name})" if sheet is not None else ""
        warnings = sorted({w for report in reports for w in report.warnings})
        said = (
            f"Saved {len(reports)} model{'s' if len(reports) != 1 else ''} as "
            f"{choice.format.label}{also} in {folder}."
        )
        self.notice.show_message(" ".join([said, *warnings]), "warning" if warnings else "success")

    # -- turntables ---------------------------------------------------------------------

    def export_turntable(self, model: str) -> None:
        """Ask where to save a turntable of ``model`` (GIF or MP4), then render it."""
        source = Path(model)
        target = self.ask_turntable_path(self._start_folder() / f"{source.stem}.gif")
        if target is None:
            return
        spawn(self.render_turntable(source, target), on_error=self._turntable_failed)

    async def render_turntable(self, source: Path, target: Path) -> Path:
        """Render in the process pool, a chunk of frames at a time, with a progress bar."""

        def show_frames(done: int, total: int) -> None:
            if done == 0:
                self.task_progress.setRange(0, total)
                self.task_progress.show()
                self.notice.show_message(f"Rendering a turntable of {source.stem}…", "info")
            self.task_progress.setValue(done)

        self.preview.set_turntable_busy(True)
        try:
            await render_turntable(source, target, show_frames)
        finally:
            self.task_progress.hide()
            self.preview.set_turntable_busy(False)
        self._last_folder = target.parent
        frames = self.task_progress.maximum()
        self.notice.show_message(
            f"Saved {target.name} ({frames} frames) in {target.parent}.", "success"
        )
        return target

    def _turntable_failed(self, error: BaseException) -> None:

        if isinstance(error, TurntableError):
            self.notice.show_message(str(error), "error")
            return
        log.error("The turntable failed", exc_info=error)
        reason = getattr(error, "strerror", None) or "the frames could not be rendered"
        self.notice.show_message(
            f"The turntable could not be saved ({reason}); pick another folder and try again.",
            "error",
        )

    def ask_turntable_path(self, suggested: Path) -> Path | None:
        """Ask where to save the turntable, starting where the last one went (tests replace it)."""
        chosen = file_dialogs.save_file(
            self,
            "Export turntable",
            "turntable",
            suggested.name,
            "GIF animation (*.gif);;MP4 video (*.mp4)",
        )
        if chosen is None:
            return None
        path, kind = chosen
        if path.suffix.lower() not in (".gif", ".mp4"):
            path = path.with_suffix(".mp4" if "mp4" in kind else ".gif")
        return path

    def _open_dialog(self, dialog: ExportDialog) -> None:
        """Show the export dialog without a nested event loop (the Qt loop runs asyncio)."""
        self.export_dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _save_failed(self, error: BaseException) -> None:
        log.error("Saving failed", exc_info=error)
        reason = getattr(error, "strerror", None) or "the model could not be converted"
        self.notice.show_message(
            f"Saving failed ({reason}); pick another folder or format and try again.", "error"
        )

    def _start_folder(self) -> Path:
        if self._last_folder is not None:
            return self._last_folder
        configured = self._service.settings.output_folder
        return Path(configured) if configured else Path.home()

    def open_folder(self) -> None:
        folder = self._last_folder or self.outputs
        if folder is not None:
            from image2model_desktop.gui.results.folder_message import open_folder

            self.folder_message = open_folder(folder, self)

    def ask_save_path(self, suggested: Path) -> tuple[Path, str] | None:
        """Ask where to save, in the format the export dialog chose (tests replace this)."""
        suffix = "".join(suggested.suffixes[-2:]) if suggested.name.endswith(".zip") else ""
        suffix = suffix or suggested.suffix
        chosen = f"{suffix[1:].upper()} (*{suffix})"
        name, chosen = QFileDialog.getSaveFileName(self, "Save model as", str(suggested), chosen)
        return (Path(name), chosen) if name else None

    def ask_folder(self, start: Path) -> Path | None:
        """Ask for the folder of Save all (tests replace this method)."""
        name = QFileDialog.getExistingDirectory(self, "Save all models in", str(start))
        return Path(name) if name else None


def results_summary(job: Job, done: list[FileItem]) -> str:
    """ "2 successful, 1 failed, 1 with a warning": the batch's summary and its doubtful models."""
    warned = sum(1 for item in done if item.output is not None and item.output.warning)
    summary = job.summary_message()
    return f"{summary}, {warned} with a warning" if warned else summary


#: What the size reads as when the model's real-world size is not known.
SIZE_NOT_KNOWN = "size: not known — set it on export"


def stats_text(item: FileItem, unit: str = "m") -> str:
    """Faces, vertices and real size in ``unit`` as one line (``extents``: width, depth, height)."""
    from image2model_desktop.core.reuse import reused_sentence
    from image2model_desktop.mesh.units import format_length

    out = item.output
    if out is None:
        return ""
    if out.real_size:
        width, depth, height = (format_length(v, unit) for v in out.extents)
        size = f"{width} × {depth} × {height} (W × D × H)"
    else:
        size = SIZE_NOT_KNOWN
    texture = "textured" if out.textured else "no texture"
    line = f"{out.face_count:,} faces  ·  {out.vertex_count:,} vertices  ·  {size}  ·  {texture}"
    if out.reused_from is not None:
        line += f"  ·  {reused_sentence(out.reused_from)}"
    return line


def version_compare_label(item: FileItem) -> str:
    """``v2 · remeshed (meshy-remesh)`` over ``5,120 faces``: one version of a compare."""
    from image2model_desktop.core.versions import version_label

    out = item.output
    faces = f"{out.face_count:,} faces" if out is not None else ""
    return f"{version_label(item)}\n{faces}"


def compare_label(item: FileItem, job: Job | None) -> str:
    """``chair.jpg`` over ``tripo-v2.5 · 9,998 faces · 41 s``: what tells two results apart."""
    out = item.output
    # FAL results name their generator; the offline engine is its own.
    maker = item.model or item.engine or (job.engine if job is not None else None)
    details = [str(maker) if maker else ""]
    if out is not None:
        details += [f"{out.face_count:,} faces", f"{out.processing_time:.0f} s"]
    return f"{item.filename}\n" + " · ".join(part for part in details if part)
