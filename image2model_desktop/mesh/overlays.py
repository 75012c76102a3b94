"""What the preview draws over a model: its dimensions, a measurement, a section plane.

VTK only (no Qt), built on the Qt thread where the renderer lives; each function
returns the actors it added so the caller can take them away again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from image2model_desktop.mesh.stage import ViewModel
from image2model_desktop.mesh.units import METRES_PER_UNIT, format_length

#: Markers of the measuring tool, as a share of the model's diagonal.
MARKER_SIZE = 0.012


def dimension_actors(renderer: Any, model: ViewModel, unit: str | None) -> list[Any]:
    """An outline of the bounding box and three rulers labelled in ``unit``.

    ``unit`` None: the model's real size is not known, so each side is labelled as a
    share of the height ("W 92 %") instead of a made-up length.
    """
    import pyvista as pv

    low, high = model.bounds
    box = pv.Box(bounds=(low[0], high[0], low[1], high[1], low[2], high[2])).outline()
    outline = pv.Actor(mapper=pv.DataSetMapper(box))
    outline.prop.color = (0.22, 0.45, 0.85)
    outline.prop.line_width = 1.5
    outline.prop.lighting = False
    renderer.AddActor(outline)
    scale = 1.0 if unit is None else 1.0 / METRES_PER_UNIT[unit]
    height = float(high[1] - low[1]) or 1.0
    camera = renderer.GetActiveCamera()
    # pyvista's add_ruler resets the camera to include the ruler: keep the user's view.
    kept = (camera.GetPosition(), camera.GetFocalPoint(), camera.GetViewUp())
    kept_range = camera.GetClippingRange()
    rulers = []
    for title, a, b in (
        ("W", (low[0], low[1], high[2]), (high[0], low[1], high[2])),
        ("H", (high[0], low[1], high[2]), (high[0], high[1], high[2])),
        ("D", (high[0], low[1], low[2]), (high[0], low[1], high[2])),
    ):
        length = float(np.linalg.norm(np.subtract(b, a)))
        ruler = renderer.add_ruler(
            a,
            b,
            title=f"{title} {_size_label(length, unit, height)}",
            number_labels=2,
            show_labels=False,
            font_size_factor=0.7,
            scale=scale,
            label_color=(0.1, 0.15, 0.3),
            tick_color=(0.22, 0.45, 0.85),
        )
        rulers.append(ruler)
    camera.SetPosition(*kept[0])
    camera.SetFocalPoint(*kept[1])
    camera.SetViewUp(*kept[2])
    camera.SetClippingRange(*kept_range)
    return [outline, *rulers]


def _size_label(length: float, unit: str | None, height: float) -> str:
    return (
        f"{length / height:.0%}".replace("%", " %") if unit is None else format_length(length, unit)
    )


def measure_actors(renderer: Any, model: ViewModel, points: list[NDArray[np.float64]]) -> list[Any]:
    import pyvista as pv

    diagonal = float(np.linalg.norm(model.size)) or 1.0
    actors = []
    for point in points:
        marker = pv.Actor(
            mapper=pv.DataSetMapper(pv.Sphere(radius=diagonal * MARKER_SIZE, center=point))
        )
        marker.prop.color = (0.95, 0.35, 0.15)
        marker.prop.lighting = False
        renderer.AddActor(marker)
        actors.append(marker)
    if len(points) == 2:
        line = pv.Actor(mapper=pv.DataSetMapper(pv.Line(points[0], points[1])))
        line.prop.color = (0.95, 0.35, 0.15)
        line.prop.line_width = 3
        line.prop.lighting = False
        renderer.AddActor(line)
        actors.append(line)
    return actors


def section_plane(model: ViewModel, axis: int, share: float) -> Any:
    """A clipping plane across ``axis`` (0 x, 1 y, 2 z) at ``share`` of the model's size.

    It keeps what lies below the cut, so the user looks into the model from above.
    """
    from vtkmodules.vtkCommonDataModel import vtkPlane

    low, high = model.bounds
    origin = (low + high) / 2
    origin[axis] = low[axis] + (high[axis] - low[axis]) * share
    normal = np.zeros(3)
    normal[axis] = -1.0
    plane = vtkPlane()
    plane.SetOrigin(*origin)
    plane.SetNormal(*normal)
    return plane


def pick_point(renderer: Any, actors: list[Any], x: float, y: float) -> NDArray[np.float64] | None:
    """The surface point of ``actors`` at display pixel (x, y) (origin bottom-left), or None."""
    from vtkmodules.vtkRenderingCore import vtkCellPicker

    picker = vtkCellPicker()
    picker.SetTolerance(0.0005)
    for actor in actors:
        picker.AddPickList(actor)
    picker.PickFromListOn()
    if not picker.Pick(x, y, 0.0, renderer) or picker.GetCellId() < 0:
        return None
    return np.array(picker.GetPickPosition(), dtype=np.float64)
