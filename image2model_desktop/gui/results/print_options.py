"""The export dialog's print section: hollow, drain, orient, fill holes, colours and their palette.

Shown for STL and 3MF. Colours (a colour 3MF) need 3MF. The palette is learnt
from the texture in the process pool (``colour3mf.preview_colours``, asked by
the results page when the person ticks "Show in the preview"); each swatch can
then be edited, and the export uses exactly the colours shown, so what was
seen in the preview is what prints.
"""

from __future__ import annotations

from image2model_desktop.gui.qt import (
    QCheckBox,
    QColor,
    QColorDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
    Signal,
)
from image2model_desktop.mesh.formats import ExportFormat
from image2model_desktop.mesh.options import MAX_COLORS
from image2model_desktop.mesh.units import Length

Rgb = tuple[int, int, int]


class PrintOptionsBox(QGroupBox):
    """What a print file gets on its way out; ``changed`` on every edit."""

    changed = Signal()
    #: (count, palette or None): show the quantised look in the 3D preview.
    coloursPreviewRequested = Signal(int, object)
    #: The preview should show the model's own look again.
    coloursPreviewCleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("For printing (STL, 3MF)", parent)
        self.setObjectName("printOptions")
        form = QFormLayout(self)
        self.fill_holes = QCheckBox("Fill holes so it prints as a solid")
        self.fill_holes.setAccessibleName("Fill holes")
        form.addRow("", self.fill_holes)
        self.hollow_edit = QLineEdit()
        self.hollow_edit.setAccessibleName("Hollow wall thickness")
        self.hollow_edit.setPlaceholderText("solid, or a wall e.g. 2mm")
        form.addRow("H&ollow", self.hollow_edit)
        self.drain_edit = QLineEdit()
        self.drain_edit.setAccessibleName("Drain hole diameter")
        self.drain_edit.setPlaceholderText("none, or e.g. 4mm (resin)")
        form.addRow("&Drain hole", self.drain_edit)
        self.orient = QCheckBox("Turn it to need the least support")
        self.orient.setAccessibleName("Orient for least support")
        form.addRow("", self.orient)
        self.colours_box = QSpinBox()
        self.colours_box.setAccessibleName("Colours")
        self.colours_box.setRange(0, MAX_COLORS)
        self.colours_box.setSpecialValueText("One filament")
        self.colours_box.setSuffix(" colours")
        self.colours_box.setToolTip(
            "A colour 3MF: the texture in 1–8 colours, one per triangle, for multi-filament "
            "printers (Bambu Studio, OrcaSlicer, PrusaSlicer)"
        )
        form.addRow("&Colours", self.colours_box)
        swatches = QWidget()
        self._swatch_row = QHBoxLayout(swatches)
        self._swatch_row.setContentsMargins(0, 0, 0, 0)
        self.show_colours = QCheckBox("Show in the preview")
        self.show_colours.setAccessibleName("Show the colours in the preview")
        self._swatch_row.addWidget(self.show_colours)
        self._swatch_row.addStretch(1)
        form.addRow("", swatches)
        self.swatches: list[QPushButton] = []
        #: The colours shown (learnt, then perhaps edited); None until learnt.
        self._palette: list[Rgb] | None = None
        self._edited = False
        self._format = ExportFormat.STL
        for edit in (self.hollow_edit, self.drain_edit):
            edit.textChanged.connect(self.changed)
        for box in (self.fill_holes, self.orient):
            box.toggled.connect(self.changed)
        self.colours_box.valueChanged.connect(self._on_count)
        self.show_colours.toggled.connect(self._on_show)
        self._sync()

    # -- what the dialog asks ---------------------------------------------------------------

    def set_format(self, fmt: ExportFormat) -> None:
        self._format = fmt
        self.setVisible(fmt.for_printing)
        self._sync()

    @property
    def colour_count(self) -> int:
        return self.colours_box.value() if self._format is ExportFormat.THREEMF else 0

    def fields(self) -> dict[str, object]:
        """The ``ExportOptions`` fields of this section; ``ValueError`` with a sentence."""
        if not self._format.for_printing:
            return {}
        hollow = _length(self.hollow_edit.text(), "wall")
        drain = _length(self.drain_edit.text(), "drain")
        if drain is not None and hollow is None:
            raise ValueError("A drain hole is for a hollow model: type a wall thickness too.")
        count = self.colour_count
        palette = tuple(self._palette) if count and self._palette is not None else None
        return {
            "fill_holes": self.fill_holes.isChecked(),
            "hollow": hollow,
            "drain": drain,
            "orient": self.orient.isChecked(),
            "colors": count or None,
            "palette": palette,
        }

    def set_palette(self, colours: list[Rgb]) -> None:
        """The colours learnt from the texture (kept when the person edited them)."""
        if self._edited and self._palette is not None and len(self._palette) == len(colours):
            return
        self._palette = list(colours)
        self._edited = False
        self._show_swatches()
        self.changed.emit()

    @property
    def filament_colours(self) -> list[Rgb] | None:
        return None if self._palette is None else list(self._palette)

    # -- colours ----------------------------------------------------------------------------

    def _on_count(self) -> None:
        self._palette = None
        self._edited = False
        self._show_swatches()
        self._sync()
        self.changed.emit()
        self._request_preview()

    def _on_show(self, on: bool) -> None:
        if on:
            self._request_preview()
        else:
            self.coloursPreviewCleared.emit()

    def _request_preview(self) -> None:
        count = self.colour_count
        if not self.show_colours.isChecked():
            return
        if count:
            palette = tuple(self._palette) if self._edited and self._palette else None
            self.coloursPreviewRequested.emit(count, palette)
        else:
            self.coloursPreviewCleared.emit()

    def _show_swatches(self) -> None:
        for swatch in self.swatches:
            self._swatch_row.removeWidget(swatch)
            swatch.deleteLater()
        self.swatches = []
        for index, (r, g, b) in enumerate(self._palette or []):
            swatch = QPushButton()
            swatch.setObjectName("colourSwatch")
            swatch.setFixedSize(26, 22)
            hexa = f"#{r:02X}{g:02X}{b:02X}"
            swatch.setAccessibleName(f"Colour {index + 1}: {hexa}")
            swatch.setToolTip(f"Filament {index + 1}: {hexa} (click to change)")
            swatch.setStyleSheet(f"background: {hexa}; border: 1px solid #888;")
            swatch.clicked.connect(lambda _=False, i=index: self.edit_colour(i))
            self._swatch_row.insertWidget(1 + index, swatch)
            self.swatches.append(swatch)

    def edit_colour(self, index: int) -> None:
        """Ask for filament ``index``'s colour (tests call ``set_colour``)."""
        if self._palette is None:
            return
        chosen = QColorDialog.getColor(QColor(*self._palette[index]), self, "Filament colour")
        if chosen.isValid():
            self.set_colour(index, (chosen.red(), chosen.green(), chosen.blue()))

    def set_colour(self, index: int, colour: Rgb) -> None:
        """Change one filament's colour; the preview follows."""
        if self._palette is None:
            return
        self._palette[index] = colour
        self._edited = True
        self._show_swatches()
        self.changed.emit()
        self._request_preview()

    def _sync(self) -> None:
        three_mf = self._format is ExportFormat.THREEMF
        self.colours_box.setEnabled(three_mf)
        self.show_colours.setEnabled(three_mf and self.colours_box.value() > 0)


def _length(text: str, what: str) -> Length | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Length.parse(text)
    except ValueError as error:
        raise ValueError(f"The {what}: {error}") from None
