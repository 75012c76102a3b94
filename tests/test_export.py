"""Export with options: each format round-trips with its faces, size, pivot, up axis, texture."""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from testkit import make_textured_sphere_glb

from image2model_desktop.core.errors import ExportOptionsError, LengthError, UnknownFormatError
from image2model_desktop.mesh.decimate import simplify
from image2model_desktop.mesh.export import (
    export_with_options,
    prepare_export,
    preview_export,
)
from image2model_desktop.mesh.formats import ExportFormat, format_for
from image2model_desktop.mesh.holes import count_holes, shape_only
from image2model_desktop.mesh.options import ExportOptions, Pivot, Up
from image2model_desktop.mesh.scene import load_single_mesh
from image2model_desktop.mesh.units import Length

#: The duck as the offline engine makes it: Y up, metres, largest side 1.0, textured.
BUDGET = 1000


@pytest.fixture
def duck(offline_duck_glb: Path) -> Path:
    return offline_duck_glb


@pytest.fixture(scope="module")
def sphere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 faces whose UV map is cut along a meridian and at the poles."""
    return make_textured_sphere_glb(
        tmp_path_factory.mktemp("sphere") / "sphere.glb", 20_000, ripple=0.05
    )


def reload(path: Path, tmp_path: Path) -> Any:
    """Load an exported file back as one mesh (unzipping zipped formats)."""
    if path.name.endswith(".zip"):
        folder = tmp_path / f"unzipped-{path.name}"
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)
        inner = next(p for p in folder.iterdir() if p.suffix in (".gltf", ".obj"))
        return load_single_mesh(inner)
    return load_single_mesh(path)


def texture_of(mesh: Any) -> Any:
    visual = mesh.visual
    if getattr(visual, "kind", None) != "texture":
        return None
    material = visual.material
    image = getattr(material, "baseColorTexture", None)
    return image if image is not None else getattr(material, "image", None)


# -- every format ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_each_format_round_trips_with_budget_height_and_bottom_pivot(
    duck: Path, tmp_path: Path, fmt: ExportFormat
) -> None:
    options = ExportOptions(faces=BUDGET, height=Length(100, "mm"), pivot=Pivot.BOTTOM)
    report = export_with_options(duck, tmp_path / f"duck{fmt.suffix}", options)
    assert report.path.is_file()
    mesh = reload(report.path, tmp_path)

    assert 0.8 * BUDGET < len(mesh.faces) <= BUDGET
    assert len(mesh.faces) == report.faces
    source = load_single_mesh(duck).extents  # X, Y (up), Z (front)
    low, high = mesh.bounds
    size = high - low
    if fmt.for_printing:
        assert fmt.unit == "mm"
        up, across = 2, 1  # Z up; the photographed side now faces -Y
        expected_height = 100.0
    else:
        assert fmt.unit == "m"
        up, across = 1, 2
        expected_height = 0.1
    assert size[up] == pytest.approx(expected_height, rel=0.005)
    assert low[up] == pytest.approx(0, abs=expected_height * 1e-6)
    # Same proportions as the source, so the axes were turned, not stretched.
    ratio = expected_height / source[1]
    assert size[0] == pytest.approx(source[0] * ratio, rel=0.02)
    assert size[across] == pytest.approx(source[2] * ratio, rel=0.02)
    # Centred across: the box's middle sits on the up axis.
    for axis in {0, 1, 2} - {up}:
        assert (low[axis] + high[axis]) / 2 == pytest.approx(0, abs=expected_height * 1e-6)

    image = texture_of(mesh)
    if fmt.keeps_texture:
        assert image is not None and image.size[0] >= 256
        assert report.warnings == ()
    else:
        assert image is None
        assert report.warnings and "texture" in report.warnings[0]
    if fmt is ExportFormat.PLY:
        colours = mesh.visual.vertex_colors[:, :3].astype(int)
        assert colours[:, 0].mean() > 150 and colours[:, 2].mean() < 120  # a yellow duck
    if fmt is ExportFormat.THREEMF:
        assert trimesh.load(str(report.path)).metadata.get("units") == "millimeter"
    if fmt.for_printing:
        assert report.holes == 0 and shape_only(mesh).is_watertight


@pytest.mark.parametrize("fmt", [ExportFormat.OBJ_ZIP, ExportFormat.GLTF_ZIP])
def test_zips_hold_files_named_after_the_destination_readable_by_all(
    duck: Path, tmp_path: Path, fmt: ExportFormat
) -> None:
    report = export_with_options(duck, tmp_path / f"Rubber Duck{fmt.suffix}", ExportOptions())
    with zipfile.ZipFile(report.path) as archive:
        entries = archive.infolist()
    names = sorted(entry.filename for entry in entries)
    if fmt is ExportFormat.OBJ_ZIP:
        assert names == ["Rubber Duck.mtl", "Rubber Duck.obj", "Rubber Duck.png"]
    else:
        assert names[0] == "Rubber Duck.gltf"
        assert all(name.startswith("Rubber Duck_") for name in names[1:])
    for entry in entries:
        assert stat.S_IMODE(entry.external_attr >> 16) == 0o644, entry.filename
    assert [p.name for p in tmp_path.iterdir()] == [report.path.name]


def test_default_glb_export_is_a_byte_copy(duck: Path, tmp_path: Path) -> None:
    report = export_with_options(duck, tmp_path / "same.glb", ExportOptions())
    assert report.path.read_bytes() == duck.read_bytes()


def test_default_stl_is_millimetres_z_up_in_place(duck: Path, tmp_path: Path) -> None:
    source = load_single_mesh(duck)
    report = export_with_options(duck, tmp_path / "duck.stl", ExportOptions())
    mesh = load_single_mesh(report.path)
    # (x, y, z) in metres, Y up → (x, -z, y) in millimetres.
    expected_low = np.array([source.bounds[0][0], -source.bounds[1][2], source.bounds[0][1]])
    assert mesh.bounds[0] == pytest.approx(expected_low * 1000, abs=1e-3)
    assert len(mesh.faces) == len(source.faces)


def test_scale_factor_and_explicit_up_axis(duck: Path, tmp_path: Path) -> None:
    source = load_single_mesh(duck).extents
    options = ExportOptions(scale=2.0, up=Up.Z, pivot=Pivot.CENTER)
    mesh = reload(export_with_options(duck, tmp_path / "duck.obj.zip", options).path, tmp_path)
    assert mesh.extents == pytest.approx((source[0] * 2, source[2] * 2, source[1] * 2), rel=1e-4)
    assert mesh.bounds.mean(axis=0) == pytest.approx((0, 0, 0), abs=1e-6)


def test_front_faces_minus_y_after_turning_z_up(tmp_path: Path) -> None:
    # A tall box with a knob on its front (+Z in glTF): the knob must end up at -Y.
    body = trimesh.creation.box(extents=(1.0, 2.0, 0.5))
    knob = trimesh.creation.box(extents=(0.2, 0.2, 0.2))
    knob.apply_translation((0, 0.5, 0.35))
    src = tmp_path / "figure.glb"
    trimesh.util.concatenate([body, knob]).export(str(src))
    report = export_with_options(src, tmp_path / "figure.stl", ExportOptions(pivot=Pivot.BOTTOM))
    mesh = load_single_mesh(report.path)
    assert mesh.extents == pytest.approx((1000, 700, 2000), rel=1e-4)
    # Centred across: the body spans Y -150…350, the knob -350…-150 (in front, at -Y).
    assert mesh.bounds[:, 1] == pytest.approx((-350, 350), abs=1e-3)
    knob_z = mesh.vertices[mesh.vertices[:, 1] < -200][:, 2]
    assert len(knob_z) > 0
    assert knob_z.min() > 1000  # above the middle, as it was above the middle along Y


def test_stl_source_is_read_as_millimetres_z_up(duck: Path, tmp_path: Path) -> None:
    stl = export_with_options(duck, tmp_path / "duck.stl", ExportOptions()).path
    back = export_with_options(stl, tmp_path / "back.glb", ExportOptions()).path
    assert load_single_mesh(back).bounds == pytest.approx(load_single_mesh(duck).bounds, abs=1e-6)


# -- watertightness --------------------------------------------------------------------------


def _box_with_holes(path: Path, holes: int) -> Path:
    box = trimesh.creation.box(extents=(0.1, 0.2, 0.1)).subdivide()
    # Faces far apart on the box: each removed one opens a separate hole.
    centres = box.triangles_center
    chosen: list[int] = []
    for direction in np.eye(3)[:holes]:
        chosen.append(int(np.argmax(centres @ direction)))
    keep = np.ones(len(box.faces), dtype=bool)
    keep[chosen] = False
    trimesh.Trimesh(box.vertices, box.faces[keep]).export(str(path))
    return path


def test_printing_formats_report_holes_and_can_fill_them(tmp_path: Path) -> None:
    src = _box_with_holes(tmp_path / "open.glb", holes=2)
    report = export_with_options(src, tmp_path / "open.3mf", ExportOptions())
    assert report.holes == 2
    assert any("not watertight: 2 holes" in w for w in report.warnings)
    assert not load_single_mesh(report.path).is_watertight

    filled = export_with_options(src, tmp_path / "closed.stl", ExportOptions(fill_holes=True))
    assert (filled.holes, filled.holes_filled) == (0, 2)
    assert not any("watertight" in w for w in filled.warnings)
    assert shape_only(load_single_mesh(filled.path)).is_watertight


def test_texture_seams_are_not_holes(sphere: Path, tmp_path: Path) -> None:
    assert not load_single_mesh(sphere).is_watertight  # split at its seams as stored
    report = export_with_options(sphere, tmp_path / "ball.stl", ExportOptions(faces=2000))
    assert report.holes == 0
    assert shape_only(load_single_mesh(report.path)).is_watertight


# -- decimation keeps the texture mapping ----------------------------------------------------


def region_colours(mesh: Any, cells: int = 4) -> dict[int, Any]:
    """Mean texture colour of the surface in each cell of a cells³ grid over the bounds.

    Sampled where each face's UVs point (four points per face), weighted by
    area: a poor man's render, the same from any side, with no renderer.
    """
    image = np.asarray(texture_of(mesh).convert("RGB"), dtype=float)
    height, width = image.shape[:2]
    weights = np.array([[1, 1, 1], [4, 1, 1], [1, 4, 1], [1, 1, 4]]) / np.array(
        [[3], [6], [6], [6]]
    )
    uv = np.einsum("sk,fkd->fsd", weights, mesh.visual.uv[mesh.faces]).reshape(-1, 2)
    where = np.einsum("sk,fkd->fsd", weights, mesh.vertices[mesh.faces]).reshape(-1, 3)
    area = np.repeat(mesh.area_faces, len(weights))
    x = np.clip((uv[:, 0] % 1) * width, 0, width - 1).astype(int)
    y = np.clip((1 - uv[:, 1] % 1) * height, 0, height - 1).astype(int)
    colour = image[y, x]
    low, high = mesh.bounds
    cell = np.clip(((where - low) / (high - low) * cells).astype(int), 0, cells - 1)
    key = (cell[:, 0] * cells + cell[:, 1]) * cells + cell[:, 2]
    result = {}
    for k in np.unique(key):
        inside = key == k
        if area[inside].sum() > 0.005 * area.sum():
            result[int(k)] = np.average(colour[inside], axis=0, weights=area[inside])
    return result


def colour_difference(before: Any, after: Any) -> tuple[float, float]:
    """Median and worst per-region difference of mean colour (0-255 per channel)."""
    a, b = region_colours(before), region_colours(after)
    common = sorted(set(a) & set(b))
    assert len(common) >= 0.8 * len(a)
    differences = np.array([np.abs(a[k] - b[k]).max() for k in common])
    return float(np.median(differences)), float(differences.max())


@pytest.mark.parametrize("budget", [4000, 1000])
def test_decimation_keeps_the_texture_where_it_was(sphere: Path, budget: int) -> None:
    original = load_single_mesh(sphere)
    reduced = simplify(original, budget)
    assert len(reduced.faces) <= budget
    median, worst = colour_difference(original, reduced)
    assert median < 12 and worst < 50, (median, worst)
    assert count_holes(shape_only(reduced)) == 0


def test_decimated_duck_looks_like_the_duck(duck: Path) -> None:
    original = load_single_mesh(duck)
    median, worst = colour_difference(original, simplify(original, BUDGET))
    assert median < 8 and worst < 40, (median, worst)


def test_the_colour_check_catches_a_scrambled_mapping(sphere: Path) -> None:
    original = load_single_mesh(sphere)
    scrambled = simplify(original, 1000).copy()
    scrambled.visual.uv = np.random.default_rng(1).permutation(scrambled.visual.uv)
    median, _ = colour_difference(original, scrambled)
    assert median > 40


def test_a_stalled_pass_is_followed_by_another(tmp_path: Path) -> None:
    # One pass of the simplifier stops at 104 faces on this sphere when asked for 30.
    big = load_single_mesh(make_textured_sphere_glb(tmp_path / "big.glb", 200_000, ripple=0.05))
    reduced = simplify(big, 30)
    assert 20 < len(reduced.faces) <= 30
    assert len(reduced.visual.uv) == len(reduced.vertices)
    assert count_holes(shape_only(reduced)) == 0


def test_models_within_budget_are_left_alone(duck: Path) -> None:
    mesh = load_single_mesh(duck)
    assert simplify(mesh, len(mesh.faces)) is mesh


# -- preview -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["part.3mf", "part.glb", "part.ply"])
def test_preview_predicts_the_export_without_reading_the_file(
    duck: Path, tmp_path: Path, name: str
) -> None:
    mesh = load_single_mesh(duck)
    options = ExportOptions(faces=BUDGET, height=Length(4.7, "in"), pivot=Pivot.BOTTOM)
    preview = preview_export(len(mesh.faces), tuple(mesh.extents), True, tmp_path / name, options)
    report = export_with_options(duck, tmp_path / name, options)
    assert report.faces <= preview.faces == BUDGET
    assert preview.size == pytest.approx(report.size, rel=0.01)
    assert preview.height == pytest.approx(4.7 * 25.4 if preview.unit == "mm" else 0.11938)
    assert (preview.unit, preview.up) == (report.unit, report.up)
    assert preview.warnings == report.warnings


def test_prepare_says_what_is_lost_before_anything_is_written(duck: Path, tmp_path: Path) -> None:
    prepared = prepare_export(duck, tmp_path / "d.stl", ExportOptions())
    assert prepared.report.warnings == ("STL keeps the shape only: the texture will not be saved.",)
    assert list(tmp_path.iterdir()) == []


# -- options, units and formats ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metres"),
    [("120mm", 0.12), ("12cm", 0.12), ("0.12m", 0.12), ("4.7in", 0.11938), (" 3.5 MM ", 0.0035)],
)
def test_lengths_read_with_units(text: str, metres: float) -> None:
    assert Length.parse(text).metres == pytest.approx(metres)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("100", "has no unit"),
        ("10ft", "Unknown unit"),
        ("0mm", "above zero"),
        ("mm", "not a length"),
    ],
)
def test_bad_lengths_are_refused_with_a_sentence(text: str, message: str) -> None:
    with pytest.raises(LengthError, match=message):
        Length.parse(text)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.GLB", ExportFormat.GLB),
        ("a.gltf.zip", ExportFormat.GLTF_ZIP),
        ("a.obj.zip", ExportFormat.OBJ_ZIP),
        ("a.b.stl", ExportFormat.STL),
        ("a.ply", ExportFormat.PLY),
        ("a.3mf", ExportFormat.THREEMF),
    ],
)
def test_extension_picks_the_format(name: str, fmt: ExportFormat) -> None:
    assert format_for(Path(name)) is fmt


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a.gltf", "name it a.gltf.zip"),
        ("a.obj", "name it a.obj.zip"),
        ("a.zip", "a.obj.zip or a.gltf.zip"),
        ("a.fbx", "unknown extension .fbx"),
        ("a", "unknown extension (none)"),
        (".stl", "unknown extension"),
    ],
)
def test_unknown_extensions_say_what_to_use(name: str, message: str) -> None:
    with pytest.raises(UnknownFormatError, match=re.escape(message)):
        format_for(Path(name))


def test_contradicting_options_are_refused(duck: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportOptionsError, match="not both"):
        ExportOptions(height=Length(1, "m"), scale=2)
    with pytest.raises(ExportOptionsError, match="above zero"):
        ExportOptions(scale=0)
    with pytest.raises(ExportOptionsError, match="at least"):
        ExportOptions(faces=3)
    with pytest.raises(ExportOptionsError, match="Y up"):
        export_with_options(duck, tmp_path / "d.glb", ExportOptions(up=Up.Z))
    assert list(tmp_path.iterdir()) == []


# -- the window's entry points (Qt-free) ----------------------------------------------------------


def test_window_saves_through_the_process_pool_and_previews_from_stats(
    duck: Path, tmp_path: Path
) -> None:
    import asyncio

    from image2model_desktop.core.models import OutputInfo
    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.gui.results.saving import preview_save, save_with_options
    from image2model_desktop.mesh.inspect import inspect_mesh

    stats = inspect_mesh(duck)
    output = OutputInfo(
        model_filename=duck.name,
        model_size=duck.stat().st_size,
        face_count=stats.faces,
        vertex_count=stats.vertices,
        extents=stats.extents,
        textured=stats.textured,
        processing_time=1.0,
    )
    dest = tmp_path / "print.3mf"
    options = ExportOptions(faces=BUDGET, height=Length(12, "cm"), pivot=Pivot.BOTTOM)
    preview = preview_save(output, dest, options)
    try:
        report = asyncio.run(save_with_options(duck, dest, options))
    finally:
        shutdown_process_pool()
    assert report.path == dest and dest.is_file()
    assert preview.height == pytest.approx(120)
    assert report.size[2] == pytest.approx(120)
    assert preview.size == pytest.approx(report.size, rel=0.01)
    assert report.faces <= preview.faces == BUDGET
    assert preview.warnings == report.warnings
