"""Colour 3MF: the texture in a few colours, one per triangle, for multi-filament printers.

Slicers do not print textures; they print each triangle in one filament. So
each face takes the texture's colour under it (a few samples averaged), the
colours are clustered into N (1–8; k-means weighted by face area, seeded so
the same model gives the same palette), and the caller may replace the
palette with edited colours (then faces take the nearest edited colour).

The 3MF is written by hand (lib3mf writes the standard but not the slicers'
own per-triangle attributes) and checked with lib3mf in the tests. Each
triangle carries its colour three ways:

* ``pid``/``p1`` into a core ``basematerials`` group, whose ``displaycolor`` is
  the colour: the 3MF standard, read by lib3mf, Windows and most viewers;
* ``paint_color``: Bambu Studio and OrcaSlicer's multi-material painting
  (``MMU_SEGMENTATION_ATTR`` in their ``bbs_3mf.cpp``; a TriangleSelector
  tree, and a whole triangle in filament k is "4", "8", then "0C", "1C" …
  for k = 1, 2, 3, 4 …, their ``CONST_FILAMENTS``);
* ``slic3rpe:mmu_segmentation``: the same code under PrusaSlicer's name.

The slicers' 3MF readers skip ``pid``/``p1`` on triangles ("we are ignoring
the following attributes: p1 p2 p3 pid"), which is why the painting
attributes are needed at all. ``paint_color`` sits in the core namespace
without being part of the standard, so lib3mf reads the file with one
"invalid attribute" warning per triangle; Bambu documents it as an extra
attribute readers skip. Slot k of the slicer takes colour k: the palette is
reported so the user loads matching filaments (a ``project_settings.config``
would carry colours but also overwrite the user's printer profile).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from image2model_desktop.core.errors import ColourError

Rgb = tuple[int, int, int]

MAX_COLOURS = 8
#: Faces sampled to learn the palette (k-means on all 500k faces adds nothing but time).
_PALETTE_SAMPLE = 60_000
_CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
_SLIC3R = "http://schemas.slic3r.org/3mf/2017/06"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="model" '
    'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>'
    "</Types>\n"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
    'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
    "</Relationships>\n"
)


@dataclass(frozen=True)
class FaceColours:
    """A palette and, for each face, which of its colours the face prints in."""

    #: (n, 3) RGB.
    palette: npt.NDArray[np.uint8]
    #: (f,) index into ``palette`` per face.
    index: npt.NDArray[np.uint8]

    @property
    def rgb(self) -> npt.NDArray[np.uint8]:
        """(f, 3) the colour of each face, for a preview."""
        result: npt.NDArray[np.uint8] = self.palette[self.index]
        return result

    def hex_palette(self) -> list[str]:
        return [f"#{r:02X}{g:02X}{b:02X}" for r, g, b in self.palette.tolist()]


def face_colours(mesh: Any) -> npt.NDArray[np.float64]:
    """(f, 3) RGB 0..255 of each face as it looks: texture, vertex colours or material."""
    faces = np.asarray(mesh.faces, dtype=np.int64)
    visual: Any = getattr(mesh, "visual", None)
    kind = getattr(visual, "kind", None)
    if kind == "texture":
        image, factor = _texture_and_factor(visual.material)
        uv = getattr(visual, "uv", None)
        if image is not None and uv is not None and len(uv) == len(mesh.vertices):
            return _sample_texture(image, np.asarray(uv, dtype=np.float64)[faces]) * factor
        return np.tile(factor * 255.0, (len(faces), 1))
    if kind in ("vertex", "face"):
        colours = np.asarray(visual.vertex_colors, dtype=np.float64)[:, :3]
        result: npt.NDArray[np.float64] = colours[faces].mean(axis=1)
        return result
    return np.full((len(faces), 3), 200.0)


def quantise(
    mesh: Any,
    count: int,
    palette: Sequence[Rgb] | None = None,
    seed: int = 0,
    visible: npt.NDArray[np.bool_] | None = None,
) -> FaceColours:
    """Give each face of ``mesh`` one of ``count`` colours (or of ``palette`` when given).

    ``visible`` marks the faces whose colours make the palette (a hollow's
    cavity has no texture of its own); all faces get a colour.
    """
    if palette is not None:
        count = len(palette)
    if not 1 <= count <= MAX_COLOURS:
        raise ColourError(f"Choose between 1 and {MAX_COLOURS} colours, not {count}.")
    colours = face_colours(mesh)
    if palette is not None:
        centres = np.asarray(palette, dtype=np.float64).reshape(-1, 3)
        if ((centres < 0) | (centres > 255)).any():
            raise ColourError("Each colour is three values from 0 to 255.")
    else:
        areas = np.asarray(mesh.area_faces, dtype=np.float64)
        if visible is not None and visible.any():
            colours_seen, areas = colours[visible], areas[visible]
        else:
            colours_seen = colours
        centres = _kmeans(colours_seen, areas, count, seed)
    index = _nearest(colours, centres)
    return FaceColours(
        palette=np.clip(np.rint(centres), 0, 255).astype(np.uint8), index=index.astype(np.uint8)
    )


def preview_colours(path: Path, count: int, palette: Sequence[Rgb] | None = None) -> FaceColours:
    """The colours a colour 3MF of ``path`` would get, per face of the file, for a preview.

    One colour per face in ``load_single_mesh`` order (split over a ``Scene``'s
    parts like ``report.FaceMap.per_part``). Repair and hollowing add faces
    on export, so k-means may land a shade apart there: pass this palette as
    ``ExportOptions.palette`` to print exactly what was shown.
    """
    from image2model_desktop.mesh.scene import load_single_mesh

    return quantise(load_single_mesh(path), count, palette)


def painting_code(filament: int) -> str:
    """The slicers' paint code of a whole triangle in ``filament`` (1-based)."""
    if filament < 1 or filament > 16:
        raise ValueError(f"filament {filament} is outside 1..16")
    if filament <= 2:
        return "4" if filament == 1 else "8"
    return f"{filament - 3:X}C"


def colour_3mf_bytes(mesh: Any, colours: FaceColours, name: str = "Model") -> bytes:
    """A 3MF package of ``mesh`` (millimetres) with each face in its colour."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(colours.index) != len(faces):
        raise ValueError("one colour per face is needed")
    # The 3MF core forbids a triangle with a repeated corner (lib3mf refuses the file).
    solid = (
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    )
    faces, index = faces[solid], colours.index[solid]
    codes = [painting_code(k + 1) for k in range(len(colours.palette))]
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        f'<model unit="millimeter" xml:lang="en-US" xmlns="{_CORE}" xmlns:slic3rpe="{_SLIC3R}">\n'
        '<metadata name="Application">Image2Model Desktop</metadata>\n'
        f'<metadata name="Title">{_escape(name)}</metadata>\n<resources>\n'
        '<basematerials id="1">\n'
    )
    for number, colour in enumerate(colours.hex_palette(), start=1):
        out.write(f'<base name="Colour {number}" displaycolor="{colour}FF"/>\n')
    out.write(
        '</basematerials>\n<object id="2" type="model" pid="1" pindex="0">\n<mesh>\n<vertices>\n'
    )
    out.writelines(
        f'<vertex x="{x:.5f}" y="{y:.5f}" z="{z:.5f}"/>\n' for x, y, z in vertices.tolist()
    )
    out.write("</vertices>\n<triangles>\n")
    out.writelines(
        f'<triangle v1="{a}" v2="{b}" v3="{c}" pid="1" p1="{k}" paint_color="{codes[k]}" '
        f'slic3rpe:mmu_segmentation="{codes[k]}"/>\n'
        for (a, b, c), k in zip(faces.tolist(), index.tolist(), strict=True)
    )
    out.write('</triangles>\n</mesh>\n</object>\n</resources>\n<build>\n<item objectid="2"/>\n')
    out.write("</build>\n</model>\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for entry, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _RELS),
            ("3D/3dmodel.model", out.getvalue()),
        ):
            info = zipfile.ZipInfo(entry, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _texture_and_factor(material: Any) -> tuple[Any, npt.NDArray[np.float64]]:
    image = getattr(material, "baseColorTexture", None)
    if image is None:
        image = getattr(material, "image", None)
    factor = getattr(material, "baseColorFactor", None)
    if factor is None:
        factor = getattr(material, "diffuse", None) if image is None else None
    if factor is None:
        return image, np.ones(3)
    raw = np.asarray(factor).ravel()[:3]
    return image, raw / 255.0 if raw.dtype.kind in "ui" else raw.astype(np.float64)


def _sample_texture(image: Any, corner_uv: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Average the texture at each face's centre and at its corners pulled halfway in."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    height, width = pixels.shape[:2]
    centre = corner_uv.mean(axis=1, keepdims=True)
    spots = np.concatenate([centre, (corner_uv + centre) / 2], axis=1)  # (f, 4, 2)
    # UV (0, 0) is the image's bottom-left; textures repeat outside 0..1.
    u = np.mod(spots[..., 0], 1.0)
    v = np.mod(spots[..., 1], 1.0)
    x = np.minimum((u * width).astype(np.int64), width - 1)
    y = np.minimum(((1.0 - v) * height).astype(np.int64), height - 1)
    result: npt.NDArray[np.float64] = pixels[y, x].mean(axis=1)
    return result


def _kmeans(
    colours: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], count: int, seed: int
) -> npt.NDArray[np.float64]:
    """``count`` colour centres by area-weighted k-means (k-means++ start, Lloyd steps)."""
    rng = np.random.default_rng(seed)
    if len(colours) > _PALETTE_SAMPLE:
        pick = rng.choice(len(colours), _PALETTE_SAMPLE, replace=False, p=weights / weights.sum())
        colours, weights = colours[pick], np.ones(_PALETTE_SAMPLE)
    weights = np.maximum(weights, 1e-12)
    distinct = np.unique(np.rint(colours), axis=0)
    if len(distinct) <= count:
        # Fewer colours than asked: each is its own centre (padded by repeats, kept distinct).
        return np.vstack([distinct, np.repeat(distinct[-1:], count - len(distinct), axis=0)])
    centres = [colours[rng.choice(len(colours), p=weights / weights.sum())]]
    for _ in range(1, count):
        gap = np.min(((colours[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2), axis=1)
        chance = gap * weights
        centres.append(colours[rng.choice(len(colours), p=chance / chance.sum())])
    result = np.array(centres)
    for _ in range(30):
        nearest = _nearest(colours, result)
        moved = result.copy()
        for k in range(count):
            members = nearest == k
            if members.any():
                moved[k] = np.average(colours[members], axis=0, weights=weights[members])
        if np.allclose(moved, result, atol=0.25):
            return moved
        result = moved
    return result


def _nearest(
    colours: npt.NDArray[np.float64], centres: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    gaps = ((colours[:, None, :] - centres[None]) ** 2).sum(axis=2)
    result: npt.NDArray[np.int64] = np.argmin(gaps, axis=1)
    return result


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
