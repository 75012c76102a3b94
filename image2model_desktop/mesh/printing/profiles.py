"""What a model is checked against: the printer kind, the material, the build volume.

Plain frozen data (it pickles into the process pool and comes from CLI flags,
API query parameters or the export dialog).

The minimum walls are the common design-guide figures: an FDM wall needs two
perimeters of a 0.4 mm nozzle (0.8 mm; one line is fragile and slicers drop
thinner walls); an unsupported resin wall 0.4 mm (Formlabs' design guide
gives 0.4 mm unsupported, 0.2 mm supported). Densities are typical datasheet
values (PLA 1.24, PETG 1.27, standard resin 1.15 g/cm³ cured).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from image2model_desktop.core.errors import PrintSettingsError


class PrinterKind(enum.Enum):
    """How the printer builds a part; decides the minimum wall and the material kind."""

    #: Filament through a 0.4 mm nozzle.
    FDM = "fdm"
    #: Resin cured layer by layer (SLA, MSLA, DLP).
    RESIN = "resin"


@dataclass(frozen=True)
class Material:
    """A print material: its density, and for filament its diameter."""

    name: str
    #: g/cm³.
    density: float
    kind: PrinterKind
    #: Filament diameter in mm (None for resin).
    filament_mm: float | None = 1.75


MATERIALS: dict[str, Material] = {
    "pla": Material("PLA", 1.24, PrinterKind.FDM),
    "petg": Material("PETG", 1.27, PrinterKind.FDM),
    "resin": Material("Standard resin", 1.15, PrinterKind.RESIN, filament_mm=None),
}

#: Thinnest wall that prints reliably, mm.
MIN_WALL_MM: dict[PrinterKind, float] = {PrinterKind.FDM: 0.8, PrinterKind.RESIN: 0.4}
#: A common bed of each kind (a 220 × 220 × 250 mm FDM printer; a 6-inch MSLA resin printer).
DEFAULT_BUILD_VOLUME_MM: dict[PrinterKind, tuple[float, float, float]] = {
    PrinterKind.FDM: (220.0, 220.0, 250.0),
    PrinterKind.RESIN: (130.0, 80.0, 160.0),
}
#: The material each kind of printer uses when none is named.
DEFAULT_MATERIAL: dict[PrinterKind, str] = {PrinterKind.FDM: "pla", PrinterKind.RESIN: "resin"}
#: Surfaces leaning more than this past vertical need support (the slicers' usual default).
DEFAULT_OVERHANG_DEG = 45.0


@dataclass(frozen=True)
class PrintSettings:
    """A print check's question: this model, this tall, on this printer, in this material."""

    #: Height on the bed (along Z) in mm; None keeps the file's own size.
    height_mm: float | None = None
    printer: PrinterKind = PrinterKind.FDM
    #: A key of ``MATERIALS``; None picks the printer's usual one.
    material: str | None = None
    #: Width, depth, height of the build volume in mm; None uses the printer's default.
    build_volume_mm: tuple[float, float, float] | None = None
    overhang_deg: float = DEFAULT_OVERHANG_DEG
    #: Walls thinner than this are called out; None uses the printer's minimum.
    min_wall_mm: float | None = None
    #: Measure walls (the slow part); off for a quick topology-only check.
    measure_thickness: bool = True

    def __post_init__(self) -> None:
        if self.height_mm is not None and not (
            math.isfinite(self.height_mm) and self.height_mm > 0
        ):
            raise PrintSettingsError(f"The print height must be above zero, got {self.height_mm}.")
        if self.material is not None:
            material = MATERIALS.get(self.material.lower())
            if material is None:
                raise PrintSettingsError(
                    f"Unknown material {self.material!r}: use one of {', '.join(MATERIALS)}."
                )
            if material.kind is not self.printer:
                raise PrintSettingsError(
                    f"{material.name} is not printed on a {self.printer.value} printer: "
                    f"pick {_materials_for(self.printer)}."
                )
        if not 0 < self.overhang_deg < 90:
            raise PrintSettingsError(
                f"The overhang angle must be between 0 and 90 degrees, got {self.overhang_deg:g}."
            )
        if self.build_volume_mm is not None and not all(
            math.isfinite(v) and v > 0 for v in self.build_volume_mm
        ):
            raise PrintSettingsError("Every side of the build volume must be above zero.")
        if self.min_wall_mm is not None and not self.min_wall_mm > 0:
            raise PrintSettingsError("The minimum wall must be above zero.")

    @property
    def material_info(self) -> Material:
        return MATERIALS[(self.material or DEFAULT_MATERIAL[self.printer]).lower()]

    @property
    def build_volume(self) -> tuple[float, float, float]:
        return self.build_volume_mm or DEFAULT_BUILD_VOLUME_MM[self.printer]

    @property
    def min_wall(self) -> float:
        return self.min_wall_mm if self.min_wall_mm is not None else MIN_WALL_MM[self.printer]


def _materials_for(kind: PrinterKind) -> str:
    return " or ".join(key for key, m in MATERIALS.items() if m.kind is kind)
