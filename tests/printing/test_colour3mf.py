"""Colour 3MF: checked with lib3mf, the 3MF Consortium's own reader."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import lib3mf
import numpy as np
import pytest
import trimesh
from testkit import make_textured_sphere_glb

from image2model_desktop.core.errors import ColourError, ExportOptionsError
from image2model_desktop.mesh.export import export_with_options, load_single_mesh
from image2model_desktop.mesh.options import ExportOptions
from image2model_desktop.mesh.printing.colour3mf import (
    colour_3mf_bytes,
    painting_code,
    preview_colours,
    quantise,
)
from image2model_desktop.mesh.units import Length

#: lib3mf's warning for an attribute it does not know in the core namespace (Bambu's paint_color).
UNKNOWN_ATTRIBUTE = 32935


def read_3mf(path: Path) -> tuple[list[str], list[list[int]], int, set[int]]:
    """(colours, property ids per triangle, triangle count, warning codes) as lib3mf reads them."""
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    reader = model.QueryReader("3mf")
    reader.ReadFromFile(str(path))
    warnings = {reader.GetWarning(i)[0] for i in range(reader.GetWarningCount())}
    groups = model.GetBaseMaterialGroups()
    assert groups.MoveNext()
    group = groups.GetCurrentBaseMaterialGroup()
    ids = list(group.GetAllPropertyIDs())
    colours = []
    for pid in ids:
        c = group.GetDisplayColor(pid)
        colours.append(f"#{c.Red:02X}{c.Green:02X}{c.Blue:02X}")
    objects = model.GetMeshObjects()
    assert objects.MoveNext()
    mesh = objects.GetCurrentMeshObject()
    props = mesh.GetAllTriangleProperties()
    assigned = []
    for prop in props:
        assert prop.ResourceID == group.GetResourceID()
        assigned.append(list(prop.PropertyIDs))
    return colours, assigned, mesh.GetTriangleCount(), warnings


def test_textured_sample_in_four_colours_loads_in_lib3mf(tmp_path: Path) -> None:
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 6_000)
    dest = tmp_path / "ball.3mf"
    report = export_with_options(src, dest, ExportOptions(colors=4, height=Length(50, "mm")))
    colours, assigned, triangles, warnings = read_3mf(dest)
    assert len(colours) == 4 and len(set(colours)) == 4
    assert triangles == report.faces == len(assigned)
    # Every triangle has one colour of the group (all three corners the same).
    ids = set(lib3mf_ids := [a[0] for a in assigned])
    assert all(len(set(a)) == 1 for a in assigned)
    assert len(ids) == 4 and len(lib3mf_ids) == triangles
    # lib3mf's only complaint is Bambu's paint_color attribute (not in the 3MF standard).
    assert warnings <= {UNKNOWN_ATTRIBUTE}
    assert any(note.startswith("Colours by filament slot: 1 #") for note in report.notes)
    model = zipfile.ZipFile(dest).read("3D/3dmodel.model").decode()
    codes = re.findall(r'paint_color="([^"]+)" slic3rpe:mmu_segmentation="([^"]+)"', model)
    assert len(codes) == triangles and all(a == b for a, b in codes)
    assert {a for a, _ in codes} == {"4", "8", "0C", "1C"}
    # The slicers see one closed solid.
    assert trimesh.load(str(dest), force="mesh").is_watertight


def test_quantised_colours_follow_the_texture(tmp_path: Path) -> None:
    mesh = load_single_mesh(make_textured_sphere_glb(tmp_path / "ball.glb", 4_000))
    colours = quantise(mesh, 2)
    assert colours.rgb.shape == (len(mesh.faces), 3)
    # The checker texture alternates dark (red 50) and light (red 240) squares.
    reds = sorted(int(c[0]) for c in colours.palette)
    assert reds[0] < 100 and reds[1] > 180
    again = quantise(mesh, 2)
    assert np.array_equal(colours.index, again.index)  # seeded: the same model, the same palette


def test_the_preview_shows_what_the_export_prints(tmp_path: Path) -> None:
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 3_000)
    shown = preview_colours(src, 3)
    assert len(shown.index) == len(load_single_mesh(src).faces)
    palette = [tuple(int(v) for v in c) for c in shown.palette]
    dest = tmp_path / "ball.3mf"
    export_with_options(src, dest, ExportOptions(colors=3, palette=tuple(palette)))  # type: ignore[arg-type]
    written, _, _, _ = read_3mf(dest)
    assert written == shown.hex_palette()


def test_edited_palette_replaces_the_quantised_one(tmp_path: Path) -> None:
    mesh = load_single_mesh(make_textured_sphere_glb(tmp_path / "ball.glb", 2_000))
    colours = quantise(mesh, 2, palette=[(0, 0, 0), (255, 255, 255)])
    assert colours.hex_palette() == ["#000000", "#FFFFFF"]
    welded = trimesh.Trimesh(mesh.vertices, mesh.faces)
    data = colour_3mf_bytes(welded, colours)
    path = tmp_path / "two.3mf"
    path.write_bytes(data)
    found, assigned, _, _ = read_3mf(path)
    # Welded, the sphere's pole triangles have a repeated corner: the writer leaves them out.
    faces = np.asarray(welded.faces)
    solid = (
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    )
    assert found == ["#000000", "#FFFFFF"] and len(assigned) == solid.sum() < len(faces)


def test_painting_codes() -> None:
    assert [painting_code(k) for k in (1, 2, 3, 4, 8, 16)] == ["4", "8", "0C", "1C", "5C", "DC"]
    with pytest.raises(ValueError):
        painting_code(17)


def test_refusals(tmp_path: Path) -> None:
    mesh = trimesh.creation.box()
    with pytest.raises(ColourError, match="between 1 and 8"):
        quantise(mesh, 9)
    with pytest.raises(ExportOptionsError, match="between 1 and 8"):
        ExportOptions(colors=0)
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 500)
    with pytest.raises(ExportOptionsError, match="3MF"):
        export_with_options(src, tmp_path / "ball.stl", ExportOptions(colors=4))
    with pytest.raises(ExportOptionsError, match=r"\.stl or \.3mf"):
        export_with_options(src, tmp_path / "ball.glb", ExportOptions(orient=True))
