"""The print check of the selected model: at a height, on a printer, in a material.

``mesh.printing.check.check_print_in_pool`` measures the shape, then the walls,
in the process pool (a 500k-face model takes 3–4 s there), reporting progress
between the stages; the dialog shows the verdict (green, amber, red) and one
sentence per finding, worst first, with a one-click fix beside those that have
one: Repair, Save at the suggested height, Turn for less support. A fix asks
the results page (``fixRequested``) to write a new print file through the
export path; the model in the library is never changed. The report's maps go
to the preview (``checked``): Thickness (K) and Overhangs (O) in its toolbar.

Non-modal, so the person can turn the model and switch the maps while reading.
"""

from __future__ import annotations

import logging
from pathlib import Path

from image2model_desktop.gui.background import spawn
from image2model_desktop.gui.qt import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import PRIMARY_BUTTON, repolish
from image2model_desktop.mesh.options import ExportOptions
from image2model_desktop.mesh.printing.profiles import (
    MATERIALS,
    MIN_WALL_MM,
    PrinterKind,
    PrintSettings,
)
from image2model_desktop.mesh.printing.report import Fix, PrintReport, Severity, Verdict
from image2model_desktop.mesh.units import Length

log = logging.getLogger(__name__)

PRINTERS = (
    (PrinterKind.FDM, f"FDM, 0.4 mm nozzle (walls from {MIN_WALL_MM[PrinterKind.FDM]:g} mm)"),
    (PrinterKind.RESIN, f"Resin (walls from {MIN_WALL_MM[PrinterKind.RESIN]:g} mm)"),
)
VERDICTS = {
    Verdict.GREEN: "Printable as it is.",
    Verdict.AMBER: "Printable, but look at the warnings below.",
    Verdict.RED: "Not printable as it is: fix what is marked ✕.",
}
MARKS = {Severity.PROBLEM: "✕", Severity.WARNING: "⚠", Severity.OK: "✓"}


class PrintCheckDialog(QDialog):
    """Ask for height, printer and material; check; show the findings and their fixes."""

    #: A finished check's report (the page hands its maps to the preview).
    checked = Signal(object)
    #: (ExportOptions, what the fix did in a word): write a fixed copy as a print file.
    fixRequested = Signal(object, str)

    def __init__(
        self,
        model: Path,
        name: str,
        *,
        height: str = "",
        real_size: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("printCheckDialog")
        self.setWindowTitle(f"Print check of {name}")
        self.model = model
        self._real_size = real_size
        self._seq = 0
        self.report: PrintReport | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.height_edit = QLineEdit(height)
        self.height_edit.setAccessibleName("Printed height")
        self.height_edit.setPlaceholderText(
            "keep the model's size, or e.g. 80mm" if real_size else "required, e.g. 80mm"
        )
        form.addRow("&Height", self.height_edit)
        self.printer_box = QComboBox()
        self.printer_box.setAccessibleName("Printer")
        for kind, label in PRINTERS:
            self.printer_box.addItem(label, kind)
        form.addRow("&Printer", self.printer_box)
        self.material_box = QComboBox()
        self.material_box.setAccessibleName("Material")
        form.addRow("&Material", self.material_box)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("printCheckButton")
        self.check_button.setStyleSheet(PRIMARY_BUTTON)
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(self.start_check)
        row.addWidget(self.check_button)
        self.progress = QProgressBar()
        self.progress.setObjectName("printCheckProgress")
        self.progress.setAccessibleName("Print check progress")
        self.progress.setRange(0, 100)
        self.progress.setFormat("%p %")
        self.progress.hide()
        row.addWidget(self.progress, 1)
        layout.addLayout(row)
        self.verdict = QLabel()
        self.verdict.setObjectName("printVerdict")
        self.verdict.setAccessibleName("Verdict")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        self._findings = QWidget()
        self._findings_layout = QVBoxLayout(self._findings)
        self._findings_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._findings)
        scroll.setMinimumHeight(160)
        layout.addWidget(scroll, 1)
        self.hint = QLabel(
            "The preview colours the walls by thickness (K) and the surfaces needing support "
            "(O); both are in its toolbar."
        )
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        closing = QHBoxLayout()
        closing.addStretch(1)
        closing.addWidget(close)
        layout.addLayout(closing)
        #: The fix buttons of the shown findings, by finding code.
        self.fix_buttons: dict[str, QPushButton] = {}
        self.printer_box.currentIndexChanged.connect(self._fill_materials)
        self._fill_materials()
        self.resize(560, 520)

    # -- the question -----------------------------------------------------------------------

    def _fill_materials(self) -> None:
        kind = self.printer_box.currentData()
        self.material_box.clear()
        for key, material in MATERIALS.items():
            if material.kind is kind:
                self.material_box.addItem(f"{material.name} ({material.density:g} g/cm³)", key)

    def settings(self) -> PrintSettings:
        """The question as typed; ``ValueError`` with a sentence."""
        text = self.height_edit.text().strip()
        if not text and not self._real_size:
            raise ValueError(
                "Type the printed height (e.g. 80mm): this model's real size is not known."
            )
        height = Length.parse(text).metres * 1000 if text else None
        return PrintSettings(
            height_mm=height,
            printer=self.printer_box.currentData(),
            material=self.material_box.currentData(),
        )

    @property
    def print_height(self) -> Length | None:
        text = self.height_edit.text().strip()
        return Length.parse(text) if text else None

    # -- checking ---------------------------------------------------------------------------

    def start_check(self) -> None:
        try:
            settings = self.settings()
        except ValueError as error:
            self._say(str(error), "error")
            return
        spawn(self.check(settings))

    async def check(self, settings: PrintSettings) -> PrintReport | None:
        """Check in the process pool with progress; None when a newer check started."""
        from image2model_desktop.mesh.printing.check import check_print_in_pool

        self._seq += 1
        seq = self._seq
        self._clear_findings()
        self._say("Checking…", "info")
        self.progress.setValue(0)
        self.progress.show()
        self.check_button.setEnabled(False)

        def progress(fraction: float, what: str) -> None:
            if seq == self._seq:
                self.progress.setValue(round(fraction * 100))
                self.progress.setFormat(f"{what}… %p %")

        try:
            report = await check_print_in_pool(self.model, settings, progress)
        except Exception as error:
            if seq == self._seq:
                self.progress.hide()
                self.check_button.setEnabled(True)
                log.warning("Print check of %s failed", self.model, exc_info=error)
                reason = (
                    str(error) if isinstance(error, ValueError) else "the file could not be read"
                )
                self._say(f"The check could not finish: {reason}.", "error")
            return None
        if seq != self._seq:
            return None
        self.progress.hide()
        self.check_button.setEnabled(True)
        self.show_report(report)
        self.checked.emit(report)
        return report

    def show_report(self, report: PrintReport) -> None:
        self.report = report
        kind = {Verdict.GREEN: "success", Verdict.AMBER: "warning", Verdict.RED: "error"}
        self._say(
            f"{report.verdict.value.capitalize()}: {VERDICTS[report.verdict]}", kind[report.verdict]
        )
        self._clear_findings()
        order = {Severity.PROBLEM: 0, Severity.WARNING: 1, Severity.OK: 2}
        for finding in sorted(report.findings, key=lambda f: order[f.severity]):
            row = QHBoxLayout()
            sentence = QLabel(f"{MARKS[finding.severity]}  {finding.sentence}")
            sentence.setObjectName("finding")
            sentence.setProperty("severity", finding.severity.value)
            sentence.setWordWrap(True)
            row.addWidget(sentence, 1)
            button = self._fix_button(finding.fix, finding.suggested_height_mm)
            if button is not None:
                row.addWidget(button)
                self.fix_buttons[finding.code] = button
            holder = QWidget()
            holder.setLayout(row)
            row.setContentsMargins(0, 2, 0, 2)
            self._findings_layout.addWidget(holder)
        self._findings_layout.addStretch(1)

    def _fix_button(self, fix: Fix | None, height_mm: float | None) -> QPushButton | None:
        height = self.print_height
        if fix is Fix.REPAIR:
            button = QPushButton("Repair and save…")
            options = ExportOptions(height=height, fill_holes=True)
            word = "repaired"
        elif fix is Fix.RESIZE and height_mm is not None:
            button = QPushButton(f"Save at {height_mm:.0f} mm…")
            options = ExportOptions(height=Length(round(height_mm, 1), "mm"))
            word = f"{height_mm:.0f}mm"
        elif fix is Fix.ORIENT:
            button = QPushButton("Turn and save…")
            options = ExportOptions(height=height, orient=True)
            word = "turned"
        else:
            return None
        button.setAccessibleName(button.text().rstrip("…"))
        button.clicked.connect(lambda: self.fixRequested.emit(options, word))
        return button

    def _clear_findings(self) -> None:
        self.fix_buttons = {}
        while self._findings_layout.count():
            entry = self._findings_layout.takeAt(0)
            widget = entry.widget() if entry is not None else None
            if widget is not None:
                widget.deleteLater()

    def _say(self, text: str, kind: str) -> None:
        self.verdict.setText(text)
        self.verdict.setProperty("kind", kind)
        repolish(self.verdict)

    def closeEvent(self, event: object) -> None:
        self._seq += 1  # a check still running is not shown any more
        super().closeEvent(event)  # type: ignore[arg-type]
