"""Read a model into VTK actors on a worker thread, ready to hand to the Qt-thread plotter.

``Plotter.import_gltf`` parses the file on the calling thread (0.2–0.8 s for
500k faces). Here a throwaway, never-rendered render window receives the
importer's actors in a thread; the preview then only moves them into its own
renderer, so the Qt thread spends its time rendering, not parsing. The GL
resources (texture upload) are still made on the Qt thread at first render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class LoadedModel:
    """Actors made from one model file; ``textured`` tells whether any carries an image."""

    path: Path
    actors: list[Any] = field(default_factory=list)
    textured: bool = False


def read_model(path: Path) -> LoadedModel:
    """Parse ``path`` (GLB/glTF/OBJ via VTK importers, else pyvista) into actors."""
    # The OpenGL module registers the factory overrides; without it creating
    # a render window or importer crashes (measured: segfault in vtkShaderProperty).
    import vtkmodules.vtkRenderingOpenGL2  # noqa: F401
    from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow

    suffix = path.suffix.lower()
    if suffix not in (".glb", ".gltf", ".obj"):
        return _read_plain(path)
    if suffix == ".obj":
        from vtkmodules.vtkIOImport import vtkOBJImporter

        importer: Any = vtkOBJImporter()
        importer.SetFileName(str(path))
        importer.SetFileNameMTL(str(path.with_suffix(".mtl")))
        importer.SetTexturePath(str(path.parent))
    else:
        from vtkmodules.vtkIOImport import vtkGLTFImporter

        importer = vtkGLTFImporter()
        importer.SetFileName(str(path))
    window = vtkRenderWindow()
    renderer = vtkRenderer()
    window.AddRenderer(renderer)
    importer.SetRenderWindow(window)
    importer.Update()
    actors: list[Any] = list(renderer.GetActors())  # type: ignore[call-overload]
    if not actors:
        raise ValueError(f"{path.name} holds no mesh to show")
    for actor in actors:
        # Run the pipeline here, not at the first render on the Qt thread.
        actor.GetMapper().Update()
        actor.GetBounds()
    renderer.RemoveAllViewProps()
    return LoadedModel(path, actors, any(texture_of(a) is not None for a in actors))


def _read_plain(path: Path) -> LoadedModel:
    import pyvista as pv

    mesh = pv.read(str(path))
    rgb = "RGB" in mesh.point_data or "RGBA" in mesh.point_data
    actor = pv.Actor(mapper=pv.DataSetMapper(mesh))
    if rgb:
        actor.mapper.scalar_visibility = True
        actor.mapper.color_mode = "direct"
        actor.mapper.array_name = "RGB" if "RGB" in mesh.point_data else "RGBA"
        actor.mapper.scalar_map_mode = "point_field"
    else:
        actor.mapper.scalar_visibility = False
        actor.prop.color = "#b8b4ac"
    actor.prop.interpolation = "phong"
    actor.mapper.Update()
    return LoadedModel(path, [actor], False)


def texture_of(actor: Any) -> Any:
    """Return the colour texture of an actor (PBR ``albedoTex`` or a classic texture)."""
    texture = actor.GetProperty().GetTexture("albedoTex")
    return texture if texture is not None else actor.GetTexture()


def set_textured(actor: Any, texture: Any, on: bool) -> None:
    """Show or hide ``texture`` on ``actor`` without losing it."""
    prop = actor.GetProperty()
    if prop.GetInterpolationAsString() == "Physically based rendering":
        if on:
            prop.SetBaseColorTexture(texture)
        else:
            prop.RemoveTexture("albedoTex")
    else:
        actor.SetTexture(texture if on else None)


def write_warmup_model(path: Path) -> Path:
    """Write a tiny textured GLB like the engines' output (to compile shaders early)."""
    import numpy as np
    import trimesh
    from PIL import Image

    mesh = trimesh.creation.box()
    uv = np.tile([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], (2, 1))
    image = Image.new("RGB", (4, 4), (200, 200, 200))
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=image)  # type: ignore[no-untyped-call]
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)  # type: ignore[no-untyped-call]
    mesh.export(path)
    return path
