"""Lengths with units: ``120mm``, ``12cm``, ``0.12m``, ``4.7in``.

Models are stored as glTF, whose unit is the metre; a length here converts to
metres for the math and back to the unit a file format or a person expects.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from image2model_desktop.core.errors import LengthError

#: Metres per unit, in the order a unit menu shows them.
METRES_PER_UNIT: dict[str, float] = {"mm": 0.001, "cm": 0.01, "m": 1.0, "in": 0.0254}

_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*")


@dataclass(frozen=True)
class Length:
    """A positive length in a unit people type (mm, cm, m, in)."""

    value: float
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in METRES_PER_UNIT:
            raise LengthError(f"Unknown unit {self.unit!r}: use {_unit_list()}.")
        if not (math.isfinite(self.value) and self.value > 0):
            raise LengthError(f"A length must be above zero, got {self.value:g} {self.unit}.")

    @property
    def metres(self) -> float:
        return self.value * METRES_PER_UNIT[self.unit]

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"

    @classmethod
    def parse(cls, text: str) -> Length:
        """Read ``120mm``, ``12 cm``, ``0.12m`` or ``4.7in``; a bare number is refused."""
        match = _LENGTH.fullmatch(text)
        if match is None:
            raise LengthError(f"{text!r} is not a length: write a number and a unit, e.g. 120mm.")
        number, unit = match.groups()
        if not unit:
            raise LengthError(f"{text!r} has no unit: add one of {_unit_list()}, e.g. {number}mm.")
        return cls(float(number), unit.lower())


def convert(metres: float, unit: str) -> float:
    """Express ``metres`` in ``unit``."""
    if unit not in METRES_PER_UNIT:
        raise LengthError(f"Unknown unit {unit!r}: use {_unit_list()}.")
    return metres / METRES_PER_UNIT[unit]


def format_length(metres: float, unit: str) -> str:
    """``0.1234`` m in ``cm`` → ``"12.3 cm"``: three significant digits, at most three decimals."""
    value = convert(metres, unit)
    if value == 0:
        return f"0 {unit}"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{min(decimals, 3)}f} {unit}"


def _unit_list() -> str:
    return ", ".join(METRES_PER_UNIT)
