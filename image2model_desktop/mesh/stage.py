"""The look of a model on screen, shared by the window's preview and the off-screen pictures.

PyVista objects are built here from :mod:`.scene`'s arrays, in whatever thread
or process calls :func:`build_view_model`; only adding the finished actors to a
renderer and drawing happen where the renderer lives. The same lights,
background and three-quarter camera are used by ``gui/preview/view3d.py`` (the
embedded ``QtInteractor``) and :mod:`.render` (``pv.Plotter(off_screen=True)``),
so a grid picture looks like the preview.

Why the parameters are what they are (measured on llvmpipe, see
``docs/architecture.md``): Phong shading without anti-aliasing; photos carry
their own lighting, so they are lit mostly by ambient light. (A little over 400
lines: building parts, materials, lights and the camera are one look and change
together.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from image2model_desktop.mesh.scene import Part, Scene, load_scene

#: The start (and reset) view: the model's front (+Z) seen from 35° right and 18° above.
AZIMUTH, ELEVATION = 35.0, 18.0
#: Share of the view the model's projected bounds fill after framing.
FILL = 0.86
VIEW_ANGLE = 30.0
BACKGROUND_TOP = (0.96, 0.97, 0.98)
BACKGROUND_BOTTOM = (0.78, 0.80, 0.84)
DARK_BACKGROUND_TOP = (0.20, 0.21, 0.24)
DARK_BACKGROUND_BOTTOM = (0.09, 0.10, 0.12)
UNTEXTURED_GREY = (0xB8 / 255, 0xB4 / 255, 0xAC / 255)
#: Models above this many faces get a lighter stand-in while the camera moves.
STANDIN_FACES = 50_000

_TEXTURED_LOOK = {"ambient": 0.35, "diffuse": 0.75, "specular": 0.08, "specular_power": 24.0}
_PLAIN_LOOK = {"ambient": 0.15, "diffuse": 0.85, "specular": 0.15, "specular_power": 30.0}


class Lighting(StrEnum):
    """The preview's lighting presets."""

    #: A headlight with two fill lights: even, soft, like a photo booth.
    SOFT = "soft"
    #: VTK's light kit (key, fill, back and head lights): more modelling of the shape.
    STUDIO = "studio"
    #: No shading at all: the texture's own colours, as photographed.
    FLAT = "flat"


@dataclass
class ViewPart:
    """One drawable part: its surface, its texture, and how its material looks."""

    mesh: Any  # pv.PolyData with normals, texture coordinates and optional "RGBA" colours
    texture: Any  # pv.Texture or None
    color: tuple[float, float, float]
    opacity: float
    #: glTF metallic-roughness: factors and the optional (occlusion, roughness, metal) image.
    metallic: float = 0.0
    roughness: float = 1.0
    orm_texture: Any = None
    has_pbr: bool = False
    #: The base colour as VTK's PBR shading wants it (marked sRGB), made on first use.
    albedo_texture: Any = None


@dataclass
class ViewModel:
    """A model file turned into PyVista parts, ready for a renderer."""

    path: Path
    parts: list[ViewPart]
    bounds: NDArray[np.float64]  # (2, 3) min / max corner
    faces: int
    vertices: int
    #: A few hundred surface points that span the model's outline from any side (framing).
    outline: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 3)))
    #: Lighter surfaces (one per part) shown while the camera moves; None when not needed.
    standins: list[Any] | None = field(default=None)

    @property
    def textured(self) -> bool:
        return any(part.texture is not None for part in self.parts)

    @property
    def has_pbr(self) -> bool:
        return any(part.has_pbr for part in self.parts)

    @property
    def size(self) -> NDArray[np.float64]:
        """Width (x), height (y) and depth (z) in the file's units."""
        return np.asarray(self.bounds[1] - self.bounds[0], dtype=np.float64)


def build_view_model(path: Path) -> ViewModel:
    """Load ``path`` and build its PyVista parts (any thread; raises for a bad file)."""
    return view_model_of(load_scene(path))


def view_model_of(scene: Scene) -> ViewModel:
    """Build the PyVista parts of an already loaded scene."""
    return ViewModel(
        path=scene.path,
        parts=[_view_part(part) for part in scene.parts],
        bounds=np.asarray(scene.bounds, dtype=np.float64),
        faces=scene.faces,
        vertices=scene.vertices,
        outline=outline_points(np.concatenate([part.positions for part in scene.parts])),
    )


def outline_points(positions: NDArray[np.float32], directions: int = 162) -> NDArray[np.float64]:
    """The extreme points of ``positions`` along evenly spread directions.

    Their projection spans the model's silhouette from any viewpoint to within a
    few percent, so framing can fit the model itself, not its bounding box (a
    box's corners stick out well beyond a round model), at any pane aspect.
    """
    count = np.arange(directions) + 0.5
    polar = np.arccos(1 - 2 * count / directions)
    turn = np.pi * (1 + 5**0.5) * count
    spread = np.column_stack(
        [np.cos(turn) * np.sin(polar), np.sin(turn) * np.sin(polar), np.cos(polar)]
    ).astype(np.float32)
    best_value = np.full(directions, -np.inf, dtype=np.float32)
    best_index = np.zeros(directions, dtype=np.int64)
    chunk = 65_536  # bounds the temporary (chunk × directions) matrix to 42 MB
    for start in range(0, len(positions), chunk):
        heights = positions[start : start + chunk] @ spread.T
        index = heights.argmax(axis=0)
        value = heights[index, np.arange(directions)]
        better = value > best_value
        best_value[better] = value[better]
        best_index[better] = index[better] + start
    return np.asarray(positions[np.unique(best_index)], dtype=np.float64)


def polydata(
    positions: NDArray[np.float32],
    faces: NDArray[np.uint32],
    normals: NDArray[np.float32] | None = None,
    uvs: NDArray[np.float32] | None = None,
    colors: NDArray[np.uint8] | None = None,
) -> Any:
    """A ``pv.PolyData`` from plain arrays (no copy of the faces through Python lists)."""
    import pyvista as pv

    polydata_class: Any = pv.PolyData  # its stubs want float64/int64 arrays; float32 is fine
    mesh = polydata_class.from_regular_faces(
        np.asarray(positions, dtype=np.float32), np.asarray(faces, dtype=np.int64)
    )
    if normals is not None:
        mesh.point_data["Normals"] = np.asarray(normals, dtype=np.float32)
        mesh.point_data.active_normals_name = "Normals"
    if uvs is not None:
        mesh.active_texture_coordinates = np.asarray(uvs, dtype=np.float32)
    if colors is not None:
        mesh.point_data["RGBA"] = np.asarray(colors, dtype=np.uint8)
    return mesh


def texture(pixels: NDArray[np.uint8]) -> Any:
    """A ``pv.Texture`` of an image whose rows run top-first (PIL's order)."""
    import pyvista as pv

    image = np.ascontiguousarray(pixels)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    # pv.Texture takes an image top row first (as PIL gives it) and flips it into VTK's
    # bottom-first order itself; UVs are OpenGL's, (0, 0) = bottom-left
    # (test_render_preview_shows_texture_the_right_way_round).
    texture_class: Any = pv.Texture
    result = texture_class(image)
    result.interpolate = True
    return result


def _view_part(part: Part) -> ViewPart:
    mesh = polydata(part.positions, part.faces, part.normals, part.uvs, part.colors)
    tex = texture(part.texture) if part.texture is not None and part.uvs is not None else None
    base = part.base_color
    if tex is None and part.colors is None and min(base[:3]) >= 0.999:
        color = UNTEXTURED_GREY  # the loaders' white default: show a neutral clay
    else:
        color = (base[0], base[1], base[2])
    pbr = part.pbr
    return ViewPart(
        mesh=mesh,
        texture=tex,
        color=color,
        opacity=float(base[3]),
        metallic=pbr.metallic if pbr else 0.0,
        roughness=pbr.roughness if pbr else 1.0,
        orm_texture=texture(pbr.orm) if pbr and pbr.orm is not None else None,
        has_pbr=pbr is not None,
    )


# -- actors ----------------------------------------------------------------------------------


def make_actors(model: ViewModel) -> list[Any]:
    """One actor per part, with its mapper, texture and material (any thread)."""
    import pyvista as pv
    from vtkmodules.vtkRenderingCore import vtkPolyDataMapper

    actors = []
    for part in model.parts:
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(part.mesh)
        if "RGBA" in part.mesh.point_data:
            mapper.SetScalarModeToUsePointFieldData()
            mapper.SelectColorArray("RGBA")
            mapper.SetColorModeToDirectScalars()
            mapper.ScalarVisibilityOn()
        else:
            mapper.ScalarVisibilityOff()
        mapper.Update()
        actor = pv.Actor(mapper=mapper)
        prop = actor.prop
        prop.color = part.color
        prop.opacity = part.opacity
        prop.interpolation = "phong"
        for key, value in (_TEXTURED_LOOK if part.texture is not None else _PLAIN_LOOK).items():
            setattr(prop, key, value)
        if part.texture is not None:
            actor.texture = part.texture
        actors.append(actor)
    return actors


def set_surface_style(
    actors: Sequence[Any], model: ViewModel, *, textured: bool, wireframe: bool, pbr: bool
) -> None:
    """Show or hide textures, switch wireframe and PBR, on the actors of ``model``."""
    for actor, part in zip(actors, model.parts, strict=True):
        prop = actor.prop
        prop.style = "wireframe" if wireframe else "surface"
        use_pbr = pbr and part.has_pbr
        if use_pbr:
            prop.interpolation = "pbr"
            prop.metallic = part.metallic
            prop.roughness = part.roughness
            actor.texture = None
            if part.texture is not None and textured:
                prop.SetBaseColorTexture(_albedo(part))
            else:
                prop.RemoveTexture("albedoTex")
            if part.orm_texture is not None:
                prop.SetORMTexture(part.orm_texture)
        else:
            prop.interpolation = "phong"
            prop.RemoveTexture("albedoTex")
            prop.RemoveTexture("materialTex")
            actor.texture = part.texture if textured else None
        look = _TEXTURED_LOOK if part.texture is not None and textured else _PLAIN_LOOK
        for key, value in look.items():
            setattr(prop, key, value)
        if part.texture is not None and not textured:
            prop.color = UNTEXTURED_GREY
        else:
            prop.color = part.color


def set_lights(renderer: Any, preset: Lighting) -> None:
    """Replace the renderer's lights with those of ``preset`` (flat: none needed)."""
    import pyvista as pv

    # pyvista's own call: VTK's RemoveAllLights would leave pyvista holding the old ones.
    renderer.remove_all_lights()
    if preset is Lighting.STUDIO:
        from vtkmodules.vtkRenderingCore import vtkLightKit

        vtkLightKit().AddLightsToRenderer(renderer)
    elif preset is Lighting.SOFT:
        renderer.add_light(pv.Light(light_type="headlight", intensity=0.7))
        for position, intensity in (((1.5, 3.0, 4.0), 0.4), ((-3.0, 1.0, -2.0), 0.25)):
            # Camera lights: the fills stay put relative to the viewer as the model turns.
            light = pv.Light(
                position=position,
                focal_point=(0, 0, 0),
                intensity=intensity,
                light_type="camera light",
            )
            renderer.add_light(light)


def _albedo(part: ViewPart) -> Any:
    """The part's texture marked sRGB, sharing its pixels (VTK's PBR wants colour in sRGB).

    The Phong path keeps the plain texture: photos' colours are shown as they are.
    """
    if part.albedo_texture is None:
        from vtkmodules.vtkRenderingCore import vtkTexture

        albedo = vtkTexture()
        albedo.SetInputData(part.texture.GetInput())
        albedo.InterpolateOn()
        albedo.UseSRGBColorSpaceOn()
        part.albedo_texture = albedo
    return part.albedo_texture


def set_shading(actors: Sequence[Any], preset: Lighting) -> None:
    """Flat: the actors' colours as they are, unlit; otherwise lit (after ``set_surface_style``)."""
    for actor in actors:
        actor.prop.lighting = preset is not Lighting.FLAT
        if preset is Lighting.FLAT:
            actor.prop.ambient = 1.0
            actor.prop.diffuse = 0.0
            actor.prop.specular = 0.0


def set_background(renderer: Any, *, dark: bool = False) -> None:
    top, bottom = (
        (DARK_BACKGROUND_TOP, DARK_BACKGROUND_BOTTOM)
        if dark
        else (BACKGROUND_TOP, BACKGROUND_BOTTOM)
    )
    renderer.SetBackground(*bottom)
    renderer.SetBackground2(*top)
    renderer.GradientBackgroundOn()


# -- the camera ------------------------------------------------------------------------------


def view_direction(azimuth: float = AZIMUTH, elevation: float = ELEVATION) -> NDArray[np.float64]:
    """Unit vector from the model's centre towards the eye (turning right around +Y)."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])


def frame_camera(
    renderer: Any,
    model: ViewModel,
    aspect: float,
    *,
    azimuth: float = AZIMUTH,
    elevation: float = ELEVATION,
) -> None:
    """Look at the model from the three-quarter view, fitted to the view whatever its shape.

    The camera aims at the middle of the model's silhouette and backs off until
    every outline point is inside both the vertical and the horizontal field of
    view (times ``FILL``), so a tall bottle in a wide pane and a wide bench in a
    narrow one both fit. Plain VTK calls: pyvista's camera setters each draw a frame.
    """
    low, high = model.bounds
    points = model.outline if len(model.outline) else _corners(model.bounds)
    back = view_direction(azimuth, elevation)
    right = np.cross((0.0, 1.0, 0.0), back)
    right /= max(float(np.linalg.norm(right)), 1e-12)
    up = np.cross(back, right)
    tan_v = math.tan(math.radians(VIEW_ANGLE) / 2) * FILL
    tan_h = tan_v * max(aspect, 1e-3)
    # Centre the silhouette: a first fit from the box centre, then aim at the middle of
    # the points' angular extent seen from there, and fit again.
    centre = (low + high) / 2
    for _ in range(2):
        offsets = points - centre
        across, along, depth = offsets @ right, offsets @ up, offsets @ back
        # A point at depth d (towards the eye) is D - d from the eye; it fits when
        # |along| <= (D - d) tan_v and |across| <= (D - d) tan_h.
        distance = max(
            float(np.max(np.maximum(np.abs(along) / tan_v, np.abs(across) / tan_h) + depth)),
            1e-6,
        )
        reach = distance - depth
        shift_x = (np.max(across / reach) + np.min(across / reach)) / 2
        shift_y = (np.max(along / reach) + np.min(along / reach)) / 2
        centre = centre + (right * shift_x + up * shift_y) * distance
    offsets = points - centre
    across, along, depth = offsets @ right, offsets @ up, offsets @ back
    distance = max(
        float(np.max(np.maximum(np.abs(along) / tan_v, np.abs(across) / tan_h) + depth)), 1e-6
    )
    camera = renderer.GetActiveCamera()
    camera.SetViewAngle(VIEW_ANGLE)
    camera.SetFocalPoint(*centre)
    camera.SetPosition(*(centre + back * distance))
    camera.SetViewUp(*up)
    clip_ranges(renderer, model.bounds)


def _corners(bounds: NDArray[np.float64]) -> NDArray[np.float64]:
    low, high = bounds
    return np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )


def clip_ranges(renderer: Any, bounds: NDArray[np.float64]) -> None:
    """Keep near/far planes around the model whatever the camera did."""
    low, high = bounds
    radius = float(np.linalg.norm(high - low)) / 2 or 1.0
    renderer.ResetCameraClippingRange(
        low[0] - radius, high[0] + radius, low[1] - radius, high[1] + radius,
        low[2] - radius, high[2] + radius,
    )  # fmt: skip


def write_warmup_model(path: Path) -> Path:
    """Write a tiny textured GLB like the engines' output (to warm the loader and the shaders)."""
    import trimesh
    from PIL import Image

    visuals: Any = trimesh.visual
    mesh = trimesh.creation.box()
    uv = np.tile([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], (2, 1))
    image = Image.new("RGB", (4, 4), (200, 200, 200))
    material = visuals.material.PBRMaterial(baseColorTexture=image)
    mesh.visual = visuals.TextureVisuals(uv=uv, material=material)
    mesh.export(path)
    return path


# -- colour maps over the model (print check maps, a colour 3MF's look) ------------------------

#: Cell array the preview colours faces from while a map is shown.
FACE_COLOURS = "FaceRGB"
MAP_BAD = (215, 48, 31)
MAP_NEAR_BAD = (244, 140, 60)
MAP_NEAR_GOOD = (200, 220, 90)
MAP_GOOD = (26, 152, 80)
#: Faces with nothing measured (a ray that found no wall) are grey.
MAP_UNMEASURED = (160, 160, 160)


def map_stops(
    low: float, high: float, threshold: float, bad_below: bool
) -> list[tuple[float, tuple[int, int, int]]]:
    """A map's colour ramp as (position 0..1, RGB) stops, with a step at the threshold.

    The bad side runs red to orange, the good side yellow-green to green: a step,
    not a blend, so a face just past the threshold reads as bad at a glance.
    """
    span = max(high - low, 1e-12)
    edge = min(max((threshold - low) / span, 0.0), 1.0)
    step = 1e-4
    if bad_below:
        return [
            (0.0, MAP_BAD),
            (max(edge - step, 0.0), MAP_NEAR_BAD),
            (edge, MAP_NEAR_GOOD),
            (1.0, MAP_GOOD),
        ]
    return [
        (0.0, MAP_GOOD),
        (edge, MAP_NEAR_GOOD),
        (min(edge + step, 1.0), MAP_NEAR_BAD),
        (1.0, MAP_BAD),
    ]


def map_colours(
    values: NDArray[np.float32], low: float, high: float, threshold: float, bad_below: bool
) -> NDArray[np.uint8]:
    """(n, 3) RGB per value along ``map_stops``; NaN (unmeasured) is grey."""
    stops = map_stops(low, high, threshold, bad_below)
    where = np.array([p for p, _ in stops])
    colours = np.array([c for _, c in stops], dtype=np.float64)
    span = max(high - low, 1e-12)
    position = np.clip((np.nan_to_num(values, nan=low) - low) / span, 0.0, 1.0)
    rgb = np.column_stack([np.interp(position, where, colours[:, k]) for k in range(3)])
    rgb[np.isnan(values)] = MAP_UNMEASURED
    return np.asarray(np.rint(rgb), dtype=np.uint8)


def show_face_colours(
    actors: Sequence[Any], model: ViewModel, per_part: Sequence[NDArray[np.uint8]]
) -> None:
    """Colour each face of ``model`` from ``per_part`` (one (f, 3) array per part), untextured.

    Call after ``set_surface_style``: it takes the texture off, the shading stays.
    """
    for actor, part, rgb in zip(actors, model.parts, per_part, strict=True):
        part.mesh.cell_data[FACE_COLOURS] = np.asarray(rgb, dtype=np.uint8)
        mapper = actor.mapper
        mapper.SetScalarModeToUseCellFieldData()
        mapper.SelectColorArray(FACE_COLOURS)
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()
        actor.texture = None
        prop = actor.prop
        prop.interpolation = "phong"
        prop.RemoveTexture("albedoTex")
        prop.RemoveTexture("materialTex")
        for key, value in _PLAIN_LOOK.items():
            setattr(prop, key, value)


def hide_face_colours(actors: Sequence[Any], model: ViewModel) -> None:
    """Back to the model's own colours (``set_surface_style`` brings the texture back)."""
    for actor, part in zip(actors, model.parts, strict=True):
        if FACE_COLOURS not in part.mesh.cell_data:
            continue
        del part.mesh.cell_data[FACE_COLOURS]
        mapper = actor.mapper
        if "RGBA" in part.mesh.point_data:
            mapper.SetScalarModeToUsePointFieldData()
            mapper.SelectColorArray("RGBA")
            mapper.SetColorModeToDirectScalars()
            mapper.ScalarVisibilityOn()
        else:
            mapper.ScalarVisibilityOff()


def split_per_part(model: ViewModel, values: NDArray[Any]) -> list[NDArray[Any]]:
    """One slice of ``values`` (one row per face of the file) per part, in part order.

    Raises ``ValueError`` when the counts differ (a map of another file).
    """
    counts = [int(part.mesh.n_cells) for part in model.parts]
    if sum(counts) != len(values):
        raise ValueError("the map has another number of faces than the model shown")
    return list(np.split(values, np.cumsum(counts)[:-1]))
