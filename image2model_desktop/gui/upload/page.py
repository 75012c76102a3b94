"""Phase 1, upload: the drop zone, the staged photos, the parameters, the cost, Generate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from image2model_desktop.core.errors import Image2ModelError
from image2model_desktop.core.images import MAX_FILES_PER_BATCH
from image2model_desktop.core.intake import BatchEntry, expand_paths
from image2model_desktop.core.models import Job, JobParameters, TextureQuality
from image2model_desktop.core.parameters import EngineParameters
from image2model_desktop.core.service import StagedInput
from image2model_desktop.core.settings import Settings
from image2model_desktop.gui.background import in_thread, spawn
from image2model_desktop.gui.qt import (
    QDragEnterEvent,
    QDropEvent,
    QFrame,
    QHBoxLayout,
    QImage,
    QLabel,
    QMimeData,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import PRIMARY_BUTTON
from image2model_desktop.gui.upload.dropzone import DropZone
from image2model_desktop.gui.upload.model_choice import fal_name, table_price
from image2model_desktop.gui.upload.parameters import ParametersPanel
from image2model_desktop.gui.upload.photos import PhotoTray
from image2model_desktop.gui.upload.views import ViewsPanel
from image2model_desktop.gui.widgets.keymap import KEYMAP
from image2model_desktop.gui.widgets.notice import Notice, NoticeKind
from image2model_desktop.runtime import Runtime

log = logging.getLogger(__name__)


class UploadPage(QWidget):
    """Collect photos and parameters and submit the batch; ``batchStarted`` says it began.

    Follows the settings itself: new default parameters replace the form's.
    """

    batchStarted = Signal(object, object)  # Job, the JobParameters it was made with

    def __init__(self, runtime: Runtime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runtime = runtime
        self._service = service = runtime.service
        self._staging = runtime.paths.staging
        self._asking_prices = False
        self._pasted = 0
        self._unsubscribe: Callable[[], None] | None = runtime.subscribe_settings(self._on_settings)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        title = QLabel("New batch")
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        self.drop_zone = DropZone()
        self.drop_zone.pathsDropped.connect(self.add_paths_soon)
        self.drop_zone.browseRequested.connect(self.browse)
        layout.addWidget(self.drop_zone)
        self.notice = Notice()
        layout.addWidget(self.notice)
        self.tray = PhotoTray()
        self.tray.changed.connect(self._refresh)
        layout.addWidget(self.tray, 1)

        card = QFrame()
        card.setObjectName("card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 14, 16, 14)
        self.parameters = ParametersPanel()
        self.parameters.set_parameters(service.settings.job_defaults())
        self.parameters.changed.connect(self._refresh)
        card_layout.addWidget(self.parameters)
        # Views of one object (gui/views.py): offered while the model takes them.
        self.views = ViewsPanel()
        self.views.changed.connect(self._refresh)
        card_layout.addWidget(self.views)
        layout.addWidget(card)

        footer = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setObjectName("muted")
        self.cost_label = QLabel()
        self.cost_label.setObjectName("costLabel")
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.tray.clear_photos)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setAccessibleName("Generate models")
        self.generate_button.setStyleSheet(PRIMARY_BUTTON)
        self.generate_button.clicked.connect(self.generate)
        # Both lines wrap rather than widen the page (and the window) at 1024 px.
        self.count_label.setWordWrap(True)
        self.cost_label.setWordWrap(True)
        self.cost_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        footer.addWidget(self.count_label)
        footer.addWidget(self.cost_label, 1)
        footer.addSpacing(12)
        footer.addWidget(self.clear_button)
        footer.addWidget(self.generate_button)
        layout.addLayout(footer)
        KEYMAP.bind_button("upload:clear", self.clear_button, self)
        KEYMAP.bind_button("upload:generate", self.generate_button, self)
        self._relabel_models()
        self._refresh()
        # FAL's own prices, read once the window is up (never awaited by it).
        QTimer.singleShot(0, self, self.ask_prices)

    # -- prices -------------------------------------------------------------------

    def ask_prices(self) -> None:
        """Read FAL's current prices in the background when a key is set, then show them."""
        if self._asking_prices or self._service.resolve_engine("auto") != "fal":
            return
        self._asking_prices = True
        spawn(self._ask_prices(), on_error=self._prices_failed)

    async def _ask_prices(self) -> None:
        try:
            # Best effort, with its own timeout: the last known prices stay on failure.
            await self._service.refresh_prices("fal")
        finally:
            self._asking_prices = False
        self._relabel_models()
        self._refresh()

    def _relabel_models(self) -> None:
        # Without a key the engine cannot be made (each try reads the keyring): the table.
        has_key = self._service.resolve_engine("auto") == "fal"
        self.parameters.relabel_models(self._price_of if has_key else table_price)

    def _prices_failed(self, error: BaseException) -> None:
        log.warning("FAL's prices were not read", exc_info=error)

    def _price_of(
        self, policy: EngineParameters, texture: TextureQuality
    ) -> tuple[float | None, str]:
        """One model's price as the job service knows it (FAL's own once read), else the table."""
        parameters = JobParameters(engine="fal", model=policy.model or "", texture=texture)
        try:
            price = self._service.estimate_cost(parameters, 1)
            source = self._service.price_source(parameters)
        except Image2ModelError:  # no key: the engine cannot be made, the table can
            return table_price(policy, texture)
        return price, source or table_price(policy, texture)[1]

    # -- adding photos ----------------------------------------------------------

    def add_paths_soon(self, paths: list[Path]) -> None:
        spawn(self.add_paths(paths), on_error=self._on_error)

    async def add_paths(self, paths: list[Path]) -> None:
        """Expand folders, then check each photo, keeping within the batch limit.

        Only accepted photos count against the limit: photos are let in as
        places are free, and a refused one frees its place for the next.
        """
        expansion = await in_thread(expand_paths, list(paths))
        files, problems = expansion.files, expansion.problems
        if problems:
            self.notice.show_message(" ".join(problems), "warning")
        else:
            self.notice.clear_message()
        waiting = [f for f in files if not self.tray.known(f)]
        while waiting:
            room = MAX_FILES_PER_BATCH - self.tray.taken_places()
            if room <= 0:
                break
            now, waiting = waiting[:room], waiting[room:]
            await asyncio.gather(*(self.tray.add(f) for f in now))
        if waiting:
            names = ", ".join(p.name for p in waiting[:5])
            more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
            problems.insert(
                0,
                f"A batch holds at most {MAX_FILES_PER_BATCH} photos: {len(waiting)} were left "
                f"out ({names}{more}). Generate these first, then add the rest.",
            )
            self.notice.show_message(" ".join(problems), "warning")

    def browse(self) -> None:
        paths = self.ask_photo_paths()
        if paths:
            self.add_paths_soon(paths)

    def ask_photo_paths(self) -> list[Path]:
        """Show the open dialog (tests replace this method)."""
        from image2model_desktop.gui.widgets.file_dialogs import open_photos

        return open_photos(self)

    def paste(self, mime: QMimeData) -> bool:
        """Take photos from the clipboard: file paths, or image data saved as a PNG."""
        from image2model_desktop.gui.upload.dropzone import local_paths

        paths = local_paths(mime)
        if paths:
            self.add_paths_soon(paths)
            return True
        if mime.hasImage():
            image = QImage(mime.imageData())
            if image.isNull():
                return False
            self._staging.mkdir(parents=True, exist_ok=True)
            self._pasted += 1
            target = self._staging / f"pasted-{self._pasted}.png"
            image.save(str(target))  # the .png suffix picks the format
            self.add_paths_soon([target])
            return True
        return False

    # -- state ------------------------------------------------------------------

    def _refresh(self) -> None:
        photos = self.tray.photos
        valid = self.tray.valid_photos()
        refused = sum(1 for p in photos if p.reason is not None)
        parts = [f"{len(photos)} of {MAX_FILES_PER_BATCH} photos"]
        if refused:
            # Refused photos stay listed with their reason but take no place of the batch.
            parts = [
                f"{len(valid)} ready",
                f"{refused} refused (not in the batch)",
                f"{self.tray.taken_places()} of {MAX_FILES_PER_BATCH} places used: "
                "refused photos take none",
            ]
        self.count_label.setText("  ·  ".join(parts) if photos else "No photos yet")
        label = (
            f"Generate {len(valid)} model{'s' if len(valid) != 1 else ''}" if valid else "Generate"
        )
        self.generate_button.setText(label)
        self.clear_button.setEnabled(bool(photos))
        enabled, cost_text = self._cost(len(valid))
        self.cost_label.setText(cost_text)
        self.generate_button.setEnabled(enabled and bool(valid) and not self.tray.is_checking())
        self._show_views_mode(enabled)

    def _show_views_mode(self, engine_ready: bool) -> None:
        """Offer the views mode for the chosen model; while on, the slots replace the tray."""
        policy = self.parameters.policy
        self.views.set_available(policy.max_views if policy is not None else 1)
        active = self.views.active
        self.drop_zone.setVisible(not active)
        self.tray.setVisible(not active)
        if not active:
            return
        count = self.views.view_count()
        problem = self.views.problem()
        self.count_label.setText(problem or f"{count} views of one object")
        self.generate_button.setText(f"Generate 1 model from {count} views")
        # One model is made (and billed) from all the views.
        self.cost_label.setText(self._cost(1)[1])
        self.generate_button.setEnabled(engine_ready and problem is None)
        self.clear_button.setEnabled(False)

    def _cost(self, count: int) -> tuple[bool, str]:
        engine_choice = self.parameters.choice()[0]
        try:
            resolved = self._service.parameter_policy(engine_choice)
        except Image2ModelError:
            resolved = None
        # A FAL model's own policy shows its controls even before a key is set.
        self.parameters.apply_policy(resolved)
        parameters = self.parameters.parameters()
        try:
            engine = self._service.resolve_engine(parameters.engine)
            # Photos with a finished model of the same request are reused, not paid (core.reuse).
            planned = self._service.planned_submissions(self._entries(), parameters)
            reused = max(0, count - planned)
            count = max(count - reused, 0 if reused else 1)
            cost = self._service.estimate_cost(parameters, count)
        except Image2ModelError:
            return False, "FAL needs a key: add one in Settings, or pick the offline engine."
        name = fal_name(self.parameters.policy) if engine == "fal" else engine
        if cost is None and engine == "fal":
            return True, f"Estimated cost: unknown — FAL publishes no price for {name}"
        if cost is None:
            return True, "Estimated cost: free (offline engine)"
        free = f" ({reused} already made: reused for free)" if reused else ""
        source = self._service.price_source(parameters)
        origin = f" (price: {source})" if source else ""
        return True, f"Estimated cost: ${cost:.2f} for {count} with {name}{origin}{free}"

    def refresh(self) -> None:
        """Re-read the engine state (after Settings changed the key or defaults)."""
        self._refresh()

    def generate(self) -> None:
        """Submit the batch (the views of one object, or every valid photo)."""
        if self.views.active:
            entry = self.views.entry()
            if entry is not None:
                self._submit_soon([entry], self.batch_parameters())
            return
        if not self.tray.valid_photos() or self.tray.is_checking():
            return
        self._submit_soon(self._entries(), self.batch_parameters())

    def batch_parameters(self) -> JobParameters:
        """The form's choices, with how long FAL keeps the photos as Settings says."""
        retention = self._runtime.settings.defaults.fal_retention
        return self.parameters.parameters().model_copy(update={"fal_retention": retention})

    def _submit_soon(self, entries: Sequence[BatchEntry], parameters: JobParameters) -> None:
        spawn(self.submit(entries, parameters), on_error=self._submit_failed)

    async def submit(self, entries: Sequence[BatchEntry], parameters: JobParameters) -> Job:
        self.generate_button.setEnabled(False)
        job = await self._service.submit(entries, parameters)
        self.batch_submitted()
        self.batchStarted.emit(job, parameters)
        return job

    def _submit_failed(self, error: BaseException) -> None:
        self.refresh()
        if isinstance(error, Image2ModelError):
            self.show_message(error.user_message, "error")
        else:
            log.error("Submitting a batch failed", exc_info=error)
            self.show_message(
                "The batch could not be started; see the log file for details.", "error"
            )

    def _entries(self) -> list[StagedInput]:
        return [
            StagedInput(
                source=p.path,
                display_name=p.name,
                file_size=p.info.file_size,
                content_type=p.info.content_type,
                pixel_hash=p.pixel_hash,
            )
            for p in self.tray.valid_photos()
            if p.info is not None
        ]

    def batch_submitted(self) -> None:
        """Empty the tray once the batch was accepted."""
        self.tray.clear_photos()
        self.notice.clear_message()

    def set_parameters(self, parameters: JobParameters) -> None:
        self.parameters.set_parameters(parameters)

    def show_message(self, text: str, kind: NoticeKind = "info") -> None:
        """Say one sentence in the page's notice strip."""
        self.notice.show_message(text, kind)

    def remove_selected_photos(self) -> int:
        """Take the selected photos off the list; how many went."""
        return self.tray.remove_selected()

    def accept_drag(self, event: QDragEnterEvent) -> None:
        """A drag over any part of the window is offered to the drop zone."""
        self.drop_zone.dragEnterEvent(event)

    def take_drop(self, event: QDropEvent) -> None:
        self.drop_zone.dropEvent(event)

    def _on_settings(self, old: Settings, new: Settings) -> None:
        # The retention is read at Generate: a change of it alone keeps the form's choices.
        kept = {"fal_retention": "1d"}
        if new.job_defaults().model_copy(update=kept) != old.job_defaults().model_copy(update=kept):
            self.set_parameters(new.job_defaults())

    def detach(self) -> None:
        """Stop following the settings (before the window goes away)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_error(self, error: BaseException) -> None:
        message = getattr(error, "user_message", None) or "Those photos could not be added."
        self.show_message(message, "error")
