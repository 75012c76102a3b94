"""The main window: the library on the left, the three phases on the right."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from image2model_desktop.core.errors import Image2ModelError
from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.settings import ApiServerSettings, Settings
from image2model_desktop.gui import style
from image2model_desktop.gui.background import spawn
from image2model_desktop.gui.bridge import EngineBridge
from image2model_desktop.gui.processing.page import ProcessingPage
from image2model_desktop.gui.qt import (
    QApplication,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QFrame,
    QHBoxLayout,
    QIcon,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSettings,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
)
from image2model_desktop.gui.results.page import ResultsPage
from image2model_desktop.gui.shell.api_server import ApiController
from image2model_desktop.gui.shell.header import Header, Phase
from image2model_desktop.gui.shell.library import LibraryList
from image2model_desktop.gui.shell.notify import Notifier
from image2model_desktop.gui.shell.watching import WatchFolder
from image2model_desktop.gui.upload.page import UploadPage
from image2model_desktop.gui.widgets import file_dialogs
from image2model_desktop.gui.widgets.keymap import KEYMAP
from image2model_desktop.runtime import Runtime

if TYPE_CHECKING:
    from image2model_desktop.gui.shell.single_instance import InstanceServer

log = logging.getLogger(__name__)

#: The upload page is at most this wide, centred in its pane.
UPLOAD_MAX_WIDTH = 1240


class MainWindow(QMainWindow):
    """One window for upload → processing → results, plus the library of past jobs.

    It routes: which page is shown, which batch is open. Each page follows the
    bridge and the settings itself, and the window uses only its public methods
    and signals (tests/gui/test_window_routes.py reads this class to hold that).
    """

    def __init__(self, runtime: Runtime, icon: QIcon | None = None) -> None:
        super().__init__()
        self.runtime = runtime
        self.service = runtime.service
        self.setWindowTitle("Image2Model")
        self.setObjectName("mainWindow")
        if icon is not None:
            self.setWindowIcon(icon)
        self.setAcceptDrops(True)
        self.bridge = EngineBridge(self.service, self)
        self.api = ApiController(runtime)
        self.current_job_id: str | None = None
        file_dialogs.remember_in(runtime.paths.root / "window.ini")
        self._closed: asyncio.Future[None] | None = None
        self.instance: InstanceServer | None = None

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.header = Header()
        self.header.newBatchClicked.connect(self.show_upload)
        self.header.settingsClicked.connect(self.open_settings)
        self.header.aboutClicked.connect(self.open_about)
        outer.addWidget(self.header)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        sidebar = QFrame()
        sidebar.setObjectName("sidebar")
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(10, 14, 6, 10)
        library_title = QLabel("Library")
        library_title.setObjectName("sectionTitle")
        self.library = LibraryList(self.service, self.bridge)
        self.library.jobActivated.connect(self.open_job)
        self.library.deleteRequested.connect(self.delete_job)
        side.addWidget(library_title)
        side.addWidget(self.library, 1)
        splitter.addWidget(sidebar)

        self.pages = QStackedWidget()
        self.upload = UploadPage(runtime)
        self.upload.batchStarted.connect(self._on_batch_started)
        self.processing = ProcessingPage(self.service, self.bridge)
        self.processing.resultsRequested.connect(self.open_results)
        self.processing.jobStarted.connect(self._on_again_started)
        self.results = ResultsPage(self.service, self.bridge)
        self.results.detailsRequested.connect(self.open_processing)
        # The upload page's form reads badly stretched over a 2560-px screen: it is
        # at most UPLOAD_MAX_WIDTH wide, centred in a holder that fills the pane.
        self.upload_holder = QWidget()
        centred = QHBoxLayout(self.upload_holder)
        centred.setContentsMargins(0, 0, 0, 0)
        self.upload.setMaximumWidth(UPLOAD_MAX_WIDTH)
        centred.addWidget(self.upload)
        for page in (self.upload_holder, self.processing, self.results):
            self.pages.addWidget(page)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([270, 1050])
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter, 1)
        self.setCentralWidget(central)

        # The next batch starts from the last one's parameters (face limit and all),
        # across restarts; Settings' defaults apply until a batch was made.
        last = self._last_parameters()
        if last is not None:
            self.upload.set_parameters(last)
        self.bridge.jobFinished.connect(self._on_job_finished)
        self.notifier = Notifier(self, icon or QIcon(), self.bridge)
        self.watch = WatchFolder(runtime, self.bridge, self)
        self.watch.problem.connect(lambda text: self.upload.show_message(text, "error"))
        self.watch.said.connect(lambda text: self.upload.show_message(text, "success"))
        self._unsubscribe = runtime.subscribe_settings(lambda _old, _new: self.apply_theme())
        self.apply_theme()
        # "As the system" follows the OS switching while the window is open.
        QApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme)
        self._bind_keys()
        self._restore_geometry()
        self.set_phase(Phase.UPLOAD)

    def _bind_keys(self) -> None:
        """The window-wide keys (the pages bind their own buttons' keys)."""
        KEYMAP.bind_key("window:open", self, self._browse)
        KEYMAP.bind_key("window:paste", self, self._paste)
        KEYMAP.bind_key("window:delete", self, self._delete)
        KEYMAP.bind_key("window:quit", self, self.close)

    # -- life cycle -------------------------------------------------------------------

    async def start(self, photos: list[Path]) -> None:
        """Resume unfinished work, fill the library, queue photos from the command line."""
        from image2model_desktop.gui.shell.single_instance import InstanceServer

        # Later launches on this library hand their photos over instead of being refused.
        self.instance = InstanceServer(self.runtime.paths.root, self.receive_photos)
        resumed = await self.service.start()
        self.library.reload()
        if resumed:
            self.open_job(resumed[0])
        if photos:
            await self.upload.add_paths(photos)
        self.watch.watch(self.runtime.settings.watch_folder)
        if self.runtime.settings.api.enabled:
            await self.api.apply(self.runtime.settings.api)
            if self.api.failed:
                self.upload.show_message(f"Local API: {self.api.status}", "error")

    def receive_photos(self, photos: list[Path]) -> None:
        """Photos from a later launch (a file manager's "Open with"): queue them, come forward."""
        self.set_phase(Phase.UPLOAD)
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()
        if photos:
            spawn(self.upload.add_paths(photos))

    def attach_preview(self) -> None:
        """Create the 3D view (after the first paint); raises when OpenGL is missing."""
        self.results.attach_preview(style.current().dark)

    async def warm_up_preview(self, folder: Path) -> None:
        """Draw a tiny model once, so the first real one pays no shader builds."""
        await self.results.warm_up_preview(folder)

    def preview_unavailable(self, message: str | None = None) -> None:
        """Say for good that this computer shows no 3D (``message``: why, if known)."""
        self.results.preview_unavailable(message)

    def batch_running(self) -> bool:
        """Whether the batch this window follows is still being worked on."""
        if self.current_job_id is None:
            return False
        job = self.service.find_job(self.current_job_id)
        return job is not None and not job.is_finished

    async def wait_closed(self) -> None:
        await self._future()

    def _future(self) -> asyncio.Future[None]:
        if self._closed is None:
            self._closed = asyncio.get_event_loop().create_future()
        return self._closed

    def closeEvent(self, event: QCloseEvent) -> None:
        self._settings_file().setValue("geometry", self.saveGeometry())
        self._settings_file().sync()
        event.accept()
        future = self._future()
        if not future.done():
            future.set_result(None)

    async def shutdown(self) -> None:
        """Release the 3D view, the tray icon, the API server and every subscription."""
        self.bridge.detach()
        self._unsubscribe()
        self.upload.detach()
        self.api.detach()
        self.watch.stop()
        if self.instance is not None:
            self.instance.close()
        self.notifier.close()
        await self.api.stop()
        self.results.close_preview()

    def _settings_file(self) -> QSettings:
        # Kept in the data folder, not ~/.config: each library (and each test) has its own.
        path = self.runtime.paths.root / "window.ini"
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _remember_parameters(self, parameters: JobParameters) -> None:
        settings = self._settings_file()
        settings.setValue("last_parameters", parameters.model_dump_json())
        settings.sync()

    def _last_parameters(self) -> JobParameters | None:
        saved = self._settings_file().value("last_parameters")
        if not isinstance(saved, str):
            return None
        try:
            return JobParameters.model_validate_json(saved)
        except ValueError:  # written by another version: the defaults will do
            log.info("Ignoring the last batch's parameters: they no longer validate")
            return None

    def _restore_geometry(self) -> None:
        saved = self._settings_file().value("geometry")
        if saved is None or not self.restoreGeometry(saved):
            self.resize(1320, 860)

    # -- routing ----------------------------------------------------------------------

    def set_phase(self, phase: Phase) -> None:
        page = {Phase.UPLOAD: self.upload_holder, Phase.PROCESSING: self.processing}.get(
            phase, self.results
        )
        # A stacked widget is as wide as its widest page, shown or not: the hidden
        # pages' minimums are ignored, so only the page on screen sets the window's.
        for other in (self.upload_holder, self.processing, self.results):
            policy = QSizePolicy.Policy.Preferred if other is page else QSizePolicy.Policy.Ignored
            other.setSizePolicy(policy, QSizePolicy.Policy.Preferred)
        self.pages.setCurrentWidget(page)
        self.header.set_phase(phase)

    def show_upload(self) -> None:
        self.library.clearSelection()
        self.set_phase(Phase.UPLOAD)

    def open_job(self, job_id: str) -> None:
        """Open a job from the library: results when it has any, else its progress."""
        job = self.service.find_job(job_id)
        if job is None:
            self.library.reload()
            return
        self.library.select_job(job_id)
        if job.is_finished and job.completed_count:
            self.open_results(job_id)
        else:
            self.open_processing(job_id)

    def open_processing(self, job_id: str) -> None:
        self.current_job_id = job_id
        self.processing.show_job(self.service.get_job(job_id))
        self.set_phase(Phase.PROCESSING)

    def open_results(self, job_id: str) -> None:
        self.current_job_id = job_id
        self.results.show_job(self.service.get_job(job_id))
        self.set_phase(Phase.RESULTS)

    def _on_batch_started(self, job: Job, parameters: JobParameters) -> None:
        self._remember_parameters(parameters)
        self.library.show_job(job)
        self.open_processing(job.job_id)

    def _on_again_started(self, job_id: str) -> None:
        """A batch started by "Generate again" on the processing page."""
        self.library.show_job(self.service.get_job(job_id))
        self.open_processing(job_id)

    def _on_job_finished(self, job: Job) -> None:
        # The batch being followed ended: its results, if it made any.
        on_processing = self.pages.currentWidget() is self.processing
        if job.job_id == self.current_job_id and on_processing and job.completed_count:
            self.open_results(job.job_id)

    # -- commands ---------------------------------------------------------------------

    def delete_job(self, job_id: str) -> None:
        job = self.service.find_job(job_id)
        if job is None:
            return
        from image2model_desktop.gui.shell.library import batch_time, batch_title

        count = len(job.files)
        what = f"“{batch_title(job, 60)}” ({count} photo{'s' if count != 1 else ''}"
        if not self.confirm(f"Delete the batch {what}, {batch_time(job)}) and its models?"):
            return
        try:
            self.service.delete_job(job_id)
        except Image2ModelError as error:
            self.upload.show_message(error.user_message, "error")
            self.set_phase(Phase.UPLOAD)
            return
        if self.current_job_id == job_id:
            self.current_job_id = None
            self.results.clear_job()
            self.set_phase(Phase.UPLOAD)
        self.library.reload()

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question (tests replace this method)."""
        answer = QMessageBox.question(self, "Image2Model", question)
        return answer == QMessageBox.StandardButton.Yes

    def open_settings(self) -> None:
        """The Settings dialog; its Save goes through ``Runtime.apply_settings``."""
        from image2model_desktop.core.credentials import load_fal_key
        from image2model_desktop.gui.settings.dialog import SettingsDialog

        key_before = load_fal_key(self.runtime.paths.root)
        dialog = SettingsDialog(
            self.runtime.settings,
            self.runtime.paths.root,
            self.api.api_key,
            self.api.status,
            self.api.available(),
            self,
            start_api=self._start_api,
            balance=self.service.account_balance if key_before else None,
        )
        if dialog.exec():
            self.save_settings(dialog.result_settings())
        elif self.api.applied is not None and self.api.applied != self.runtime.settings.api:
            # Cancel after a tried port: back to the saved settings.
            spawn(self.api.apply(self.runtime.settings.api))
        dialog.deleteLater()
        if load_fal_key(self.runtime.paths.root) != key_before:
            # The FAL engine holds the key it was made with (and any verdict on it).
            self.service.reset_engine("fal")
            self.upload.ask_prices()
        self.upload.refresh()

    def save_settings(self, settings: Settings) -> None:
        """Apply and save ``settings`` (everyone following them hears); say if not saved."""
        try:
            self.runtime.apply_settings(settings)
        except OSError as error:
            self.upload.show_message(
                f"Settings could not be saved ({error.strerror}); they apply until you quit.",
                "error",
            )

    async def _start_api(self, settings: ApiServerSettings) -> tuple[bool, str]:
        status = await self.api.apply(settings)
        return not self.api.failed, status

    def apply_theme(self) -> None:
        """Colour the window (and the 3D view's background) as the settings say."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        palette = style.apply_theme(app, self.runtime.settings.theme)
        self.results.set_dark(palette.dark)

    def _on_system_scheme(self, _scheme: object) -> None:
        if self.runtime.settings.theme == "system":
            self.apply_theme()

    def open_about(self) -> None:
        from image2model_desktop.gui.shell.about import AboutDialog

        dialog = AboutDialog(self)
        dialog.exec()
        dialog.deleteLater()

    # -- window-wide keys and drops -----------------------------------------------------

    def _browse(self) -> None:
        self.set_phase(Phase.UPLOAD)
        self.upload.browse()

    def _paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is not None and self.upload.paste(mime):
            self.set_phase(Phase.UPLOAD)

    def _delete(self) -> None:
        """Del: the selected photos on the upload page, else the selected batch."""
        on_upload = self.pages.currentWidget() is self.upload_holder
        if on_upload and self.upload.remove_selected_photos():
            return
        if self.library.hasFocus() or self.library.selected_job_id():
            self.library.request_delete()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.upload.accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.set_phase(Phase.UPLOAD)
        self.upload.take_drop(event)
