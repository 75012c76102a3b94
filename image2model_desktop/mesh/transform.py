"""Place a model for export: turn its up axis, convert units, scale, move its pivot.

Everything is worked out from the bounding box alone (a quarter turn about X
maps an axis-aligned box onto one), so the export dialog can preview the size
without loading the model, and the export applies the very same matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from image2model_desktop.core.errors import ExportOptionsError
from image2model_desktop.mesh.formats import ExportFormat
from image2model_desktop.mesh.options import ExportOptions, Pivot, Up
from image2model_desktop.mesh.units import METRES_PER_UNIT

Vector = tuple[float, float, float]
Matrix = npt.NDArray[np.float64]

#: Y up → Z up: a quarter turn about +X, so the front (+Z in glTF) faces -Y as in CAD.
_Y_TO_Z = np.array(
    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
)


@dataclass(frozen=True)
class SourceFrame:
    """The unit and up axis a model file is in."""

    unit: str
    up: Up


#: glTF (our models) and the formats without a convention: metres, Y up.
GLTF_FRAME = SourceFrame("m", Up.Y)
#: What slicers assume for STL and 3MF, and what we write them in.
PRINT_FRAME = SourceFrame("mm", Up.Z)


def source_frame(path: Path) -> SourceFrame:
    """The frame a file to export from is in, by its extension."""
    return PRINT_FRAME if path.suffix.lower() in (".stl", ".3mf") else GLTF_FRAME


@dataclass(frozen=True)
class Placement:
    """A 4×4 matrix taking source coordinates to the written file's, and the result's box."""

    matrix: Matrix
    bounds_min: Vector
    bounds_max: Vector
    #: The written file's unit.
    unit: str
    up: Up

    @property
    def size(self) -> Vector:
        """Extent along X, Y and Z of the written file, in ``unit``."""
        low, high = self.bounds_min, self.bounds_max
        return (high[0] - low[0], high[1] - low[1], high[2] - low[2])

    @property
    def height(self) -> float:
        """Extent along the up axis, in ``unit``."""
        return self.size[_axis(self.up)]


def place(
    bounds_min: Vector,
    bounds_max: Vector,
    source: SourceFrame,
    fmt: ExportFormat,
    options: ExportOptions,
) -> Placement:
    """Work out where a model with these bounds lands when exported as ``fmt``."""
    up = options.up or Up(fmt.default_up)
    if fmt in (ExportFormat.GLB, ExportFormat.GLTF_ZIP) and up is not Up.Y:
        raise ExportOptionsError("glTF is Y up by definition: drop --up z or pick another format.")
    matrix = _turn(source.up, up)
    low, high = _transformed_box(matrix, bounds_min, bounds_max)
    factor = METRES_PER_UNIT[source.unit] / METRES_PER_UNIT[fmt.unit]
    if options.height is not None:
        current = (high - low)[_axis(up)] * factor
        if current <= 0:
            raise ExportOptionsError("The model is flat along its up axis: it has no height.")
        factor *= options.height.metres / METRES_PER_UNIT[fmt.unit] / current
    elif options.scale is not None:
        factor *= options.scale
    matrix = np.diag([factor, factor, factor, 1.0]) @ matrix
    low, high = low * factor, high * factor
    shift = _pivot_shift(low, high, _axis(up), options.pivot)
    matrix[:3, 3] += shift
    return Placement(
        matrix=matrix,
        bounds_min=_vector(low + shift),
        bounds_max=_vector(high + shift),
        unit=fmt.unit,
        up=up,
    )


def _turn(source: Up, target: Up) -> Matrix:
    if source is target:
        return np.eye(4)
    return _Y_TO_Z.copy() if target is Up.Z else _Y_TO_Z.T.copy()


def _transformed_box(matrix: Matrix, low: Vector, high: Vector) -> tuple[Matrix, Matrix]:
    corners = np.array(
        [
            [x, y, z, 1.0]
            for x in (low[0], high[0])
            for y in (low[1], high[1])
            for z in (low[2], high[2])
        ]
    )
    moved = corners @ matrix.T
    return moved[:, :3].min(axis=0), moved[:, :3].max(axis=0)


def _pivot_shift(low: Matrix, high: Matrix, up_axis: int, pivot: Pivot) -> Matrix:
    if pivot is Pivot.KEEP:
        return np.zeros(3)
    shift = -(low + high) / 2
    if pivot is Pivot.BOTTOM:
        shift[up_axis] = -low[up_axis]
    return shift


def _axis(up: Up) -> int:
    return 1 if up is Up.Y else 2


def _vector(values: Matrix) -> Vector:
    return (float(values[0]), float(values[1]), float(values[2]))
