"""The three-quarter view shared by the preview and the offline renders, and the
preview's turntable camera: orbit around +Y, pan, dolly, fitted to a bounding box.

Qt-free numpy, so the framing can be tested without a display. Models are Y up
and face +Z; the start (and reset) view looks at the front from 35° to the
right and 18° above, which is also how ``mesh/render.py`` draws the grid pictures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

AZIMUTH, ELEVATION, ZOOM = 35.0, 18.0, 1.1
FOV_Y = 30.0
#: Elevation stops short of the poles, where a turntable's "up" flips.
MAX_ELEVATION = 89.0
DOLLY_RANGE = (0.05, 20.0)

Matrix = NDArray[np.float32]
Vector = NDArray[np.float64]


def view_axes(azimuth: float, elevation: float) -> tuple[Vector, Vector, Vector]:
    """Camera right, up and backward (target → eye) unit vectors for a turntable view.

    ``azimuth`` turns to the viewer's right around +Y from the front (+Z),
    ``elevation`` looks down from above; both in degrees.
    """
    az, el = math.radians(azimuth), math.radians(elevation)
    back = np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])
    right = np.array([math.cos(az), 0.0, -math.sin(az)])
    up = np.cross(back, right)
    return right, up, back


@dataclass
class Camera:
    """Where the viewer looks from; ``dolly`` is the distance relative to the fitted one."""

    center: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    radius: float = 1.0
    azimuth: float = AZIMUTH
    elevation: float = ELEVATION
    dolly: float = 1.0
    pan: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))

    def fit(self, bounds: NDArray[np.float64]) -> None:
        """Frame the (2, 3) min/max box and return to the three-quarter view."""
        low, high = np.asarray(bounds, np.float64)
        self.center = (low + high) / 2
        self.radius = max(float(np.linalg.norm(high - low)) / 2, 1e-6)
        self.reset()

    def reset(self) -> None:
        self.azimuth, self.elevation, self.dolly = AZIMUTH, ELEVATION, 1.0
        self.pan = np.zeros(3)

    # -- interaction ------------------------------------------------------------------

    def orbit(self, dx_pixels: float, dy_pixels: float) -> None:
        """Turn the model with the mouse: sideways around +Y, up/down within the poles."""
        self.azimuth = (self.azimuth - dx_pixels * 0.4) % 360.0
        self.elevation = float(
            np.clip(self.elevation + dy_pixels * 0.4, -MAX_ELEVATION, MAX_ELEVATION)
        )

    def move(self, dx_pixels: float, dy_pixels: float, height_pixels: int) -> None:
        """Pan so the point under the mouse follows it."""
        per_pixel = 2 * self.distance(1.0) * math.tan(math.radians(FOV_Y) / 2)
        per_pixel /= max(height_pixels, 1)
        right, up, _ = self._axes()
        self.pan = self.pan - right * dx_pixels * per_pixel + up * dy_pixels * per_pixel

    def zoom(self, steps: float) -> None:
        """Dolly in (positive steps, one per wheel notch) or out."""
        self.dolly = float(np.clip(self.dolly * 0.85**steps, *DOLLY_RANGE))

    # -- matrices ---------------------------------------------------------------------

    def distance(self, aspect: float) -> float:
        """Eye-to-target distance that fits the bounding sphere in both directions."""
        half_y = math.radians(FOV_Y) / 2
        half_x = math.atan(math.tan(half_y) * aspect)
        fitted = self.radius / math.sin(min(half_x, half_y))
        return fitted / ZOOM * self.dolly

    def eye(self, aspect: float) -> NDArray[np.float64]:
        _, _, back = self._axes()
        return self.target() + back * self.distance(aspect)

    def target(self) -> NDArray[np.float64]:
        return np.asarray(self.center + self.pan, np.float64)

    def view_matrix(self, aspect: float) -> Matrix:
        right, up, back = self._axes()
        eye = self.eye(aspect)
        view = np.eye(4)
        view[0, :3], view[1, :3], view[2, :3] = right, up, back
        view[:3, 3] = -view[:3, :3] @ eye
        return view.astype(np.float32)

    def projection_matrix(self, aspect: float) -> Matrix:
        distance = self.distance(aspect)
        reach = self.radius * 1.5 + float(np.linalg.norm(self.pan))
        near = max(distance - reach, distance * 0.01, 1e-6)
        far = distance + reach
        f = 1 / math.tan(math.radians(FOV_Y) / 2)
        projection = np.zeros((4, 4))
        projection[0, 0] = f / aspect
        projection[1, 1] = f
        projection[2, 2] = (far + near) / (near - far)
        projection[2, 3] = 2 * far * near / (near - far)
        projection[3, 2] = -1
        return projection.astype(np.float32)

    def _axes(self) -> tuple[Vector, Vector, Vector]:
        return view_axes(self.azimuth, self.elevation)
