"""The results page's versions: which version of a model is shown, which one it is compared
with, Remesh… and Retexture… (a new version made on FAL), and FAL's own files.

``VersionsStrip`` sits under the preview. It lists the versions of the selected model's
library entry (``JobService.versions``); choosing one previews it, choosing another in
"Compare with" shows the two side by side under one camera; Save as saves the chosen
version. ``RefineDialog`` asks for a remesh or a retexture with the options the FAL
service takes, prices it before anything is sent, and starts the version
(``JobService.submit_version``): the same runner, ledger and resume as a generation.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from image2model_desktop.core.errors import Image2ModelError
from image2model_desktop.core.models import FileItem, Job, ModelFormat, PostProcess, PostService
from image2model_desktop.core.service import JobService
from image2model_desktop.core.states import FileState
from image2model_desktop.core.versions import VersionPlan, version_label
from image2model_desktop.gui.background import spawn
from image2model_desktop.gui.bridge import EngineBridge
from image2model_desktop.gui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)
TOOLTIP_ROLE = Qt.ItemDataRole.ToolTipRole

Kind = Literal["remesh", "retexture"]
#: The services of each kind, the default first (engines/fal/postprocess.py has their facts).
SERVICES: dict[Kind, tuple[tuple[PostService, str], ...]] = {
    "remesh": (
        ("meshy-remesh", "Meshy 5 Remesh — a face count; FBX, USDZ, OBJ beside the GLB"),
        ("hunyuan-topology", "Hunyuan3D 3.1 Smart Topology — a face level"),
    ),
    "retexture": (
        ("meshy-retexture", "Meshy 5 Retexture — from words or a style photo"),
        ("trellis-retexture", "TRELLIS.2 Retexture — from a reference photo"),
    ),
}


class VersionsStrip(QWidget):
    """The versions of the shown model's entry: show one, compare two, make a new one."""

    #: Show this version alone (a path to its model).
    showRequested = Signal(object)  # FileItem
    #: Show these two versions side by side.
    compareRequested = Signal(object, object)  # FileItem, FileItem
    #: A sentence for the page's notice (level, text).
    said = Signal(str, str)

    def __init__(
        self, service: JobService, bridge: EngineBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._entry: list[FileItem] = []
        #: Versions started from this window, to show beside their parent when done.
        self._started: set[str] = set()
        bridge.jobFinished.connect(self._on_job_finished)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        self.version = QComboBox()
        self.version.setObjectName("versionChoice")
        self.version.setAccessibleName("Version shown and saved")
        self.version.activated.connect(self._on_version)
        self.compare = QComboBox()
        self.compare.setObjectName("compareChoice")
        self.compare.setAccessibleName("Compare with version")
        self.compare.activated.connect(self._on_compare)
        for combo in (self.version, self.compare):
            # Sized to a few characters, not to the longest label ("v2 · retextured
            # (trellis-2-retexture)"), so the strip never sets the window's width.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(6)
        self.remesh_button = QPushButton("Remesh…")
        self.remesh_button.setObjectName("remeshButton")
        self.remesh_button.setToolTip("A new version with a clean quad or triangle mesh, on FAL")
        self.remesh_button.clicked.connect(lambda: self.open_dialog("remesh"))
        self.retexture_button = QPushButton("Retexture…")
        self.retexture_button.setObjectName("retextureButton")
        self.retexture_button.setToolTip("A new version with a new texture, on FAL")
        self.retexture_button.clicked.connect(lambda: self.open_dialog("retexture"))
        self.files_button = QToolButton()
        self.files_button.setText("FAL's files")
        self.files_button.setObjectName("givenFilesButton")
        self.files_button.setToolTip("Save a file as FAL returned it (FBX, USDZ, OBJ…)")
        self.files_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.files_menu = QMenu(self.files_button)
        self.files_button.setMenu(self.files_menu)
        # Two lines: in one, the strip needed 610 px and widened a 1024-px window
        # (its preview has about 480).
        choices = QHBoxLayout()
        choices.addWidget(QLabel("Version"))
        choices.addWidget(self.version, 1)
        choices.addWidget(QLabel("Compare with"))
        choices.addWidget(self.compare, 1)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.files_button)
        actions.addWidget(self.remesh_button)
        actions.addWidget(self.retexture_button)
        rows.addLayout(choices)
        rows.addLayout(actions)
        self.dialog: RefineDialog | None = None
        self.show_entry(None)

    # -- the entry ----------------------------------------------------------------

    def show_entry(self, item: FileItem | None) -> None:
        """List the versions of ``item``'s entry, ``item`` chosen (None: nothing shown)."""
        self._entry = (
            [v for v in self._service.versions(item.file_id) if v.output is not None]
            if item is not None
            else []
        )
        self.version.clear()
        self.compare.clear()
        self.compare.addItem("—", None)
        for version in self._entry:
            for combo in (self.version, self.compare):
                combo.addItem(version_label(version, short=True), version.file_id)
                combo.setItemData(combo.count() - 1, version_label(version), TOOLTIP_ROLE)
        if item is not None:
            index = self.version.findData(item.file_id)
            self.version.setCurrentIndex(max(index, 0))
        self._sync()

    def chosen(self) -> FileItem | None:
        """The version shown (and saved by Save as)."""
        return self._version(self.version.currentData())

    def compared(self) -> FileItem | None:
        return self._version(self.compare.currentData())

    def model_path(self, item: FileItem) -> Path:
        assert item.output is not None  # only finished versions are listed
        return self._service.paths.outputs(item.job_id) / item.output.model_filename

    def choose(self, version: int, compare_with: int | None = None) -> None:
        """Show version ``version`` (and compare it with ``compare_with``), as a click would."""
        for combo, number in ((self.version, version), (self.compare, compare_with)):
            match = next((v for v in self._entry if v.version == number), None)
            index = combo.findData(match.file_id) if match is not None else 0
            combo.setCurrentIndex(max(index, 0))
        self._sync()
        if self.compared() is not None:
            self._on_compare(self.compare.currentIndex())
        else:
            self._on_version(self.version.currentIndex())

    def _version(self, file_id: object) -> FileItem | None:
        return next((v for v in self._entry if v.file_id == file_id), None)

    def _on_version(self, _index: int) -> None:
        self._sync()
        chosen, other = self.chosen(), self.compared()
        if chosen is None:
            return
        if other is not None and other.file_id != chosen.file_id:
            self.compareRequested.emit(chosen, other)
        else:
            self.showRequested.emit(chosen)

    def _on_compare(self, _index: int) -> None:
        self._on_version(self.version.currentIndex())

    def _sync(self) -> None:
        chosen = self.chosen()
        fal = chosen is not None and chosen.engine == "fal"
        self.version.setEnabled(len(self._entry) > 1)
        self.compare.setEnabled(len(self._entry) > 1)
        self.remesh_button.setEnabled(fal)
        self.retexture_button.setEnabled(fal)
        self._fill_files_menu(chosen)

    def _fill_files_menu(self, chosen: FileItem | None) -> None:
        from image2model_desktop.mesh.deliverables import save_choices

        self.files_menu.clear()
        kept = []
        if chosen is not None and chosen.output is not None:
            outputs = self._service.paths.outputs(chosen.job_id)
            kept = [c for c in save_choices(outputs, chosen.output, chosen.engine) if c.path]
        for choice in kept:
            action = self.files_menu.addAction(choice.label)
            action.triggered.connect(lambda _=False, c=choice: self._save_given(c))
        self.files_button.setEnabled(bool(kept) and chosen is not None and chosen.engine == "fal")

    def _save_given(self, choice: object) -> None:
        from image2model_desktop.mesh.deliverables import SaveChoice, save_as_given

        assert isinstance(choice, SaveChoice) and choice.path is not None
        chosen = self.chosen()
        suggested = Path.home() / f"{chosen.output_stem if chosen else 'model'}{choice.suffix}"
        dest = self.ask_save_path(suggested, choice.suffix)
        if dest is None:
            return
        try:
            save_as_given(choice, dest)
        except OSError as error:
            self.said.emit("error", f"Saving failed ({error.strerror}); pick another folder.")
            return
        self.said.emit("success", f"Saved {dest.name} ({choice.label}) in {dest.parent}.")

    def ask_save_path(self, suggested: Path, suffix: str) -> Path | None:
        """Ask where to save a file as FAL gave it (tests replace this method)."""
        name, _ = QFileDialog.getSaveFileName(
            self, "Save as FAL gave it", str(suggested), f"{suffix[1:].upper()} (*{suffix})"
        )
        return Path(name) if name else None

    # -- a new version ------------------------------------------------------------

    def open_dialog(self, kind: Kind) -> None:
        chosen = self.chosen()
        if chosen is None:
            return
        self.dialog = RefineDialog(kind, chosen, self._service, self)
        self.dialog.started.connect(self._on_started)
        self.dialog.finished.connect(self.dialog.deleteLater)
        self.dialog.open()

    def _on_started(self, job: Job) -> None:
        (item,) = job.files
        self._started.add(job.job_id)
        self.said.emit(
            "info",
            f"Version {item.version} of {item.filename} is being made on FAL; it appears "
            "here, beside the original, when it is done.",
        )

    def _on_job_finished(self, job: Job) -> None:
        if job.job_id not in self._started:
            return
        self._started.discard(job.job_id)
        (item,) = job.files
        shown = self.chosen()
        if item.state != FileState.COMPLETED:
            self.said.emit(
                "error", f"Version {item.version} of {item.filename}: {item.error_message}"
            )
            return
        if shown is not None and shown.entry_id == item.entry_id:
            parent = next((v for v in self._entry if v.file_id == item.parent_file_id), shown)
            self.show_entry(item)
            self.choose(item.version, parent.version)
        self.said.emit("success", f"Version {item.version} of {item.filename} is ready.")


class RefineDialog(QDialog):
    """Remesh… or Retexture… one version: FAL's options, priced before anything is sent."""

    #: The version job, once submitted.
    started = Signal(object)  # Job

    def __init__(
        self, kind: Kind, item: FileItem, service: JobService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self._item = item
        self._service = service
        self._plan: tuple[VersionPlan, PostProcess] | None = None
        self._style: Path | None = None
        self._pricing = 0
        self.setWindowTitle(f"{kind.capitalize()} {item.filename} (v{item.version})")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.service_choice = QComboBox()
        for name, label in SERVICES[kind]:
            self.service_choice.addItem(label, name)
        self.service_choice.currentIndexChanged.connect(self._changed)
        form.addRow("Service", self.service_choice)
        self.quad = QCheckBox("Quad faces (else triangles)")
        self.faces = QSpinBox()
        self.faces.setRange(100, 300_000)
        self.faces.setSingleStep(1000)
        self.faces.setValue(10_000)
        self.face_level = QComboBox()
        for level in ("low", "medium", "high"):
            self.face_level.addItem(level, level)
        self.face_level.setCurrentIndex(1)
        self.formats: dict[ModelFormat, QCheckBox] = {
            fmt: QCheckBox(fmt.upper()) for fmt in ("fbx", "usdz", "obj")
        }
        formats_row = QHBoxLayout()
        for box in self.formats.values():
            formats_row.addWidget(box)
            box.toggled.connect(self._changed)
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("e.g. weathered oak with brass fittings")
        self.style_button = QPushButton("Choose a style photo…")
        self.style_button.clicked.connect(self._choose_style)
        self.pbr = QCheckBox("PBR maps too")
        for widget in (self.quad, self.pbr):
            widget.toggled.connect(self._changed)
        self.faces.valueChanged.connect(self._changed)
        self.face_level.currentIndexChanged.connect(self._changed)
        self.prompt.textChanged.connect(self._changed)
        if kind == "remesh":
            form.addRow("Topology", self.quad)
            form.addRow("Faces", self.faces)
            form.addRow("Face level", self.face_level)
            form.addRow("Also return", formats_row)
        else:
            form.addRow("In words", self.prompt)
            form.addRow("Or a photo", self.style_button)
            form.addRow("", self.pbr)
        layout.addLayout(form)
        self.price = QLabel("Pricing…")
        self.price.setObjectName("refinePrice")
        self.price.setWordWrap(True)
        layout.addWidget(self.price)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._changed()

    @property
    def ok_button(self) -> QPushButton:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert button is not None
        return button

    def post(self) -> PostProcess:
        """The request the dialog's fields make now."""
        service: PostService = self.service_choice.currentData()
        meshy = service == "meshy-remesh"
        item = self._item
        if self.kind == "remesh":
            return PostProcess(
                service=service,
                source_job_id=item.job_id,
                source_file_id=item.file_id,
                quad=self.quad.isChecked(),
                faces=self.faces.value() if meshy else None,
                face_level=None if meshy else self.face_level.currentData(),
                formats=self._formats() if meshy else (),
            )
        words = self.prompt.text().strip() or None
        return PostProcess(
            service=service,
            source_job_id=item.job_id,
            source_file_id=item.file_id,
            prompt=None if self._style is not None else words,
            pbr=self.pbr.isChecked() and service == "meshy-retexture",
        )

    def _formats(self) -> tuple[ModelFormat, ...]:
        return tuple(fmt for fmt, box in self.formats.items() if box.isChecked())

    def set_style(self, path: Path | None) -> None:
        self._style = path
        self.style_button.setText(path.name if path else "Choose a style photo…")
        self._changed()

    def _choose_style(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Style photo", str(Path.home()), "Photos (*.jpg *.jpeg *.png)"
        )
        if name:
            self.set_style(Path(name))

    def _changed(self, *_: object) -> None:
        meshy = self.service_choice.currentData() == "meshy-remesh"
        self.faces.setEnabled(meshy)
        self.face_level.setEnabled(not meshy)
        for box in self.formats.values():
            box.setEnabled(meshy)
        words = self.service_choice.currentData() == "meshy-retexture"
        self.prompt.setEnabled(words)
        self.pbr.setEnabled(words)
        self.ok_button.setEnabled(False)
        self._pricing += 1
        spawn(self._price(self._pricing), on_error=self._failed)

    async def _price(self, turn: int) -> None:
        """Check and price the request as the fields say; stale answers are dropped."""
        try:
            plan, post = await self._service.plan_version(
                self._item.job_id, self._item.file_id, self.post(), self._style
            )
        except Image2ModelError as error:
            if turn == self._pricing:
                self._plan = None
                self.price.setText(error.user_message)
            return
        if turn != self._pricing:
            return
        usd = self._service.estimate_version(plan, post)
        if usd == 0.0:
            text, button = "This model already had this request: it is reused, $0.", "Reuse ($0)"
        elif usd is None:
            source = self._service.price_source_of(post)
            text, button = f"Price unknown ({source}).", self.kind.capitalize()
        else:
            source = self._service.price_source_of(post)
            text = f"Estimated cost: ${usd:.2f} on FAL (price: {source})."
            button = f"{self.kind.capitalize()} (about ${usd:.2f})"
        self._plan = (plan, post)
        self.price.setText(text)
        self.ok_button.setText(button)
        self.ok_button.setEnabled(True)

    def _submit(self) -> None:
        if self._plan is None:
            return
        self.ok_button.setEnabled(False)
        plan, post = self._plan
        spawn(self._start(plan, post), on_error=self._failed)

    async def _start(self, plan: VersionPlan, post: PostProcess) -> None:
        job = await self._service.submit_version(plan, post)
        self.started.emit(job)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        log.error("The %s request failed", self.kind, exc_info=error)
        sentence = getattr(error, "user_message", None) or "it could not be started"
        self.price.setText(f"Not sent: {sentence}")
