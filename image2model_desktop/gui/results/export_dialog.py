"""The export dialog of Save as… and Save all…: format, face budget, size, pivot, up, print, web.

It says what the file will be — faces, size in the preview's unit (the file's
own unit named beside it), a texture the format drops — before anything is
written, from the stats the library already holds (``saving.preview_save``: no
model is loaded). The destination is asked for last, through the
``ask_destination`` callable the results page hands in (a file for one model, a
folder for all), so tests replace one function.

A model whose real-world size is not known (``OutputInfo.real_size``: the
offline engine makes everything 1 m tall) is never written as a print at that
made-up size: STL and 3MF need a height. The print section (``print_options``)
hollows, drills, orients and colours; the web profile (``web_options``) plans
its LOD chain in the process pool and shows its size before writing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from image2model_desktop.core.errors import UnknownFormatError
from image2model_desktop.core.models import OutputInfo
from image2model_desktop.gui.background import spawn
from image2model_desktop.gui.qt import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from image2model_desktop.gui.results.print_options import PrintOptionsBox
from image2model_desktop.gui.results.saving import preview_save
from image2model_desktop.gui.results.web_options import (
    WEB_LABEL,
    WebOptionsBox,
    moved,
    plan_in_pool,
)
from image2model_desktop.gui.style import PRIMARY_BUTTON
from image2model_desktop.mesh.export import ExportPreview
from image2model_desktop.mesh.formats import ExportFormat, format_for
from image2model_desktop.mesh.options import MIN_FACES, ExportOptions, Pivot, Up
from image2model_desktop.mesh.units import METRES_PER_UNIT, Length, format_length

if TYPE_CHECKING:
    from image2model_desktop.mesh.printing.slicers import Slicer, SlicerSearch
    from image2model_desktop.mesh.web import WebExportPlan

#: Formats in menu order: textured ones first.
FORMATS = (
    ExportFormat.GLB,
    ExportFormat.GLTF_ZIP,
    ExportFormat.OBJ_ZIP,
    ExportFormat.STL,
    ExportFormat.THREEMF,
    ExportFormat.PLY,
)
_PIVOTS = (("Keep", Pivot.KEEP), ("Base at zero, centred", Pivot.BOTTOM), ("Centre", Pivot.CENTER))
_UPS = (("The format's own", None), ("Y up", Up.Y), ("Z up", Up.Z))

#: ``ask_destination(suggested)``: where to write (a file, or a folder for Save all), or None.
AskDestination = Callable[[Path], Path | None]
#: The format box's entry for the web profile (its files are GLBs).
WEB = "web"
#: After the last edit, the web plan starts this much later (typing "5MB" plans once).
PLAN_DELAY_MS = 400
#: What the size reads as in the dialog when the model's real size is not known.
NO_HEIGHT = "Size not known: type the height it should have"


@dataclass(frozen=True)
class ExportChoice:
    """What the person chose: the destination and how to shape the model(s)."""

    dest: Path
    format: ExportFormat
    options: ExportOptions
    #: The web profile's files, planned and ready to write (only for the web profile).
    web_plan: WebExportPlan | None = None
    #: Open the written print file in this slicer.
    open_in: Slicer | None = None


class ExportDialog(QDialog):
    """Options for one model (Save as…) or every model of a batch (Save all…)."""

    def __init__(
        self,
        output: OutputInfo,
        stem: str,
        start_folder: Path,
        ask_destination: AskDestination,
        *,
        count: int | None = None,
        unit: str = "cm",
        height: str = "",
        source: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self._output = output
        self._stem = stem
        self._start = start_folder
        self._ask = ask_destination
        #: None: one model to a file; a number: that many models into a folder.
        self._count = count
        #: The unit sizes are shown in: the preview's (the status line's) choice.
        self._unit = unit
        #: The model file (for the web plan); None for Save all.
        self._source = source
        self.choice: ExportChoice | None = None
        #: The latest web plan and the request it answers; a newer edit replans.
        self._plan: WebExportPlan | None = None
        self._plan_seq = 0
        self._plan_timer = QTimer(self)
        self._plan_timer.setSingleShot(True)
        self._plan_timer.setInterval(PLAN_DELAY_MS)
        self._plan_timer.timeout.connect(self._start_plan)
        self.setWindowTitle(f"Save all {count} models" if count else f"Save {stem} as")
        layout = QVBoxLayout(self)
        form = QFormLayout()

        self.format_box = QComboBox()
        self.format_box.setAccessibleName("Format")
        for fmt in FORMATS:
            self.format_box.addItem(f"{fmt.label} ({fmt.suffix})", fmt)
        if count is None and source is not None:
            self.format_box.addItem(f"{WEB_LABEL} (.glb)", WEB)
        form.addRow("&Format", self.format_box)

        self.faces_box = QSpinBox()
        self.faces_box.setAccessibleName("Face budget")
        # 0 (the minimum) reads "Keep all": a budget below MIN_FACES means nothing.
        self.faces_box.setRange(0, max(output.face_count, MIN_FACES))
        self.faces_box.setSpecialValueText(f"Keep all ({output.face_count:,})")
        self.faces_box.setSingleStep(1000)
        self.faces_box.setGroupSeparatorShown(True)
        form.addRow("Face &budget", self.faces_box)

        self.height_edit = QLineEdit(height)
        self.height_edit.setAccessibleName("Height")
        form.addRow("&Height", self.height_edit)
        self.scale_edit = QLineEdit()
        self.scale_edit.setAccessibleName("Scale")
        self.scale_edit.setPlaceholderText("or a factor, e.g. 0.5")
        form.addRow("or &scale", self.scale_edit)

        self.pivot_box = QComboBox()
        self.pivot_box.setAccessibleName("Pivot")
        for label, pivot in _PIVOTS:
            self.pivot_box.addItem(label, pivot)
        form.addRow("&Pivot", self.pivot_box)
        self.up_box = QComboBox()
        self.up_box.setAccessibleName("Up axis")
        for label, up in _UPS:
            self.up_box.addItem(label, up)
        form.addRow("&Up axis", self.up_box)
        layout.addLayout(form)
        self.print_box = PrintOptionsBox()
        self.fill_holes = self.print_box.fill_holes
        layout.addWidget(self.print_box)
        self.web_box = WebOptionsBox()
        layout.addWidget(self.web_box)

        self.preview_label = QLabel()
        self.preview_label.setObjectName("exportPreview")
        self.preview_label.setAccessibleName("What will be written")
        self.preview_label.setWordWrap(True)
        layout.addWidget(self.preview_label)
        self.warning_label = QLabel()
        self.warning_label.setObjectName("exportWarning")
        self.warning_label.setWordWrap(True)
        layout.addWidget(self.warning_label)

        buttons = QHBoxLayout()
        #: The slicers found here (one model to a print file only).
        self.slicers: SlicerSearch | None = None
        self.slicer_button = QPushButton()
        self.slicer_button.setObjectName("exportSlicerButton")
        if count is None:
            from image2model_desktop.gui.results.slicer import search

            self.slicers = search()
            found = self.slicers.found
            self.slicer_button.setText(
                f"Save and open in {found[0].name}…" if found else "Save and open in a slicer…"
            )
            self.slicer_button.setToolTip(self.slicers.sentence())
            self.slicer_button.clicked.connect(self._save_and_open)
        buttons.addWidget(self.slicer_button)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save…")
        self.save_button.setObjectName("exportSaveButton")
        self.save_button.setStyleSheet(PRIMARY_BUTTON)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda: self._save())
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self.format_box.currentIndexChanged.connect(self.refresh)
        self.faces_box.valueChanged.connect(self.refresh)
        self.height_edit.textChanged.connect(self.refresh)
        self.scale_edit.textChanged.connect(self.refresh)
        self.pivot_box.currentIndexChanged.connect(self.refresh)
        self.up_box.currentIndexChanged.connect(self.refresh)
        self.print_box.changed.connect(self.refresh)
        self.web_box.changed.connect(self.refresh)
        self.refresh()

    @property
    def web(self) -> bool:
        """Whether the web profile is chosen (its files are GLBs)."""
        return bool(self.format_box.currentData() == WEB)

    @property
    def format(self) -> ExportFormat:
        data = self.format_box.currentData()
        return ExportFormat.GLB if data == WEB else ExportFormat(data)

    @property
    def needs_height(self) -> bool:
        """A print of a model whose real size is unknown must be given its height."""
        return self.format.for_printing and not self._output.real_size

    @property
    def height_text(self) -> str:
        return self.height_edit.text().strip()

    def options(self) -> ExportOptions:
        """The options as typed; ``ValueError`` with a sentence when they make no sense."""
        faces = self.faces_box.value()
        if 0 < faces < MIN_FACES:
            raise ValueError(f"A face budget must be at least {MIN_FACES}.")
        height_text = self.height_edit.text().strip()
        scale_text = self.scale_edit.text().strip()
        if self.needs_height and not height_text:
            raise ValueError(
                f"Type the printed height (e.g. 80mm): {self._what}'s real size is not known, "
                "so it is not printed at a made-up one."
            )
        scale = None
        if scale_text:
            try:
                scale = float(scale_text)
            except ValueError:
                raise ValueError(f"{scale_text!r} is not a scale factor: type e.g. 0.5.") from None
        fields = self.print_box.fields()
        if not fields.get("fill_holes"):
            fields["fill_holes"] = False
        return ExportOptions(
            faces=faces or None,
            height=Length.parse(height_text) if height_text else None,
            scale=scale,
            pivot=self.pivot_box.currentData(),
            up=self.up_box.currentData(),
            **fields,  # type: ignore[arg-type]  # print_options.fields() names ExportOptions' own
        )

    @property
    def _what(self) -> str:
        return f"{self._stem}" if self._count is None else "these models"

    def refresh(self) -> None:
        """Say what will be written, or why it cannot be."""
        fmt = self.format
        self.print_box.set_format(fmt)
        self.web_box.setVisible(self.web)
        self.slicer_button.setVisible(self.slicers is not None and fmt.for_printing)
        self.scale_edit.setEnabled(not self.needs_height)
        self.height_edit.setPlaceholderText(
            f"required for a print, e.g. 80mm, 12cm, {_example(self._unit)}"
            if self.needs_height
            else f"keep, or e.g. 100mm, 12cm, {_example(self._unit)}"
        )
        self.save_button.setText("Save…")
        try:
            options = self.options()
            if self.web:
                self.web_box.profile()
            preview = preview_save(self._output, Path(self._stem + fmt.suffix), options)
        except ValueError as error:
            self.preview_label.setText(str(error))
            self.warning_label.setText("")
            self.save_button.setEnabled(False)
            self._forget_plan()
            return
        each = f"{self._stem} (first of {self._count}): " if self._count else ""
        self.preview_label.setText(f"{each}{preview.faces:,} faces  ·  {self._size_text(preview)}")
        warnings = list(preview.warnings)
        if fmt.for_printing and not (options.fill_holes or options.hollow):
            warnings.append("Open holes are counted on writing; tick Fill holes to close them.")
        if options.colors:
            warnings = [w for w in warnings if "texture" not in w]
        self.warning_label.setText("\n".join(warnings))
        self.save_button.setEnabled(True)
        if self.web:
            self._forget_plan()
            self.save_button.setEnabled(False)
            self.web_box.show_computing()
            self._plan_timer.start()

    def _size_text(self, preview: ExportPreview) -> str:
        """The size in the preview's unit, and the unit the file is written in."""
        known = self._output.real_size or self.height_text or self.scale_edit.text().strip()
        if not known:
            return f"{NO_HEIGHT}  ·  {preview.up.value.upper()} up"
        metres = METRES_PER_UNIT[preview.unit]
        x, y, z = (format_length(v * metres, self._unit) for v in preview.size)
        height = format_length(preview.height * metres, self._unit)
        return (
            f"{x} × {y} × {z} (X × Y × Z)  ·  {height} tall, {preview.up.value.upper()} up  ·  "
            f"written in {preview.unit}"
        )

    # -- the web profile's plan ------------------------------------------------------------

    def _forget_plan(self) -> None:
        self._plan = None
        self._plan_seq += 1
        self._plan_timer.stop()

    def _start_plan(self, dest: Path | None = None) -> None:
        if self._source is None or not self.web:
            return
        try:
            options, profile = self.options(), self.web_box.profile()
        except ValueError:
            return
        self._plan_seq += 1
        seq = self._plan_seq
        target = dest or self._start / f"{self._stem}.glb"
        self.web_box.show_computing()
        self.save_button.setEnabled(False)

        async def plan() -> None:
            try:
                made = await plan_in_pool(self._source, target, options, profile)  # type: ignore[arg-type]
            except Exception as error:
                if seq == self._plan_seq:
                    reason = str(error) if isinstance(error, ValueError) else "it could not be made"
                    self.web_box.show_failure(f"The web export cannot be made: {reason}")
                return
            if seq != self._plan_seq:
                return
            self._plan = made
            self.web_box.show_plan(made)
            self.save_button.setEnabled(True)
            if dest is not None:
                self._finish(dest, self.format, options, made)

        spawn(plan())

    @property
    def web_plan(self) -> WebExportPlan | None:
        """The planned web export, once computed for the current settings."""
        return self._plan

    def _save_and_open(self) -> None:
        """Save, then open the file in the first slicer found; else say what was looked for."""
        if self.slicers is None or not self.slicers.found:
            sentence = self.slicers.sentence() if self.slicers is not None else ""
            self.warning_label.setText(sentence)
            return
        self._save(open_in=self.slicers.found[0])

    def _save(self, *, open_in: Slicer | None = None) -> None:
        fmt = self.format
        try:
            options = self.options()
        except ValueError as error:
            self.preview_label.setText(str(error))
            return
        suggested = self._start if self._count else self._start / (self._stem + fmt.suffix)
        dest = self._ask(suggested)
        if dest is None:
            return
        if self.web:
            if dest.suffix.lower() != ".glb":
                dest = dest.with_name(dest.name + ".glb")
            plan = moved(self._plan, dest) if self._plan is not None else None
            if plan is None:
                self._start_plan(dest)  # another name: the files' node names change
                return
            self._finish(dest, fmt, options, plan)
            return
        if self._count is None:
            try:
                # A typed extension picks the format, as on the command line.
                fmt = format_for(dest)
            except UnknownFormatError:
                dest = dest.with_name(dest.name + fmt.suffix)
            if fmt.for_printing != self.format.for_printing:
                options = replace(options, fill_holes=False)
        self._finish(dest, fmt, options, None, open_in if fmt.for_printing else None)

    def _finish(
        self,
        dest: Path,
        fmt: ExportFormat,
        options: ExportOptions,
        plan: WebExportPlan | None,
        open_in: Slicer | None = None,
    ) -> None:
        self.choice = ExportChoice(dest, fmt, options, plan, open_in)
        self.accept()


def _example(unit: str) -> str:
    return {"mm": "80mm", "cm": "8cm", "m": "0.3m", "in": "4in"}.get(unit, "8cm")
