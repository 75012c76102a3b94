"""Two models side by side in one render window, under one camera.

The preview's interactor keeps its own renderer on the left; a second renderer
on the right shares its camera object, so turning, panning or zooming either
side moves both (linked cameras without any syncing code). VTK only, no Qt:
used on the Qt thread where the render window lives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from image2model_desktop.mesh import stage
from image2model_desktop.mesh.stage import ViewModel

LABEL_COLOR = (0.12, 0.14, 0.18)
DARK_LABEL_COLOR = (0.92, 0.93, 0.95)


def label_actor(text: str, *, dark: bool = False) -> Any:
    """A 2D caption in the upper-left corner of its renderer."""
    from vtkmodules.vtkRenderingCore import vtkTextActor

    actor = vtkTextActor()
    actor.SetInput(text)
    prop = actor.GetTextProperty()
    prop.SetFontSize(13)
    prop.SetColor(*(DARK_LABEL_COLOR if dark else LABEL_COLOR))
    prop.SetVerticalJustificationToTop()
    actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    actor.GetPositionCoordinate().SetValue(0.03, 0.96)
    return actor


def union(models: Sequence[ViewModel]) -> ViewModel:
    """A stand-in model spanning all of ``models`` (for framing one camera on them)."""
    low = np.min([model.bounds[0] for model in models], axis=0)
    high = np.max([model.bounds[1] for model in models], axis=0)
    outlines = [model.outline for model in models if len(model.outline)]
    return ViewModel(
        path=models[0].path,
        parts=[],
        bounds=np.array([low, high]),
        faces=sum(model.faces for model in models),
        vertices=sum(model.vertices for model in models),
        outline=np.concatenate(outlines) if outlines else np.zeros((0, 3)),
    )


class SecondPane:
    """The right-hand renderer of a comparison; present in the window only while comparing."""

    def __init__(self, first: Any, render_window: Any) -> None:
        from vtkmodules.vtkRenderingCore import vtkRenderer

        self.first = first
        self.window = render_window
        self.renderer = vtkRenderer()
        self.renderer.SetActiveCamera(first.GetActiveCamera())
        self.actors: list[Any] = []
        self.labels: list[Any] = []
        self.shown = False

    def show(self, actors: list[Any], labels: tuple[str, str], *, dark: bool) -> None:
        """Split the window: the first renderer left, this one right; caption both."""
        self.hide()
        self.first.SetViewport(0.0, 0.0, 0.5, 1.0)
        self.renderer.SetViewport(0.5, 0.0, 1.0, 1.0)
        self.sync_look()
        self.window.AddRenderer(self.renderer)
        for actor in actors:
            self.renderer.AddActor(actor)
        self.actors = actors
        self.labels = [label_actor(labels[0], dark=dark), label_actor(labels[1], dark=dark)]
        self.first.AddViewProp(self.labels[0])
        self.renderer.AddViewProp(self.labels[1])
        self.shown = True

    def sync_look(self) -> None:
        """Give the right side the left side's background and lights."""
        self.renderer.SetBackground(self.first.GetBackground())
        self.renderer.SetBackground2(self.first.GetBackground2())
        self.renderer.SetGradientBackground(self.first.GetGradientBackground())
        self.renderer.RemoveAllLights()
        lights = self.first.GetLights()
        lights.InitTraversal()
        for _ in range(lights.GetNumberOfItems()):
            self.renderer.AddLight(lights.GetNextItem())

    def hide(self) -> None:
        """Back to one renderer over the whole window."""
        if not self.shown:
            return
        for actor in self.actors:
            actor.ReleaseGraphicsResources(self.window)
            self.renderer.RemoveActor(actor)
        self.first.RemoveViewProp(self.labels[0])
        self.renderer.RemoveViewProp(self.labels[1])
        self.actors, self.labels = [], []
        self.window.RemoveRenderer(self.renderer)
        self.first.SetViewport(0.0, 0.0, 1.0, 1.0)
        self.shown = False

    def clip(self, bounds: Any) -> None:
        stage.clip_ranges(self.renderer, bounds)
