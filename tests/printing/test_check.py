"""The print check on solids with known answers (issue 21's acceptance meshes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from image2model_desktop.core.errors import PrintSettingsError
from image2model_desktop.mesh.printing.check import check_print
from image2model_desktop.mesh.printing.model import load_print_model
from image2model_desktop.mesh.printing.profiles import PrinterKind, PrintSettings
from image2model_desktop.mesh.printing.report import (
    Fix,
    Severity,
    Verdict,
    location_words,
    preview_maps,
)

from .shapes import (
    CUP_BASE,
    CUP_THINNEST,
    cube,
    cup,
    open_box,
    save,
    t_overhang_share,
    t_shape,
)


def finding(report, code):  # type: ignore[no-untyped-def]
    (found,) = [f for f in report.findings if f.code == code]
    return found


def test_cup_thin_wall_is_found_on_the_wall_not_the_base(tmp_path: Path) -> None:
    path = save(cup(), tmp_path / "cup.stl")
    report = check_print(path, PrintSettings())
    assert report.thinnest_mm == pytest.approx(CUP_THINNEST, abs=0.1)
    assert report.thinnest_mm == pytest.approx(0.5, abs=0.1)
    thin = finding(report, "thin_walls")
    assert thin.severity is Severity.WARNING  # 0.5 mm: under FDM's 0.8, over half of it
    assert thin.fix is Fix.RESIZE and thin.suggested_height_mm == pytest.approx(
        60 * 0.8 / report.thinnest_mm, rel=1e-3
    )
    assert "0.50 mm" in thin.sentence and "0.8 mm FDM minimum" in thin.sentence
    # Where: every thin face is on the wall (above the base), none on the base's faces.
    model = load_print_model(path, None)
    assert report.thickness is not None
    thickness = report.thickness.values[model.source_faces]
    centres = model.mesh.triangles_center
    flat = np.abs(model.mesh.face_normals[:, 2]) > 0.99
    base = flat & (centres[:, 2] < CUP_BASE + 1e-6)
    assert thickness[base].min() == pytest.approx(CUP_BASE, abs=1e-3)
    thin_faces = thickness < 0.8
    assert thin_faces.any() and (centres[thin_faces, 2] > CUP_BASE - 1e-6).all()
    assert report.verdict is Verdict.AMBER


def test_resin_minimum_passes_the_cup_wall(tmp_path: Path) -> None:
    report = check_print(
        save(cup(), tmp_path / "cup.stl"), PrintSettings(printer=PrinterKind.RESIN)
    )
    thin = finding(report, "thin_walls")
    assert thin.severity is Severity.OK and "resin minimum is 0.4 mm" in thin.sentence
    assert report.verdict is Verdict.GREEN
    assert report.filament_m is None and "Standard resin" in finding(report, "material").sentence


def test_box_with_a_removed_face_has_one_hole_and_is_red(tmp_path: Path) -> None:
    report = check_print(save(open_box(), tmp_path / "box.stl"), PrintSettings())
    assert report.topology.holes == 1 and not report.topology.watertight
    holes = finding(report, "holes")
    assert holes.severity is Severity.PROBLEM and holes.fix is Fix.REPAIR
    assert holes.sentence.startswith("1 hole in the surface")
    assert report.verdict is Verdict.RED
    assert report.volume_mm3 is None and "unknown" in finding(report, "material").sentence


def test_t_shape_overhang_share_matches_the_hand_count(tmp_path: Path) -> None:
    report = check_print(save(t_shape(), tmp_path / "t.stl"), PrintSettings())
    expected = t_overhang_share()
    assert report.support_share == pytest.approx(expected, rel=0.05)
    overhangs = finding(report, "overhangs")
    # Lying on its face (10 mm high) nothing overhangs: the check says so.
    assert overhangs.fix is Fix.ORIENT
    assert overhangs.sentence.endswith(
        ("lying on its front, it would need none.", "lying on its back, it would need none.")
    )
    overhang_map = report.overhang
    assert overhang_map.legend.threshold == 45 and not overhang_map.legend.bad_below
    assert np.nanmax(overhang_map.values) == pytest.approx(90)


def test_a_plain_cube_is_green_with_material_figures(tmp_path: Path) -> None:
    report = check_print(save(cube(20), tmp_path / "cube.stl"), PrintSettings(material="petg"))
    assert report.verdict is Verdict.GREEN
    assert report.volume_mm3 == pytest.approx(8000)
    assert report.weight_g == pytest.approx(8.0 * 1.27)
    assert report.filament_m == pytest.approx(8000 / (np.pi * 0.875**2) / 1000)
    assert report.support_share == 0
    assert report.lines()[-1].startswith("Solid it takes 8.0 cm³, 10 g of PETG, 3.3 m")


def test_height_scales_and_a_too_big_model_is_red(tmp_path: Path) -> None:
    path = save(cube(20), tmp_path / "cube.stl")
    report = check_print(path, PrintSettings(height_mm=300))
    assert report.size_mm[2] == pytest.approx(300)
    fit = finding(report, "build_volume")
    assert fit.severity is Severity.PROBLEM and fit.fix is Fix.RESIZE
    assert fit.suggested_height_mm is not None and fit.suggested_height_mm <= 220
    assert report.verdict is Verdict.RED
    assert report.to_dict()["printable"] is False


def test_inverted_and_separate_shells_are_warnings(tmp_path: Path) -> None:
    import trimesh

    a = cube(10)
    b = cube(10)
    b.apply_translation((30, 0, 0))
    b.invert()
    report = check_print(
        save(trimesh.util.concatenate([a, b]), tmp_path / "two.stl"), PrintSettings()
    )
    assert report.topology.shells == 2 and report.topology.inverted_shells == 1
    assert {finding(report, c).severity for c in ("shells", "inverted")} == {Severity.WARNING}
    # Inside-out faces are measured along their corrected normals: walls are 10 mm.
    assert report.thinnest_mm == pytest.approx(10, abs=1e-3)


def test_preview_maps_split_over_scene_parts(tmp_path: Path) -> None:
    report = check_print(save(cup(), tmp_path / "cup.stl"), PrintSettings())
    thickness, overhang = preview_maps(report)
    assert (thickness.name, overhang.name) == ("thickness", "overhang")
    assert thickness.legend.threshold == 0.8 and thickness.legend.bad_below
    count = len(thickness.values)
    parts = thickness.per_part([count - 10, 10])
    assert [len(p) for p in parts] == [count - 10, 10]
    with pytest.raises(ValueError):
        thickness.per_part([count + 1])


def test_location_words() -> None:
    low, high = (0, 0, 0), (10, 10, 10)
    assert location_words((5, 5, 9), low, high) == "near the top"
    assert location_words((1, 9, 1), low, high) == "near the bottom back left"
    assert location_words((9, 0.5, 5), low, high) == "near the middle front right"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"height_mm": 0}, "above zero"),
        ({"material": "wood"}, "Unknown material"),
        ({"material": "resin"}, "not printed on a fdm printer"),
        ({"overhang_deg": 95}, "between 0 and 90"),
        ({"build_volume_mm": (100, 0, 100)}, "build volume"),
    ],
)
def test_settings_refuse_nonsense(settings: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(PrintSettingsError, match=message):
        PrintSettings(**settings)


def test_a_fin_on_an_edge_is_non_manifold(tmp_path: Path) -> None:
    import trimesh

    box = cube(20)
    a, b = box.vertices[box.edges_unique[0]]
    fin_tip = (a + b) / 2 + np.array([0.0, 0.0, 30.0])
    vertices = np.vstack([box.vertices, fin_tip])
    edge = box.edges_unique[0]
    faces = np.vstack([box.faces, [[edge[0], edge[1], len(box.vertices)]]])
    finned = trimesh.Trimesh(vertices, faces, process=False)
    report = check_print(save(finned, tmp_path / "fin.stl"), PrintSettings())
    assert report.topology.non_manifold_edges == 1
    assert finding(report, "non_manifold").severity is Severity.WARNING


def test_the_pool_reports_progress_and_gives_the_same_report(tmp_path: Path) -> None:
    import asyncio

    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.mesh.printing.check import check_print_in_pool

    path = save(cup(), tmp_path / "cup.stl")
    steps: list[tuple[float, str]] = []
    try:
        report = asyncio.run(
            asyncio.wait_for(
                check_print_in_pool(path, PrintSettings(), lambda f, m: steps.append((f, m))), 60
            )
        )
    finally:
        shutdown_process_pool()
    assert [f for f, _ in steps] == [0.0, 0.5, 1.0]
    assert steps[1][1] == "Measuring the walls"
    assert report.lines() == check_print(path, PrintSettings()).lines()
