"""The Settings dialog: FAL key, photos' lifetime on FAL and the account's balance,
concurrency, default parameters, output folder, watch folder, colours, local API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from image2model_desktop.core import credentials
from image2model_desktop.core.engine import AccountBalance
from image2model_desktop.core.models import FalRetention
from image2model_desktop.core.settings import ApiServerSettings, Settings
from image2model_desktop.gui.background import spawn
from image2model_desktop.gui.qt import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    Qt,
    QVBoxLayout,
    QWidget,
)
from image2model_desktop.gui.style import repolish
from image2model_desktop.gui.upload.parameters import ParametersPanel
from image2model_desktop.gui.widgets.file_dialogs import choose_folder

THEMES = (("As the system", "system"), ("Light", "light"), ("Dark", "dark"))
#: How long FAL keeps a batch's photos on its CDN (public to anyone with the link).
RETENTIONS: tuple[tuple[str, FalRetention], ...] = (
    ("1 hour", "1h"),
    ("1 day", "1d"),
    ("7 days", "7d"),
    ("As the FAL account says", "account"),
)


class SettingsDialog(QDialog):
    """Edit settings; ``result_settings()`` returns what to save after Accept."""

    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        api_key: str,
        api_status: str,
        api_available: bool,
        parent: QWidget | None = None,
        *,
        start_api: Callable[[ApiServerSettings], Awaitable[tuple[bool, str]]] | None = None,
        balance: Callable[[], Awaitable[AccountBalance]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setMinimumWidth(620)
        self._settings = settings
        self._data_dir = data_dir
        # Save starts the API first when its settings change: a failure is said here, in place.
        self._start_api = start_api
        outer = QVBoxLayout(self)
        # The groups scroll: all of them are 780 px tall, more than a 1024×700 screen.
        content = QWidget()
        content.setObjectName("settingsContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 6, 0)
        self.groups = QScrollArea()
        self.groups.setWidgetResizable(True)
        self.groups.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.groups.setFrameShape(QFrame.Shape.NoFrame)
        self.groups.setWidget(content)
        outer.addWidget(self.groups, 1)

        fal = QGroupBox("FAL.AI (the cloud engine)")
        fal_form = QFormLayout(fal)
        self.key_status = QLabel()
        self.key_input = QLineEdit()
        self.key_input.setObjectName("falKeyInput")
        self.key_input.setAccessibleName("FAL key")
        self.key_input.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_input.setPlaceholderText("Paste a new key to replace the stored one")
        key_buttons = QHBoxLayout()
        self.save_key_button = QPushButton("Save key")
        self.save_key_button.clicked.connect(self._save_key)
        self.clear_key_button = QPushButton("Remove key")
        self.clear_key_button.clicked.connect(self._clear_key)
        key_buttons.addWidget(self.save_key_button)
        key_buttons.addWidget(self.clear_key_button)
        key_buttons.addStretch(1)
        self.retention = QComboBox()
        self.retention.setObjectName("falRetentionInput")
        self.retention.setAccessibleName("Delete my photos from FAL after")
        self.retention.setToolTip(
            "FAL keeps each uploaded photo on its CDN, readable by anyone with its link, until then"
        )
        for words, retention in RETENTIONS:
            self.retention.addItem(words, retention)
        self.retention.setCurrentIndex(
            max(0, self.retention.findData(settings.defaults.fal_retention))
        )
        self.balance = QLabel()
        self.balance.setObjectName("falBalance")
        self.balance.setWordWrap(True)
        fal_form.addRow("Status", self.key_status)
        fal_form.addRow("New key", self.key_input)
        fal_form.addRow("", key_buttons)
        fal_form.addRow("Delete my photos from FAL after", self.retention)
        fal_form.addRow("Balance", self.balance)
        layout.addWidget(fal)
        self._balance_task: asyncio.Task[None] | None = None
        if balance is None:
            self.balance.setText("Set a FAL key to see the account's balance.")
        else:
            # Asked in the background: the dialog is usable while FAL answers (or not).
            self.balance.setText("Asking FAL…")
            task = spawn(self._show_balance(balance), on_error=self._no_balance)
            self._balance_task = task
            self.finished.connect(lambda _result: task.cancel())

        work = QGroupBox("Processing")
        work_form = QFormLayout(work)
        self.concurrency = QSpinBox()
        self.concurrency.setObjectName("concurrencyInput")
        self.concurrency.setRange(1, 25)
        self.concurrency.setValue(settings.concurrency)
        self.defaults = ParametersPanel()
        self.defaults.set_parameters(settings.defaults)
        folder_row = QHBoxLayout()
        self.output_folder = QLineEdit(settings.output_folder or "")
        self.output_folder.setPlaceholderText("Ask every time (starts in your home folder)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_folder)
        folder_row.addWidget(self.output_folder, 1)
        folder_row.addWidget(browse)
        work_form.addRow("Photos at once", self.concurrency)
        work_form.addRow("Default parameters", self.defaults)
        work_form.addRow("Save models in", folder_row)
        watch_row = QHBoxLayout()
        self.watch_folder = QLineEdit(settings.watch_folder or "")
        self.watch_folder.setObjectName("watchFolderInput")
        self.watch_folder.setAccessibleName("Watch folder")
        self.watch_folder.setPlaceholderText("Off (new photos put in this folder become batches)")
        watch_browse = QPushButton("Browse…")
        watch_browse.clicked.connect(self._browse_watch)
        watch_row.addWidget(self.watch_folder, 1)
        watch_row.addWidget(watch_browse)
        work_form.addRow("Watch folder", watch_row)
        layout.addWidget(work)

        look = QGroupBox("Appearance")
        look_form = QFormLayout(look)
        self.theme = QComboBox()
        self.theme.setObjectName("themeInput")
        self.theme.setAccessibleName("Colours")
        for label, value in THEMES:
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        look_form.addRow("Colours", self.theme)
        layout.addWidget(look)

        api = QGroupBox("Local HTTP API")
        api_form = QFormLayout(api)
        self.api_enabled = QCheckBox("Run the local API server on 127.0.0.1")
        self.api_enabled.setObjectName("apiEnabledInput")
        self.api_enabled.setChecked(settings.api.enabled)
        self.api_port = QSpinBox()
        self.api_port.setRange(0, 65535)
        self.api_port.setSpecialValueText("any free port")
        self.api_port.setValue(settings.api.port)
        key_row = QHBoxLayout()
        self.api_key = QLineEdit(api_key)
        self.api_key.setReadOnly(True)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        show = QPushButton("Show")
        show.setCheckable(True)
        show.toggled.connect(
            lambda on: self.api_key.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        copy = QPushButton("Copy")
        copy.clicked.connect(lambda: QApplication.clipboard().setText(api_key))
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(show)
        key_row.addWidget(copy)
        self.api_origins = QLineEdit(", ".join(settings.api.cors_origins))
        self.api_origins.setObjectName("apiOriginsInput")
        self.api_origins.setAccessibleName("Allowed browser origins")
        self.api_origins.setPlaceholderText("None (e.g. http://localhost:3000, comma-separated)")
        self.api_status = QLabel(api_status if api_available else "Not available in this build.")
        self.api_status.setObjectName("apiStatus")
        self.api_status.setWordWrap(True)
        self._show_api_status(self.api_status.text(), api_status.startswith("Not running"))
        api_form.addRow("", self.api_enabled)
        api_form.addRow("Port", self.api_port)
        api_form.addRow("Key", key_row)
        api_form.addRow("Browser origins", self.api_origins)
        api_form.addRow("Status", self.api_status)
        api.setEnabled(api_available)
        layout.addWidget(api)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        self._show_key_status()
        self._fit_screen(outer, content, buttons)

    async def _show_balance(self, balance: Callable[[], Awaitable[AccountBalance]]) -> None:
        answer = await balance()
        if answer.usd is None:
            self.balance.setText(answer.reason or "FAL did not say.")
        else:
            self.balance.setText(f"${answer.usd:,.2f} left on the FAL account")

    def _no_balance(self, error: BaseException) -> None:
        self.balance.setText("FAL could not be asked for the balance now.")

    def _fit_screen(self, outer: QVBoxLayout, groups: QWidget, buttons: QDialogButtonBox) -> None:
        """As large as the groups need, but never larger than the screen (sized before it
        is shown: a dialog resized once on screen took clicks at its old size)."""
        margins = outer.contentsMargins()
        content = groups.sizeHint()
        bar = self.groups.verticalScrollBar().sizeHint().width()
        width = content.width() + bar + margins.left() + margins.right()
        height = (
            content.height()
            + buttons.sizeHint().height()
            + outer.spacing()
            + margins.top()
            + margins.bottom()
        )
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(min(width, screen.width()), min(height, screen.height() - 40))

    def _show_api_status(self, text: str, failed: bool) -> None:
        self.api_status.setText(text)
        self.api_status.setProperty("kind", "error" if failed else "")
        repolish(self.api_status)

    def _save(self) -> None:
        """Accept, but first start the API if its settings changed; stay open if it fails."""
        api = self.result_settings().api
        if self._start_api is None or api == self._settings.api or not api.enabled:
            self.accept()
            return
        self.save_button.setEnabled(False)
        self._show_api_status("Starting…", False)
        spawn(self._try_api(api), on_error=self._api_crashed)

    async def _try_api(self, api: ApiServerSettings) -> None:
        assert self._start_api is not None
        started, status = await self._start_api(api)
        self.save_button.setEnabled(True)
        self._show_api_status(status, not started)
        if started:
            self.accept()

    def _api_crashed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self._show_api_status("Not running: the local API could not start.", True)

    def _show_key_status(self, note: str = "") -> None:
        source = credentials.key_source(self._data_dir)
        if source is None:
            text = "Not set: batches use the offline engine."
        else:
            text = f"{credentials.mask('set')}  set, kept in {source}."
        self.key_status.setText(f"{text} {note}".strip())
        self.clear_key_button.setEnabled(source is not None)

    def _save_key(self) -> None:
        key = self.key_input.text().strip()
        if not key:
            self._show_key_status("Paste a key first.")
            return
        where = credentials.store_fal_key(self._data_dir, key)
        self.key_input.clear()
        self._show_key_status(f"Saved in {where}.")

    def _clear_key(self) -> None:
        credentials.clear_fal_key(self._data_dir)
        self._show_key_status("Removed.")

    def _browse_folder(self) -> None:
        name = choose_folder(self, "Save models in", "output", self.output_folder.text())
        if name:
            self.output_folder.setText(name)

    def _browse_watch(self) -> None:
        name = choose_folder(self, "Watch folder", "watch", self.watch_folder.text())
        if name:
            self.watch_folder.setText(name)

    def result_settings(self) -> Settings:
        folder = self.output_folder.text().strip() or None
        origins = [o.strip().rstrip("/") for o in self.api_origins.text().split(",")]
        api = self._settings.api.model_copy(
            update={
                "enabled": self.api_enabled.isChecked(),
                "port": self.api_port.value(),
                "cors_origins": [o for o in origins if o],
            }
        )
        return self._settings.model_copy(
            update={
                "concurrency": self.concurrency.value(),
                "defaults": self.defaults.parameters().model_copy(
                    update={"fal_retention": self.retention.currentData()}
                ),
                "output_folder": folder,
                "api": api,
                "theme": self.theme.currentData(),
                "watch_folder": self.watch_folder.text().strip() or None,
            }
        )
