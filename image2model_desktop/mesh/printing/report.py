"""A print check's answer: one sentence per finding, a verdict, and maps for the 3D preview.

Severity decides the verdict: any ``PROBLEM`` makes it red (not printable as
it is), else any ``WARNING`` amber, else green. The rules, and why:

* too big for the build volume, open holes (a slicer cannot tell inside from
  outside), walls under half the printer's minimum (narrower than one line:
  the slicer drops them) → problem. A wall counts when it spans at least a
  nozzle's footprint (π·minimum²): knife edges smaller than that print as
  nothing either way;
* non-manifold edges, several shells, faces turned inside out (slicers mostly
  cope, but the result can surprise), walls under the minimum → warning;
* overhangs are information: support is ordinary, the share says how much.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from image2model_desktop.mesh.printing.profiles import PrintSettings
from image2model_desktop.mesh.printing.topology import Topology


class Severity(enum.Enum):
    """How much a finding matters for printing."""

    #: Information; prints as it is.
    OK = "ok"
    #: Prints, but may fail or surprise there.
    WARNING = "warning"
    #: Will not print as it is.
    PROBLEM = "problem"


class Verdict(enum.Enum):
    """The traffic light over all findings."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class Fix(enum.Enum):
    """A one-click fix a front end can offer next to a finding."""

    #: ``repair.make_printable``: close holes, join shells, turn faces outwards.
    REPAIR = "repair"
    #: Export at ``Finding.suggested_height_mm`` (bigger for thin walls, smaller to fit).
    RESIZE = "resize"
    #: ``orient.suggest_orientation``: turn the model to need less support.
    ORIENT = "orient"


@dataclass(frozen=True)
class Finding:
    """One thing the check found, said in one sentence."""

    #: Stable name for scripts: holes, non_manifold, shells, inverted, thin_walls, overhangs,
    #: build_volume, material.
    code: str
    severity: Severity
    sentence: str
    #: The number behind the sentence (holes, edges, mm, share …), when there is one.
    value: float | None = None
    fix: Fix | None = None
    #: For ``Fix.RESIZE``: the height (mm) that fixes it.
    suggested_height_mm: float | None = None


@dataclass(frozen=True)
class Legend:
    """How to colour a per-face map: values from ``low`` to ``high``, bad beyond ``threshold``."""

    title: str
    unit: str
    low: float
    high: float
    threshold: float
    #: True when values under ``threshold`` are bad (thickness), False when above (overhang).
    bad_below: bool


@dataclass(frozen=True)
class FaceMap:
    """A scalar per face of the model file (in ``load_single_mesh`` order), ready to colour."""

    name: str
    #: One value per face of the file; NaN where nothing was measured.
    values: npt.NDArray[np.float32]
    legend: Legend

    def per_part(self, face_counts: Sequence[int]) -> list[npt.NDArray[np.float32]]:
        """Split the values over a ``Scene``'s parts (``[len(p.faces) for p in scene.parts]``)."""
        if sum(face_counts) != len(self.values):
            raise ValueError("the face counts do not add up to the map's faces")
        return np.split(self.values, np.cumsum(face_counts)[:-1])


@dataclass(frozen=True)
class PrintReport:
    """Everything a print check found."""

    settings: PrintSettings
    verdict: Verdict
    findings: tuple[Finding, ...]
    #: Width (X), depth (Y), height (Z) on the bed, mm.
    size_mm: tuple[float, float, float]
    faces: int
    topology: Topology
    #: Solid volume in mm³; None while the shape is open.
    volume_mm3: float | None
    weight_g: float | None
    #: Metres of filament (FDM), None for resin.
    filament_m: float | None
    #: Thinnest wall measured, mm (None when walls were not measured).
    thinnest_mm: float | None
    #: Share of the surface needing support (0..1).
    support_share: float
    thickness: FaceMap | None
    overhang: FaceMap
    #: Seconds per stage, for the bench and the log.
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The findings, one sentence a line, worst first."""
        order = {Severity.PROBLEM: 0, Severity.WARNING: 1, Severity.OK: 2}
        ranked = sorted(self.findings, key=lambda f: order[f.severity])
        return [f.sentence for f in ranked]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the per-face maps)."""
        settings = self.settings
        topology = self.topology
        return {
            "verdict": self.verdict.value,
            "printable": self.verdict is not Verdict.RED,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity.value,
                    "message": f.sentence,
                    "value": _json_number(f.value),
                    "fix": None if f.fix is None else f.fix.value,
                    "suggested_height_mm": _json_number(f.suggested_height_mm),
                }
                for f in self.findings
            ],
            "printer": settings.printer.value,
            "material": settings.material_info.name,
            "min_wall_mm": settings.min_wall,
            "overhang_deg": settings.overhang_deg,
            "build_volume_mm": list(settings.build_volume),
            "size_mm": [round(v, 3) for v in self.size_mm],
            "faces": self.faces,
            "watertight": topology.watertight,
            "holes": topology.holes,
            "non_manifold_edges": topology.non_manifold_edges,
            "shells": topology.shells,
            "inverted_shells": topology.inverted_shells,
            "volume_mm3": _json_number(self.volume_mm3),
            "weight_g": _json_number(self.weight_g),
            "filament_m": _json_number(self.filament_m),
            "thinnest_wall_mm": _json_number(self.thinnest_mm),
            "support_share": round(self.support_share, 4),
        }


def preview_maps(report: PrintReport) -> tuple[FaceMap, ...]:
    """What the 3D preview colours: the thickness map (when measured) and the overhang map.

    Each map has one value per face of the model file, NaN where unmeasured,
    and a legend: colour from ``legend.low`` to ``legend.high``, and mark the
    side of ``legend.threshold`` that ``legend.bad_below`` names as bad.
    ``FaceMap.per_part`` splits the values over the preview's scene parts.
    """
    return tuple(m for m in (report.thickness, report.overhang) if m is not None)


def verdict_of(findings: Sequence[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.PROBLEM in severities:
        return Verdict.RED
    return Verdict.AMBER if Severity.WARNING in severities else Verdict.GREEN


def location_words(point: Sequence[float], low: Sequence[float], high: Sequence[float]) -> str:
    """Where ``point`` is on a model standing in the box ``low``..``high``: "near the top left".

    Coarse on purpose: thirds of the height, and a side only when the point is
    well off centre (the front is −Y, as a model turned Z up for printing faces).
    """
    words = []
    span = [max(top - base, 1e-9) for base, top in zip(low, high, strict=True)]
    rel = [(p - base) / s for p, base, s in zip(point, low, span, strict=True)]
    words.append("bottom" if rel[2] < 1 / 3 else "top" if rel[2] > 2 / 3 else "middle")
    if rel[1] < 0.2:
        words.append("front")
    elif rel[1] > 0.8:
        words.append("back")
    if rel[0] < 0.2:
        words.append("left")
    elif rel[0] > 0.8:
        words.append("right")
    return "near the " + " ".join(words)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def _json_number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)
