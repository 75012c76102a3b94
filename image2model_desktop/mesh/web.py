"""The game/web export profile: a LOD chain of small GLBs, fitted to a size budget.

``plan_web_export`` does all the work in memory and says what the files will
weigh; ``write_web_export`` then writes them. The export dialog shows the
plan's total ("≈ 1.8 MB") before anything is written, and the window runs the
plan in the process pool (``fast_simplification`` holds the GIL).

What each file is (docs/architecture.md, "Game and web export", says why):

* **LODs as separate files**: ``out.glb`` is the full model, ``out.lod1.glb`` …
  the coarser levels (100/50/25/10 % of the faces by default). three.js's
  ``GLTFLoader`` has no ``MSFT_lod`` support and game engines import one mesh
  per file into their own LOD groups, so one file per level loads everywhere.
* **Geometry in Draco** (``KHR_draco_mesh_compression``, see ``gltf_draco``).
* **Textures as JPEG** (PNG when the texture has transparency), the longest
  side at most ``max_texture`` px (1024 unless told) for LOD0 and halved at
  each coarser level.
  No KTX2: libktx's Python binding has no Linux or macOS wheel.
* **The budget** counts every file written. It is met by lowering the texture
  first (size, then JPEG quality: photo textures lose less that way than the
  silhouette does), then the faces; when even the smallest export is over it,
  the plan says so in one sentence and is written anyway.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from image2model_desktop.core.errors import WebProfileError
from image2model_desktop.core.fsutil import atomic_write_bytes
from image2model_desktop.mesh.gltf_draco import Image, Look, draco_glb, encode_geometry
from image2model_desktop.mesh.options import MIN_FACES, ExportOptions

#: The share of LOD0's faces each level keeps; ``--lods N`` takes the first N.
LOD_RATIOS = (1.0, 0.5, 0.25, 0.1, 0.05, 0.025)
MAX_LODS = len(LOD_RATIOS)
DEFAULT_LODS = 4
#: LOD0's texture side when not told otherwise. WebGL holds a JPEG or PNG texture
#: uncompressed: 1024² RGBA with mipmaps is 5.6 MB of GPU memory, 2048² is 22 MB.
DEFAULT_MAX_TEXTURE = 1024
#: The budget lowers LOD0's texture down to this side, and coarser levels halve it down to
#: ``MIN_LOD_TEXTURE``.
MIN_BUDGET_TEXTURE, MIN_LOD_TEXTURE = 256, 64
#: JPEG qualities tried at each texture size, best first.
JPEG_QUALITIES = (85, 75, 60)
#: The budget lowers LOD0's faces no further than this (a silhouette still reads).
MIN_BUDGET_FACES = 500
#: Tries at aiming LOD0's faces at the budget (each decimates the chain again) before
#: settling for ``MIN_BUDGET_FACES``.
_GEOMETRY_TRIES = 3

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9}


@dataclass(frozen=True)
class WebProfile:
    """How to shape the web export; plain data, so it pickles to a pool worker."""

    lods: int = DEFAULT_LODS
    #: Bytes every file together may weigh; None for no limit.
    budget: int | None = None
    #: Longest side of LOD0's texture, in px.
    max_texture: int = DEFAULT_MAX_TEXTURE

    def __post_init__(self) -> None:
        if not 1 <= self.lods <= MAX_LODS:
            raise WebProfileError(f"Ask for 1 to {MAX_LODS} levels of detail, not {self.lods}.")
        if self.budget is not None and self.budget <= 0:
            raise WebProfileError("A size budget must be above zero.")
        if self.max_texture < MIN_LOD_TEXTURE:
            raise WebProfileError(f"A texture must be at least {MIN_LOD_TEXTURE} px on a side.")


@dataclass(frozen=True)
class WebFile:
    """One level of detail, encoded and ready to write."""

    path: Path
    #: Faces asked for (LOD_RATIOS of LOD0's) and faces encoded.
    faces_asked: int
    faces: int
    #: Longest side of its texture in px; None without a texture.
    texture_side: int | None
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class WebExportPlan:
    """The files a web export writes, with their exact sizes."""

    files: tuple[WebFile, ...]
    #: JPEG quality of the textures; None for PNG or no texture.
    texture_quality: int | None
    budget: int | None
    #: Sentences for the user: maps left out, a budget that could not be met.
    warnings: tuple[str, ...]

    @property
    def total_bytes(self) -> int:
        return sum(file.size for file in self.files)

    @property
    def fits(self) -> bool:
        return self.budget is None or self.total_bytes <= self.budget


def lod_paths(dest: Path, lods: int) -> tuple[Path, ...]:
    """``out.glb``, ``out.lod1.glb``, … for ``lods`` levels."""
    coarser = (dest.with_name(f"{dest.stem}.lod{n}{dest.suffix}") for n in range(1, lods))
    return (dest, *coarser)


def parse_size(text: str) -> int:
    """Read a size such as ``5MB``, ``800 KB``, ``1.5M`` or ``2MiB`` as bytes (MB = 10⁶ B)."""
    match = _SIZE.match(text)
    if match is None:
        raise WebProfileError(f"{text!r} is not a size; write it like 5MB or 800KB.")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    factor = _UNITS[unit[:1]]
    if "i" in unit:
        factor = 1024 ** "bkmg".index(unit[0])
    value = int(number * factor)
    if value <= 0:
        raise WebProfileError("A size budget must be above zero.")
    return value


def format_size(size: int) -> str:
    """``1.8 MB``, ``640 KB``, ``900 B``: decimal units, as file managers show them."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            value = size / factor
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{size} B"


def plan_web_export(
    src: Path,
    dest: Path,
    options: ExportOptions | None = None,
    profile: WebProfile | None = None,
) -> WebExportPlan:
    """Load ``src``, build its LOD chain and encode every file for ``dest``, in memory.

    ``options`` places the model as for a plain GLB export (its ``faces`` caps
    LOD0). Raises what ``prepare_export`` raises for an unreadable model or bad
    options.
    """
    from image2model_desktop.mesh.export import prepare_export
    from image2model_desktop.mesh.formats import ExportFormat

    options = options or ExportOptions()
    profile = profile or WebProfile()
    mesh = prepare_export(src, dest, options, ExportFormat.GLB).mesh
    paths = lod_paths(dest, profile.lods)
    textures = _Textures(mesh)
    look, dropped = _look(mesh)
    warnings = [dropped] if dropped else []
    chain = _Chain(mesh, len(mesh.faces), profile.lods)
    plan = None
    for side, quality in textures.steps(profile.max_texture):
        plan = _assemble(paths, chain, textures, side, quality, look, profile.budget)
        if plan.fits:
            return _with_warnings(plan, warnings)
    assert plan is not None  # steps() yields at least one step
    side, quality = textures.smallest(profile.max_texture)
    budget = profile.budget
    assert budget is not None  # only a budget makes a plan not fit
    for attempt in range(_GEOMETRY_TRIES + 1):
        if chain.lod0_faces <= MIN_BUDGET_FACES:
            break
        geometry = chain.encoded_bytes
        room = budget - (plan.total_bytes - geometry)
        if room <= 0 or attempt == _GEOMETRY_TRIES:
            # Nothing fits, or the aim kept missing: the smallest, so the sentence below holds.
            faces = MIN_BUDGET_FACES
        else:
            # Draco's bytes grow about linearly with the faces; aim a little under.
            faces = max(MIN_BUDGET_FACES, int(chain.lod0_faces * room / geometry * 0.95))
        chain = _Chain(mesh, faces, profile.lods)
        plan = _assemble(paths, chain, textures, side, quality, look, budget)
        if plan.fits:
            return _with_warnings(plan, warnings)
    smallest = plan.files[0]
    texture = "" if smallest.texture_side is None else f", a {smallest.texture_side} px texture"
    warnings.append(
        f"Even the smallest web export ({smallest.faces:,} faces{texture}) weighs "
        f"{format_size(plan.total_bytes)}, over the {format_size(budget)} budget: "
        "raise the budget or ask for fewer levels of detail."
    )
    return _with_warnings(plan, warnings)


def write_web_export(plan: WebExportPlan) -> WebExportPlan:
    """Write every file of ``plan``, each atomically; return the plan."""
    for file in plan.files:
        atomic_write_bytes(file.path, file.data)
    return plan


def export_web(
    src: Path,
    dest: Path,
    options: ExportOptions | None = None,
    profile: WebProfile | None = None,
) -> WebExportPlan:
    """Plan and write a web export of ``src``; ``dest`` is LOD0's path."""
    return write_web_export(plan_web_export(src, dest, options, profile))


def _with_warnings(plan: WebExportPlan, warnings: list[str]) -> WebExportPlan:
    return WebExportPlan(plan.files, plan.texture_quality, plan.budget, tuple(warnings))


class _Chain:
    """The LOD meshes for one LOD0 face count, each Draco-encoded once."""

    def __init__(self, mesh: Any, lod0_faces: int, lods: int) -> None:
        from image2model_desktop.mesh.decimate import simplify

        self.lod0_faces = min(lod0_faces, len(mesh.faces))
        self.levels = []
        for ratio in LOD_RATIOS[:lods]:
            asked = max(MIN_FACES, round(self.lod0_faces * ratio))
            # Each level from the one before: fewer faces to work through than LOD0's.
            mesh = simplify(mesh, asked)
            self.levels.append((asked, _encode(mesh)))

    @property
    def encoded_bytes(self) -> int:
        return sum(len(geometry.data) for _, geometry in self.levels)


def _encode(mesh: Any) -> Any:
    visual = mesh.visual
    uvs = getattr(visual, "uv", None) if visual.kind == "texture" else None
    if uvs is not None:
        uvs = np.asarray(uvs, dtype=np.float64).copy()
        uvs[:, 1] = 1.0 - uvs[:, 1]  # trimesh's UVs start bottom-left, glTF's top-left
    colors = None
    if visual.kind in ("vertex", "face"):
        colors = np.asarray(visual.vertex_colors, dtype=np.uint8)
    return encode_geometry(
        np.asarray(mesh.vertices),
        np.asarray(mesh.faces),
        normals=mesh.vertex_normals,
        uvs=uvs,
        colors=colors,
    )


def _assemble(
    paths: tuple[Path, ...],
    chain: _Chain,
    textures: _Textures,
    side: int | None,
    quality: int | None,
    look: Look,
    budget: int | None,
) -> WebExportPlan:
    files = []
    for level, (path, (asked, geometry)) in enumerate(zip(paths, chain.levels, strict=True)):
        level_side = None if side is None else max(MIN_LOD_TEXTURE, side >> level)
        image = textures.encoded(level_side, quality)
        name = f"{path.name.split('.')[0]}_LOD{level}"
        files.append(
            WebFile(
                path=path,
                faces_asked=asked,
                faces=geometry.faces,
                texture_side=None if image is None else textures.side_of(level_side),
                data=draco_glb(geometry, look, image, name),
            )
        )
    return WebExportPlan(tuple(files), quality if textures.lossy else None, budget, ())


class _Textures:
    """The model's base-colour image, encoded once per size and quality."""

    def __init__(self, mesh: Any) -> None:
        from image2model_desktop.mesh.export import texture_image

        self.image: Any = texture_image(mesh)
        self.lossy = self.image is not None and not _has_transparency(self.image)
        self._cache: dict[tuple[int, int | None], Image] = {}

    def steps(self, max_side: int) -> list[tuple[int | None, int | None]]:
        """(LOD0 side, quality) from best to smallest, as the budget lowers them."""
        if self.image is None:
            return [(None, None)]
        first = min(max(self.image.size), max_side)
        sides = [first]
        while sides[-1] // 2 >= MIN_BUDGET_TEXTURE:
            sides.append(sides[-1] // 2)
        qualities: tuple[int | None, ...] = JPEG_QUALITIES if self.lossy else (None,)
        return [(side, quality) for side in sides for quality in qualities]

    def smallest(self, max_side: int) -> tuple[int | None, int | None]:
        return self.steps(max_side)[-1]

    def side_of(self, side: int | None) -> int | None:
        return None if side is None or self.image is None else min(side, max(self.image.size))

    def encoded(self, side: int | None, quality: int | None) -> Image | None:
        if self.image is None or side is None:
            return None
        key = (side, quality)
        if key not in self._cache:
            self._cache[key] = self._encode(side, quality)
        return self._cache[key]

    def _encode(self, side: int, quality: int | None) -> Image:
        from PIL import Image as PilImage

        image = self.image.convert("RGB" if self.lossy else "RGBA")
        if max(image.size) > side:
            scale = side / max(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, PilImage.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if self.lossy:
            image.save(buffer, "JPEG", quality=quality, optimize=True)
            return Image(buffer.getvalue(), "image/jpeg")
        image.save(buffer, "PNG", optimize=True)
        return Image(buffer.getvalue(), "image/png")


def _has_transparency(image: Any) -> bool:
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return False
    alpha = image.convert("RGBA").getchannel("A")
    low, _ = alpha.getextrema()
    return bool(low < 255)


def _look(mesh: Any) -> tuple[Look, str | None]:
    """The material's factors, and the sentence naming the maps the profile leaves out."""
    material = getattr(mesh.visual, "material", None)
    if material is None:
        return Look(), None
    maps = {
        "normal": getattr(material, "normalTexture", None),
        "metallic-roughness": getattr(material, "metallicRoughnessTexture", None),
        "occlusion": getattr(material, "occlusionTexture", None),
        "emissive": getattr(material, "emissiveTexture", None),
    }
    dropped = [name for name, image in maps.items() if image is not None]
    factor = getattr(material, "baseColorFactor", None)
    if factor is None and getattr(material, "image", None) is None:
        # An OBJ material's colour; with its texture, Kd is ignored as in mesh.scene.
        factor = getattr(material, "diffuse", None)
    color = (1.0, 1.0, 1.0, 1.0)
    if factor is not None:
        raw = np.asarray(factor).ravel()
        rgba = raw / 255.0 if raw.dtype.kind in "ui" else raw.astype(np.float64)
        color = (float(rgba[0]), float(rgba[1]), float(rgba[2]), float(rgba[3]))
    metallic = getattr(material, "metallicFactor", None)
    roughness = getattr(material, "roughnessFactor", None)
    if maps["metallic-roughness"] is not None:
        # Without its map a factor of 1 would turn the whole model to bare metal.
        metallic, roughness = 0.0, 1.0
    look = Look(
        base_color=color,
        metallic=0.0 if metallic is None else float(metallic),
        roughness=1.0 if roughness is None else float(roughness),
        double_sided=bool(getattr(material, "doubleSided", False)),
        alpha_mode=getattr(material, "alphaMode", None) or "OPAQUE",
    )
    if not dropped:
        return look, None
    return look, (
        f"The web profile keeps the base colour only: the {', '.join(dropped)} "
        f"map{'s are' if len(dropped) > 1 else ' is'} left out."
    )
