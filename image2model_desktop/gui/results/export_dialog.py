"""The export dialog of Save as… and Save all…: format, face budget, size, pivot, up, holes.

It says what the file will be — faces, size in the format's unit, a texture the
format drops — before anything is written, from the stats the library already
holds (``saving.preview_save``: no model is loaded). The destination is asked
for last, through the ``ask_destination`` callable the results page hands in
(a file for one model, a folder for all), so tests replace one function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from image2model_desktop.core.errors import UnknownFormatError
from image2model_desktop.core.models import OutputInfo
from image2model_desktop.gui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from image2model_desktop.gui.results.saving import preview_save
from image2model_desktop.gui.style import PRIMARY_BUTTON
from image2model_desktop.mesh.formats import ExportFormat, format_for
from image2model_desktop.mesh.options import MIN_FACES, ExportOptions, Pivot, Up
from image2model_desktop.mesh.units import Length

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


@dataclass(frozen=True)
class ExportChoice:
    """What the person chose: the destination and how to shape the model(s)."""

    dest: Path
    format: ExportFormat
    options: ExportOptions


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
        self.choice: ExportChoice | None = None
        self.setWindowTitle(f"Save all {count} models" if count else f"Save {stem} as")
        layout = QVBoxLayout(self)
        form = QFormLayout()

        self.format_box = QComboBox()
        self.format_box.setAccessibleName("Format")
        for fmt in FORMATS:
            self.format_box.addItem(f"{fmt.label} ({fmt.suffix})", fmt)
        form.addRow("&Format", self.format_box)

        self.faces_box = QSpinBox()
        self.faces_box.setAccessibleName("Face budget")
        # 0 (the minimum) reads "Keep all": a budget below MIN_FACES means nothing.
        self.faces_box.setRange(0, max(output.face_count, MIN_FACES))
        self.faces_box.setSpecialValueText(f"Keep all ({output.face_count:,})")
        self.faces_box.setSingleStep(1000)
        self.faces_box.setGroupSeparatorShown(True)
        form.addRow("Face &budget", self.faces_box)

        self.height_edit = QLineEdit()
        self.height_edit.setAccessibleName("Height")
        self.height_edit.setPlaceholderText("keep, or e.g. 100mm, 12cm, 0.3m, 4in")
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
        self.fill_holes = QCheckBox("Fill holes so it prints as a solid (STL, 3MF)")
        self.fill_holes.setAccessibleName("Fill holes")
        form.addRow("", self.fill_holes)
        layout.addLayout(form)

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
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save…")
        self.save_button.setObjectName("exportSaveButton")
        self.save_button.setStyleSheet(PRIMARY_BUTTON)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._save)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

        self.format_box.currentIndexChanged.connect(self.refresh)
        self.faces_box.valueChanged.connect(self.refresh)
        self.height_edit.textChanged.connect(self.refresh)
        self.scale_edit.textChanged.connect(self.refresh)
        self.pivot_box.currentIndexChanged.connect(self.refresh)
        self.up_box.currentIndexChanged.connect(self.refresh)
        self.refresh()

    @property
    def format(self) -> ExportFormat:
        fmt: ExportFormat = self.format_box.currentData()
        return fmt

    def options(self) -> ExportOptions:
        """The options as typed; ``ValueError`` with a sentence when they make no sense."""
        faces = self.faces_box.value()
        if 0 < faces < MIN_FACES:
            raise ValueError(f"A face budget must be at least {MIN_FACES}.")
        height_text = self.height_edit.text().strip()
        scale_text = self.scale_edit.text().strip()
        scale = None
        if scale_text:
            try:
                scale = float(scale_text)
            except ValueError:
                raise ValueError(f"{scale_text!r} is not a scale factor: type e.g. 0.5.") from None
        return ExportOptions(
            faces=faces or None,
            height=Length.parse(height_text) if height_text else None,
            scale=scale,
            pivot=self.pivot_box.currentData(),
            up=self.up_box.currentData(),
            fill_holes=self.fill_holes.isChecked() and self.format.for_printing,
        )

    def refresh(self) -> None:
        """Say what will be written, or why it cannot be."""
        fmt = self.format
        self.fill_holes.setEnabled(fmt.for_printing)
        try:
            options = self.options()
            preview = preview_save(self._output, Path(self._stem + fmt.suffix), options)
        except ValueError as error:
            self.preview_label.setText(str(error))
            self.warning_label.setText("")
            self.save_button.setEnabled(False)
            return
        x, y, z = preview.size
        unit = preview.unit
        each = f"{self._stem} (first of {self._count}): " if self._count else ""
        self.preview_label.setText(
            f"{each}{preview.faces:,} faces  ·  {x:.{_digits(unit)}f} × {y:.{_digits(unit)}f} × "
            f"{z:.{_digits(unit)}f} {unit} (X × Y × Z)  ·  {preview.height:.{_digits(unit)}f} "
            f"{unit} tall, {preview.up.value.upper()} up"
        )
        warnings = list(preview.warnings)
        if fmt.for_printing and not self.fill_holes.isChecked():
            warnings.append("Open holes are counted on writing; tick Fill holes to close them.")
        self.warning_label.setText("\n".join(warnings))
        self.save_button.setEnabled(True)

    def _save(self) -> None:
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
        if self._count is None:
            try:
                # A typed extension picks the format, as on the command line.
                fmt = format_for(dest)
            except UnknownFormatError:
                dest = dest.with_name(dest.name + fmt.suffix)
            if fmt.for_printing != self.format.for_printing:
                options = replace(options, fill_holes=False)
        self.choice = ExportChoice(dest, fmt, options)
        self.accept()


def _digits(unit: str) -> int:
    """Decimals worth showing: millimetres need one, metres three."""
    return {"mm": 1, "cm": 1, "m": 3, "in": 2}.get(unit, 2)
