"""What an export should do to a model: face budget, size, pivot, up axis.

Plain frozen data, so the window can build it from its dialog and hand it to a
pool worker (it pickles), and the command line can build it from its flags.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from image2model_desktop.core.errors import ExportOptionsError
from image2model_desktop.mesh.units import Length

#: Fewer faces than this cannot describe a solid.
MIN_FACES = 4
#: Most colours a colour 3MF gets (multi-filament printers hold 4–8 spools, most often 4).
MAX_COLORS = 8


class Pivot(enum.Enum):
    """Where the model's origin ends up."""

    #: The base sits at zero on the up axis, centred on the other two (printing, games).
    BOTTOM = "bottom"
    #: The bounding box's centre sits at the origin.
    CENTER = "center"
    #: Coordinates keep their place (only scaled and turned).
    KEEP = "keep"


class Up(enum.Enum):
    """The axis that points up in the written file."""

    Y = "y"
    Z = "z"


@dataclass(frozen=True)
class ExportOptions:
    """How to shape a model on its way out; the defaults change nothing but units and axes."""

    #: Face budget: decimate to at most this many faces (texture kept); None keeps all.
    faces: int | None = None
    #: Scale uniformly so the model is this tall along its up axis. Excludes ``scale``.
    height: Length | None = None
    #: Multiply every coordinate (1.0 keeps the model's size). Excludes ``height``.
    scale: float | None = None
    pivot: Pivot = Pivot.KEEP
    #: None follows the format's convention (Z for STL/3MF, else Y).
    up: Up | None = None
    #: Close the holes of a model that is not watertight (STL/3MF are meant for printing).
    fill_holes: bool = False
    #: Hollow the model (STL/3MF), leaving walls this thick.
    hollow: Length | None = None
    #: Drill a drain hole of this diameter at the hollow's lowest point (needs ``hollow``).
    drain: Length | None = None
    #: Colour 3MF: the texture quantised to this many colours (1–8), one per triangle.
    colors: int | None = None
    #: Edited colours (RGB 0–255) for ``colors``; None keeps the quantised ones.
    palette: tuple[tuple[int, int, int], ...] | None = None
    #: Turn the model to need the least support (STL/3MF).
    orient: bool = False

    def __post_init__(self) -> None:
        if self.faces is not None and self.faces < MIN_FACES:
            raise ExportOptionsError(f"A face budget must be at least {MIN_FACES}.")
        if self.height is not None and self.scale is not None:
            raise ExportOptionsError("Give a height or a scale factor, not both.")
        if self.scale is not None and not (math.isfinite(self.scale) and self.scale > 0):
            raise ExportOptionsError(f"A scale factor must be above zero, got {self.scale:g}.")
        if self.drain is not None and self.hollow is None:
            raise ExportOptionsError("A drain hole needs a hollow model: add --hollow 2mm.")
        if self.colors is not None and not 1 <= self.colors <= MAX_COLORS:
            raise ExportOptionsError(f"Choose between 1 and {MAX_COLORS} colours.")
        if self.palette is not None and len(self.palette) != (self.colors or len(self.palette)):
            raise ExportOptionsError("Give one colour for each of the colours asked for.")

    @property
    def for_print_only(self) -> bool:
        """Whether an option asks for something only printing formats do."""
        return self.hollow is not None or self.orient or self.colors is not None
