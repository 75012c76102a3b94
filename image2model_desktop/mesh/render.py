"""Render a still, textured preview of a model without a window (thumbnails, self-test).

Uses ``pyvista.Plotter(off_screen=True)``, which needs no X display (EGL +
llvmpipe). Never sets ``pyvista.OFF_SCREEN``: that global blanks the GUI's
embedded view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from image2model_desktop.core.fsutil import atomic_destination

BACKGROUND_TOP = (0.93, 0.93, 0.94)
BACKGROUND_BOTTOM = (0.74, 0.75, 0.77)
#: Three-quarter view: turned to the viewer's right, seen a little from above.
AZIMUTH_DEGREES = 35.0
ELEVATION_DEGREES = 18.0


def render_preview(model_path: Path, out_png: Path, size: int = 512) -> Path:
    """Render ``model_path`` in three-quarter view to a ``size``² PNG at ``out_png``."""
    import pyvista as pv

    plotter: Any = pv.Plotter(off_screen=True, window_size=[size, size], lighting="none")
    try:
        _add_model(plotter, model_path)
        plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)
        _light(plotter)
        # Models are Y up and face +Z: look at the front, then turn to three-quarters.
        plotter.camera_position = "xy"
        plotter.camera.azimuth = AZIMUTH_DEGREES
        plotter.camera.elevation = ELEVATION_DEGREES
        plotter.reset_camera()
        plotter.camera.zoom(1.15)
        pixels = plotter.screenshot(None, return_img=True)
    finally:
        plotter.close()
    with atomic_destination(out_png) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")
    return out_png


def _add_model(plotter: Any, model_path: Path) -> None:
    import pyvista as pv

    suffix = model_path.suffix.lower()
    if suffix in (".glb", ".gltf"):
        plotter.import_gltf(str(model_path))
        _show_textures_as_photos(plotter)
    elif suffix == ".obj":
        plotter.import_obj(str(model_path))
    else:
        mesh = pv.read(str(model_path))
        rgb = "RGB" in mesh.point_data or "RGBA" in mesh.point_data
        plotter.add_mesh(mesh, rgb=rgb, color=None if rgb else "#b8b4ac", smooth_shading=True)


def _show_textures_as_photos(plotter: Any) -> None:
    """Shade imported glTF actors with Phong and the texture's colours taken as they are.

    Our textures are photos with their lighting baked in. VTK's PBR path decodes
    them as sRGB and, without an environment map, renders them dark and olive.
    """
    for actor in plotter.renderer.actors.values():
        prop = actor.GetProperty()
        texture = prop.GetTexture("albedoTex")
        if texture is None:
            continue
        texture.SetUseSRGBColorSpace(False)
        actor.SetTexture(texture)
        prop.SetInterpolationToPhong()
        prop.SetColor(1.0, 1.0, 1.0)
        prop.SetAmbient(0.35)
        prop.SetDiffuse(0.75)
        prop.SetSpecular(0.1)


def _light(plotter: Any) -> None:
    import pyvista as pv

    plotter.add_light(pv.Light(light_type="headlight", intensity=0.7))
    plotter.add_light(pv.Light(position=(1.5, 3.0, 4.0), focal_point=(0, 0, 0), intensity=0.4))
    plotter.add_light(pv.Light(position=(-3.0, 1.0, -2.0), focal_point=(0, 0, 0), intensity=0.25))
