"""Check a model file for printing: ``check_print`` in one process, or in stages over the pool.

Stages, so a window can show progress while the work runs in the process pool
(``check_print_in_pool``): reading and measuring the shape (load, weld,
topology, overhangs, orientation), then the walls (ray casting, the slow part
on big models: ``bench/print_check.py`` says how slow). The shape travels to
the second stage as two arrays.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from image2model_desktop.mesh.printing.model import PrintModel, load_print_model
from image2model_desktop.mesh.printing.orient import OrientSuggestion
from image2model_desktop.mesh.printing.overhang import Overhangs
from image2model_desktop.mesh.printing.profiles import PrinterKind, PrintSettings
from image2model_desktop.mesh.printing.report import (
    FaceMap,
    Finding,
    Fix,
    Legend,
    PrintReport,
    Severity,
    location_words,
    plural,
    verdict_of,
)
from image2model_desktop.mesh.printing.topology import Topology

#: ``progress(fraction 0..1, what is happening)``.
Progress = Callable[[float, str], None]

#: The shape stage's share of a check's time, for progress (bench/print_check.py: about half).
_SHAPE_SHARE = 0.5


@dataclass(frozen=True)
class ShapeFacts:
    """What the first stage learns; everything but the walls. Pickles (plain arrays)."""

    vertices: npt.NDArray[np.float64]
    faces: npt.NDArray[np.int64]
    #: Outward unit normals per face (shells turned inside out corrected).
    outward: npt.NDArray[np.float64]
    source_faces: npt.NDArray[np.int64]
    source_face_count: int
    topology: Topology
    overhangs: Overhangs
    orientation: OrientSuggestion
    #: Solid volume (mm³) when the shape is closed.
    volume_mm3: float | None
    timings: dict[str, float]


def check_print(
    path: Path, settings: PrintSettings, progress: Progress | None = None
) -> PrintReport:
    """Check ``path`` as the settings say, in this process; report progress if asked."""
    report = progress or _quiet
    report(0.0, "Reading the model")
    facts = measure_shape(path, settings)
    report(_SHAPE_SHARE, "Measuring the walls")
    thickness = measure_walls(facts) if settings.measure_thickness else None
    report(1.0, "Done")
    return build_report(facts, thickness, settings)


async def check_print_in_pool(
    path: Path, settings: PrintSettings, progress: Progress | None = None
) -> PrintReport:
    """``check_print`` in the shared process pool (the GIL stays free for the window)."""
    from image2model_desktop.core.workers import run_in_process

    report = progress or _quiet
    report(0.0, "Reading the model")
    facts = await run_in_process(measure_shape, path, settings)
    report(_SHAPE_SHARE, "Measuring the walls")
    thickness = await run_in_process(measure_walls, facts) if settings.measure_thickness else None
    report(1.0, "Done")
    return build_report(facts, thickness, settings)


def measure_shape(path: Path, settings: PrintSettings) -> ShapeFacts:
    """Stage one: load and place the model, and measure all but its walls."""
    started = time.perf_counter()
    model = load_print_model(path, settings.height_mm)
    loaded = time.perf_counter()
    return shape_facts(model, settings, {"load": loaded - started})


def shape_facts(
    model: PrintModel, settings: PrintSettings, timings: dict[str, float]
) -> ShapeFacts:
    """Measure topology, overhangs, orientation and volume of a placed model."""
    from image2model_desktop.mesh.printing.orient import suggest_orientation
    from image2model_desktop.mesh.printing.overhang import find_overhangs
    from image2model_desktop.mesh.printing.topology import inspect_topology, outward_normals

    mesh = model.mesh
    started = time.perf_counter()
    topology = inspect_topology(mesh)
    outward, volume = outward_normals(mesh)
    measured = time.perf_counter()
    overhangs = find_overhangs(mesh, settings.overhang_deg, outward)
    orientation = suggest_orientation(mesh, settings.overhang_deg)
    done = time.perf_counter()
    return ShapeFacts(
        vertices=np.asarray(mesh.vertices, dtype=np.float64),
        faces=np.asarray(mesh.faces, dtype=np.int64),
        outward=outward,
        source_faces=model.source_faces,
        source_face_count=model.source_face_count,
        topology=topology,
        overhangs=overhangs,
        orientation=orientation,
        volume_mm3=volume if topology.watertight else None,
        timings={**timings, "topology": measured - started, "overhangs": done - measured},
    )


def measure_walls(facts: ShapeFacts) -> npt.NDArray[np.float32]:
    """Stage two: the wall thickness behind each face (mm; inf where unmeasured)."""
    import trimesh

    from image2model_desktop.mesh.printing.thickness import wall_thickness

    mesh = trimesh.Trimesh(facts.vertices, facts.faces, process=False)
    return wall_thickness(mesh, facts.outward)


def build_report(
    facts: ShapeFacts, thickness: npt.NDArray[np.float32] | None, settings: PrintSettings
) -> PrintReport:
    """Turn the measurements into findings, a verdict and the preview's maps."""
    started = time.perf_counter()
    low = facts.vertices.min(axis=0) if len(facts.vertices) else np.zeros(3)
    high = facts.vertices.max(axis=0) if len(facts.vertices) else np.zeros(3)
    size = (float(high[0] - low[0]), float(high[1] - low[1]), float(high[2] - low[2]))
    material = settings.material_info
    volume = facts.volume_mm3
    weight = None if volume is None else volume / 1000 * material.density
    filament = None
    if volume is not None and material.filament_mm is not None:
        filament = volume / (math.pi * (material.filament_mm / 2) ** 2) / 1000
    findings = [
        *_topology_findings(facts.topology),
        _fit_finding(size, settings),
    ]
    thinnest = None
    thickness_map = None
    if thickness is not None:
        finding, thinnest = _wall_finding(facts, thickness, size, settings, low, high)
        if finding is not None:
            findings.append(finding)
        thickness_map = FaceMap(
            "thickness",
            _on_source_faces(facts, thickness),
            Legend(
                "Wall thickness",
                "mm",
                0.0,
                2 * settings.min_wall,
                settings.min_wall,
                bad_below=True,
            ),
        )
    findings.append(_overhang_finding(facts, settings))
    findings.append(_material_finding(volume, weight, filament, settings))
    timings = {**facts.timings, "report": time.perf_counter() - started}
    return PrintReport(
        settings=settings,
        verdict=verdict_of(findings),
        findings=tuple(findings),
        size_mm=size,
        faces=len(facts.faces),
        topology=facts.topology,
        volume_mm3=volume,
        weight_g=weight,
        filament_m=filament,
        thinnest_mm=thinnest,
        support_share=facts.overhangs.share,
        thickness=thickness_map,
        overhang=FaceMap(
            "overhang",
            _on_source_faces(facts, facts.overhangs.angle),
            Legend("Overhang", "°", 0.0, 90.0, settings.overhang_deg, bad_below=False),
        ),
        timings=timings,
    )


def _quiet(fraction: float, message: str) -> None:
    """No progress wanted."""


def _on_source_faces(facts: ShapeFacts, values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    result = np.full(facts.source_face_count, np.nan, dtype=np.float32)
    result[facts.source_faces] = np.where(np.isfinite(values), values, np.nan)
    return result


def _topology_findings(topology: Topology) -> list[Finding]:
    findings = []
    if topology.holes:
        findings.append(
            Finding(
                "holes",
                Severity.PROBLEM,
                f"{plural(topology.holes, 'hole')} in the surface: a slicer cannot tell inside "
                "from outside there; Repair closes them.",
                topology.holes,
                Fix.REPAIR,
            )
        )
    if topology.non_manifold_edges:
        findings.append(
            Finding(
                "non_manifold",
                Severity.WARNING,
                f"{plural(topology.non_manifold_edges, 'edge')} shared by more than two faces "
                "(non-manifold): slicers may fill or drop them; Repair rebuilds one clean shell.",
                topology.non_manifold_edges,
                Fix.REPAIR,
            )
        )
    if topology.shells > 1:
        findings.append(
            Finding(
                "shells",
                Severity.WARNING,
                f"{plural(topology.shells, 'separate part')}: loose parts print as loose pieces; "
                "Repair joins overlapping ones into one shell.",
                topology.shells,
                Fix.REPAIR,
            )
        )
    if topology.inverted_shells or topology.flipped_edges:
        count = topology.inverted_shells
        what = (
            f"{plural(count, 'part')} turned inside out"
            if count
            else f"{plural(topology.flipped_edges, 'edge')} between faces facing opposite ways"
        )
        findings.append(
            Finding(
                "inverted",
                Severity.WARNING,
                f"{what[0].upper()}{what[1:]}: some slicers print those as holes; "
                "Repair turns every face outwards.",
                count or topology.flipped_edges,
                Fix.REPAIR,
            )
        )
    if not findings:
        findings.append(
            Finding("watertight", Severity.OK, "The surface is closed: one watertight shell.")
        )
    return findings


def _fit_finding(size: tuple[float, float, float], settings: PrintSettings) -> Finding:
    volume = settings.build_volume
    measured = f"{_mm(size[0])} × {_mm(size[1])} × {_mm(size[2])} mm"
    bed = f"{_mm(volume[0])} × {_mm(volume[1])} × {_mm(volume[2])} mm"
    # Turning it a quarter about Z is free, so compare the footprint both ways.
    flat = sorted(size[:2])
    bed_flat = sorted(volume[:2])
    scale = min(
        bed_flat[0] / flat[0] if flat[0] else math.inf,
        bed_flat[1] / flat[1] if flat[1] else math.inf,
        volume[2] / size[2] if size[2] else math.inf,
    )
    if scale >= 1:
        return Finding(
            "build_volume", Severity.OK, f"At {measured} it fits the {bed} build volume.", scale
        )
    height = size[2] * scale * 0.99
    return Finding(
        "build_volume",
        Severity.PROBLEM,
        f"At {measured} it does not fit the {bed} build volume: print it at most "
        f"{_mm(height)} mm tall, or split it.",
        scale,
        Fix.RESIZE,
        suggested_height_mm=height,
    )


def _wall_finding(
    facts: ShapeFacts,
    thickness: npt.NDArray[np.float32],
    size: tuple[float, float, float],
    settings: PrintSettings,
    low: Any,
    high: Any,
) -> tuple[Finding | None, float | None]:
    finite = np.isfinite(thickness)
    if not finite.any():
        return None, None
    minimum = settings.min_wall
    kind = "FDM" if settings.printer is PrinterKind.FDM else "resin"
    areas = _face_areas(facts)
    thinnest_face = _thinnest_patch(thickness, areas, finite, minimum)
    thinnest = float(thickness[thinnest_face])
    if thinnest >= minimum:
        return (
            Finding(
                "thin_walls",
                Severity.OK,
                f"Walls are at least {thinnest:.2f} mm thick "
                f"(the {kind} minimum is {minimum:g} mm).",
                thinnest,
            ),
            thinnest,
        )
    thin = finite & (thickness < minimum)
    share = float(areas[thin].sum() / max(areas.sum(), 1e-12))
    centre = facts.vertices[facts.faces[thinnest_face]].mean(axis=0)
    where = location_words(centre, low, high)
    severity = Severity.PROBLEM if thinnest < minimum / 2 else Severity.WARNING
    height = size[2] * minimum / max(thinnest, 1e-6)
    return (
        Finding(
            "thin_walls",
            severity,
            f"Walls down to {thinnest:.2f} mm {where}: {_percent(share)} of the surface is under "
            f"the {minimum:g} mm {kind} minimum; printed {_mm(height)} mm tall "
            "they would reach it.",
            thinnest,
            Fix.RESIZE,
            suggested_height_mm=height,
        ),
        thinnest,
    )


def _thinnest_patch(
    thickness: npt.NDArray[np.float32],
    areas: npt.NDArray[np.float64],
    finite: npt.NDArray[np.bool_],
    minimum: float,
) -> int:
    """The face at the thinnest wall that spans at least a nozzle's footprint (π·minimum²).

    Booleans and curved bases leave knife edges a few hundredths of a square
    millimetre big (a drain hole through a sloping floor: 0.003 mm walls over
    0.001 mm² faces); no printer resolves them, and calling the model red for
    them would be noise. The map still shows every face's value.
    """
    measured = np.flatnonzero(finite)
    order = measured[np.argsort(thickness[measured], kind="stable")]
    covered = np.cumsum(areas[order])
    patch = min(math.pi * minimum**2, float(covered[-1]))
    return int(order[int(np.searchsorted(covered, patch))])


def _overhang_finding(facts: ShapeFacts, settings: PrintSettings) -> Finding:
    share = facts.overhangs.share
    angle = f"{settings.overhang_deg:g}°"
    if share <= 0:
        return Finding(
            "overhangs", Severity.OK, f"Nothing leans more than {angle}: no support needed.", 0.0
        )
    sentence = f"{_percent(share)} of the surface leans more than {angle} and needs support"
    orientation = facts.orientation
    if orientation.worth_it:
        return Finding(
            "overhangs",
            Severity.OK,
            f"{sentence}; {orientation.description}, it would need "
            f"{_percent(orientation.share_after)}.",
            share,
            Fix.ORIENT,
        )
    return Finding("overhangs", Severity.OK, f"{sentence}.", share)


def _material_finding(
    volume: float | None, weight: float | None, filament: float | None, settings: PrintSettings
) -> Finding:
    material = settings.material_info
    if volume is None or weight is None:
        return Finding(
            "material",
            Severity.OK,
            "The material needed is unknown until the surface is closed.",
        )
    amount = f"{volume / 1000:.1f} cm³, {weight:.0f} g of {material.name}"
    if filament is not None:
        amount += f", {filament:.1f} m of {material.filament_mm:g} mm filament"
    note = " (solid; infill uses less)" if filament is not None else ""
    return Finding("material", Severity.OK, f"Solid it takes {amount}{note}.", volume)


def _face_areas(facts: ShapeFacts) -> npt.NDArray[np.float64]:
    triangles = facts.vertices[facts.faces]
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    result: npt.NDArray[np.float64] = np.linalg.norm(cross, axis=1) / 2
    return result


def _mm(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2g}"


def _percent(share: float) -> str:
    if share <= 0:
        return "none"
    return f"{share * 100:.0f} %" if share >= 0.01 else "under 1 %"
