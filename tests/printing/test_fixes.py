"""Fixes that keep the look: repair, hollow, orient (issue 21's acceptance meshes)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import trimesh
from testkit import make_textured_sphere_glb

from image2model_desktop.core.errors import HollowError
from image2model_desktop.mesh.export import load_single_mesh
from image2model_desktop.mesh.printing.hollow import hollow
from image2model_desktop.mesh.printing.orient import suggest_orientation, support_share
from image2model_desktop.mesh.printing.repair import make_printable
from image2model_desktop.mesh.printing.topology import inspect_topology

from .shapes import cube, open_box, t_shape


def test_box_with_a_removed_face_is_closed_to_watertight() -> None:
    box = open_box()
    assert inspect_topology(box).holes == 1
    result = make_printable(box)
    assert result.holes_closed == 1 and result.watertight
    assert result.mesh.is_watertight and result.mesh.volume == pytest.approx(20**3)
    assert result.sentences() == ["Closed 1 hole."]


def test_repair_keeps_the_texture_and_turns_an_inside_out_model(tmp_path: Path) -> None:
    # The test sphere is wound inwards; cut a hole in it as well.
    sphere = load_single_mesh(make_textured_sphere_glb(tmp_path / "s.glb", 2_000))
    faces = np.delete(np.asarray(sphere.faces), [400, 401], axis=0)
    holed = trimesh.Trimesh(sphere.vertices, faces, visual=sphere.visual.copy(), process=False)
    result = make_printable(holed)
    assert result.watertight and result.holes_closed == 1 and result.faces_flipped > 0
    mesh = result.mesh
    assert mesh.visual.kind == "texture" and len(mesh.visual.uv) == len(mesh.vertices)
    welded = trimesh.Trimesh(mesh.vertices, mesh.faces, process=True)
    assert welded.is_watertight and welded.volume > 0


def test_overlapping_shells_become_one() -> None:
    a = trimesh.creation.icosphere(3, radius=10)
    b = a.copy()
    b.apply_translation((8, 0, 0))
    result = make_printable(trimesh.util.concatenate([a, b]))
    assert result.shells_joined == 1 and result.watertight
    assert result.mesh.body_count == 1 and result.mesh.is_watertight
    assert result.mesh.volume < a.volume + b.volume


def test_cube_hollowed_at_2mm_with_a_4mm_drain() -> None:
    result = hollow(cube(40), wall=2.0, drain_diameter=4.0)
    drain_volume = math.pi * 2.0**2 * 2.0  # the hole through the 2 mm floor
    expected = 40**3 - 36**3 - drain_volume
    mesh = result.mesh
    assert mesh.is_watertight
    assert mesh.volume == pytest.approx(expected, rel=0.02)
    assert result.volume_after == pytest.approx(expected, rel=0.02)
    assert result.saved_share == pytest.approx(1 - expected / 40**3, rel=0.02)
    # The hole is at the lowest point: it opens the floor there and nowhere else.
    ((x, y, z),) = result.drains
    assert z == pytest.approx(0) and abs(x) < 2 and abs(y) < 2
    inside = mesh.contains([[x, y, 1.0], [x + 10, y, 1.0], [x, y, 20.0], [x, y, 39.0]])
    assert inside.tolist() == [False, True, False, True]
    assert result.outside.sum() > 0 and not result.outside.all()


def test_hollow_refuses_what_it_cannot_do() -> None:
    with pytest.raises(HollowError, match="Repair"):
        hollow(open_box(), 2.0, None)
    with pytest.raises(HollowError, match="nowhere thicker"):
        hollow(cube(3), 2.0, None)


def test_orientation_cuts_the_t_shapes_support() -> None:
    mesh = t_shape()
    suggestion = suggest_orientation(mesh, 45)
    assert suggestion.share_before == pytest.approx(support_share(mesh, np.array([0, 0, 1.0]), 45))
    assert suggestion.share_before > 0.1 and suggestion.share_after == 0 and suggestion.worth_it
    turned = mesh.copy()
    turned.apply_transform(suggestion.rotation)
    assert turned.extents[2] == pytest.approx(10)  # lying on its face: the lowest pose
    assert support_share(turned, np.array([0, 0, 1.0]), 45) == 0


def test_a_cube_keeps_its_pose() -> None:
    suggestion = suggest_orientation(cube(20), 45)
    assert suggestion.description == "as it stands" and not suggestion.worth_it
    assert np.allclose(suggestion.rotation, np.eye(4))
