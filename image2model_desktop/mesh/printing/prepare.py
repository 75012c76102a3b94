"""Shape a placed model for a print file: repair, orient, hollow, colour, as the options say.

The export (``mesh.export.prepare_export``) calls this for STL and 3MF. The
order matters: a hollow needs a closed shell, so repair comes first; the
orientation changes where the lowest point is, so it comes before the drain;
colours are read from the texture last, after every step that moves faces
(repair and hollow carry the texture coordinates along).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from image2model_desktop.mesh.options import ExportOptions
from image2model_desktop.mesh.printing.colour3mf import FaceColours
from image2model_desktop.mesh.printing.profiles import DEFAULT_OVERHANG_DEG


@dataclass
class PrintShape:
    """The shape to write and what was done to it."""

    #: ``trimesh.Trimesh`` in mm, welded.
    mesh: Any
    #: Per-face colours for a colour 3MF.
    colours: FaceColours | None = None
    #: Sentences saying what was done (material saved, the palette …).
    notes: list[str] = field(default_factory=list)
    #: Open holes left, and holes closed.
    holes: int = 0
    holes_filled: int = 0


def shape_for_print(mesh: Any, options: ExportOptions) -> PrintShape:
    """Apply the print options to ``mesh`` (placed: mm, Z up); see the module doc for the order."""
    import trimesh

    from image2model_desktop.mesh.holes import count_holes, shape_only
    from image2model_desktop.mesh.printing.repair import make_printable

    coloured = options.colors is not None
    work = mesh if coloured else shape_only(mesh)
    shape = PrintShape(mesh=work)
    outside = None
    holes = count_holes(_welded(work))
    if options.fill_holes or options.hollow is not None:
        repaired = make_printable(work)
        work = repaired.mesh
        shape.holes_filled = repaired.holes_closed
        shape.notes.extend(s for s in repaired.sentences() if not s.startswith("Nothing"))
    if options.orient:
        work = _orient(work, shape)
    if options.hollow is not None:
        work, outside = _hollow(work, options, shape)
    if coloured:
        from image2model_desktop.mesh.printing.colour3mf import quantise

        colours = quantise(work, options.colors or 1, options.palette, visible=outside)
        shape.colours = colours
        slots = ", ".join(f"{k} {c}" for k, c in enumerate(colours.hex_palette(), start=1))
        shape.notes.append(f"Colours by filament slot: {slots}.")
    if coloured and shape.colours is not None:
        shape.mesh, shape.colours = _welded_solid(work, shape.colours)
    else:
        shape.mesh = trimesh.Trimesh(work.vertices, work.faces)
    shape.holes = count_holes(shape.mesh)
    if not (options.fill_holes or options.hollow is not None):
        shape.holes = holes
    return shape


def _welded(mesh: Any) -> Any:
    """The geometry with vertices merged by position, faces in the same order."""
    import trimesh

    return trimesh.Trimesh(np.asarray(mesh.vertices), np.asarray(mesh.faces), process=True)


def _welded_solid(mesh: Any, colours: FaceColours) -> tuple[Any, FaceColours]:
    """Weld, and drop the faces welding left without area (with their colours)."""
    import trimesh

    welded = _welded(mesh)
    faces = np.asarray(welded.faces)
    solid = (
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    )
    kept = FaceColours(palette=colours.palette, index=colours.index[solid])
    return trimesh.Trimesh(welded.vertices, faces[solid], process=False), kept


def _orient(mesh: Any, shape: PrintShape) -> Any:
    from image2model_desktop.mesh.printing.orient import suggest_orientation

    suggestion = suggest_orientation(_welded(mesh), DEFAULT_OVERHANG_DEG)
    if not suggestion.worth_it:
        shape.notes.append(
            f"Kept the pose: no turn needs clearly less support "
            f"({suggestion.share_before:.0%} of the surface)."
        )
        return mesh
    turned = mesh.copy()
    turned.apply_transform(suggestion.rotation)
    low, high = turned.bounds
    # Back on the bed, centred, as the export's bottom pivot places it.
    turned.apply_translation((-(low[0] + high[0]) / 2, -(low[1] + high[1]) / 2, -low[2]))
    shape.notes.append(
        f"New pose ({suggestion.description}): support needed on "
        f"{suggestion.share_after:.0%} of the surface instead of {suggestion.share_before:.0%}."
    )
    return turned


def _hollow(mesh: Any, options: ExportOptions, shape: PrintShape) -> tuple[Any, Any]:
    from image2model_desktop.mesh.printing.hollow import hollow

    assert options.hollow is not None
    wall = options.hollow.metres * 1000
    drain = None if options.drain is None else options.drain.metres * 1000
    result = hollow(mesh, wall, drain)
    saved = result.volume_before - result.volume_after
    sentence = (
        f"Hollowed with {wall:g} mm walls: {saved / 1000:.1f} cm³ less material "
        f"({result.saved_share:.0%})"
    )
    if result.drains:
        sentence += f", with a {drain:g} mm drain hole at the lowest point"
    shape.notes.append(sentence + ".")
    return result.mesh, result.outside
