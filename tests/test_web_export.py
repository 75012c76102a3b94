"""The game/web export profile: LOD chain, Draco geometry, JPEG textures, size budget.

trimesh cannot decode Draco, so ``load_web_glb`` reads each written GLB the way
a glTF loader does: the JSON chunk, the ``KHR_draco_mesh_compression`` buffer
decoded with DracoPy, the embedded image; and builds a ``trimesh.Trimesh`` with
that texture from them. The face counts and texture checks below are on the
bytes written, not on the meshes before encoding. The browser test renders the
same files with three.js in Chromium.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image
from testkit import make_textured_sphere_glb

from image2model_desktop.cli import main
from image2model_desktop.core.errors import WebProfileError
from image2model_desktop.mesh.export import load_single_mesh, texture_image
from image2model_desktop.mesh.options import ExportOptions
from image2model_desktop.mesh.web import (
    DEFAULT_MAX_TEXTURE,
    JPEG_QUALITIES,
    LOD_RATIOS,
    MIN_BUDGET_FACES,
    MIN_BUDGET_TEXTURE,
    WebProfile,
    export_web,
    format_size,
    lod_paths,
    parse_size,
    plan_web_export,
    write_web_export,
)


def load_web_glb(path: Path) -> tuple[dict[str, Any], trimesh.Trimesh]:
    """Decode a web-profile GLB into its glTF document and a textured trimesh."""
    import DracoPy

    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<III", data)
    assert (magic, version, length) == (0x46546C67, 2, len(data))
    json_length, _ = struct.unpack_from("<II", data, 12)
    document = json.loads(data[20 : 20 + json_length])
    binary = data[20 + json_length + 8 :]

    def view(index: int) -> bytes:
        found = document["bufferViews"][index]
        start = found.get("byteOffset", 0)
        return binary[start : start + found["byteLength"]]

    (primitive,) = document["meshes"][0]["primitives"]
    draco = primitive["extensions"]["KHR_draco_mesh_compression"]
    decoded: Any = DracoPy.decode(view(draco["bufferView"]))
    by_id = {attribute["unique_id"]: attribute["data"] for attribute in decoded.attributes}
    attributes = {name: by_id[unique] for name, unique in draco["attributes"].items()}
    visual = None
    if "images" in document:
        image = Image.open(io.BytesIO(view(document["images"][0]["bufferView"])))
        uv = np.asarray(attributes["TEXCOORD_0"], dtype=np.float64).copy()
        uv[:, 1] = 1 - uv[:, 1]  # glTF's top-left to trimesh's bottom-left
        visual = trimesh.visual.TextureVisuals(uv=uv, image=image)
    elif "COLOR_0" in attributes:
        visual = trimesh.visual.ColorVisuals(vertex_colors=attributes["COLOR_0"])
    mesh = trimesh.Trimesh(attributes["POSITION"], decoded.faces, visual=visual, process=False)
    return document, mesh


def texture_colors(mesh: Any) -> np.ndarray:
    """The texture's colour at each vertex's UV (nearest texel), as int RGB."""
    image = np.asarray(texture_image(mesh).convert("RGB"), dtype=np.int64)
    height, width = image.shape[:2]
    uv = np.asarray(mesh.visual.uv, dtype=np.float64)
    x = np.clip((uv[:, 0] % 1.0) * width, 0, width - 1).astype(int)
    y = np.clip((1 - uv[:, 1] % 1.0) * height, 0, height - 1).astype(int)
    return image[y, x]


def test_each_lod_decodes_with_the_faces_asked_and_its_texture_in_place(tmp_path: Path) -> None:
    src = make_textured_sphere_glb(tmp_path / "sphere.glb", 8_000, texture_size=512)
    source = load_single_mesh(src)
    plan = export_web(src, tmp_path / "web" / "ball.glb", profile=WebProfile(lods=4))
    names = [file.path.name for file in plan.files]
    assert names == ["ball.glb", "ball.lod1.glb", "ball.lod2.glb", "ball.lod3.glb"]
    source_colors = texture_colors(source)
    for file, ratio in zip(plan.files, LOD_RATIOS, strict=False):
        document, mesh = load_web_glb(file.path)
        asked = round(len(source.faces) * ratio)
        assert file.faces_asked == asked
        # Draco drops the poles' zero-area faces; every level keeps its share within 5 %.
        assert abs(len(mesh.faces) - asked) <= 0.05 * asked, (file.path.name, len(mesh.faces))
        assert document["extensionsRequired"] == ["KHR_draco_mesh_compression"]
        assert document["images"][0]["mimeType"] == "image/jpeg"
        texture = texture_image(mesh)
        assert max(texture.size) == file.texture_side
        # Each vertex shows the colour the source shows at its place: UVs kept, V not flipped.
        nearest = source.kdtree.query(mesh.vertices)[1]
        difference = np.abs(texture_colors(mesh) - source_colors[nearest]).sum(axis=1)
        assert np.median(difference) < 40, (file.path.name, np.median(difference))
        assert mesh.bounds == pytest.approx(source.bounds, abs=0.05)
    assert [file.texture_side for file in plan.files] == [512, 256, 128, 64]


def test_a_web_export_is_under_a_third_of_the_plain_glb(
    offline_duck_glb: Path, tmp_path: Path
) -> None:
    """The offline engine's textured duck: LOD0 (what a page loads) and the whole chain."""
    plain = offline_duck_glb.stat().st_size  # exporting to .glb copies the model as it is
    plan = export_web(offline_duck_glb, tmp_path / "duck.glb")
    assert plan.files[0].path.stat().st_size == plan.files[0].size
    assert plan.files[0].size <= plain / 3, (plan.files[0].size, plain)
    # All four levels together still weigh less than the plain GLB alone.
    assert plan.total_bytes < plain, (plan.total_bytes, plain)
    assert sum(path.stat().st_size for path in lod_paths(tmp_path / "duck.glb", 4)) == (
        plan.total_bytes
    )


def test_a_budget_lowers_the_texture_first_then_the_faces(tmp_path: Path) -> None:
    src = make_textured_sphere_glb(tmp_path / "big.glb", 20_000, texture_size=1024, ripple=0.05)
    dest = tmp_path / "out.glb"
    free = plan_web_export(src, dest)
    assert free.fits and free.budget is None and not free.warnings
    assert free.files[0].texture_side == DEFAULT_MAX_TEXTURE
    assert free.texture_quality == JPEG_QUALITIES[0]

    # A budget that a 512 px texture meets: met without touching the faces.
    half_side = plan_web_export(src, dest, profile=WebProfile(max_texture=512))
    texture_only = plan_web_export(src, dest, profile=WebProfile(budget=half_side.total_bytes))
    assert texture_only.fits and not texture_only.warnings
    assert texture_only.files[0].faces == free.files[0].faces
    lowered = (texture_only.files[0].texture_side, texture_only.texture_quality)
    assert (512, JPEG_QUALITIES[0]) <= lowered < (DEFAULT_MAX_TEXTURE, JPEG_QUALITIES[0])

    # Halfway between every face and the fewest at the smallest texture: the faces go too.
    every_face = plan_web_export(src, dest, profile=WebProfile(max_texture=MIN_BUDGET_TEXTURE))
    fewest = plan_web_export(src, dest, profile=WebProfile(budget=1))
    assert fewest.files[0].faces == MIN_BUDGET_FACES and not fewest.fits
    budget = (every_face.total_bytes + fewest.total_bytes) // 2
    faces_cut = plan_web_export(src, dest, profile=WebProfile(budget=budget))
    assert faces_cut.fits and faces_cut.total_bytes <= budget, faces_cut.warnings
    assert faces_cut.files[0].texture_side == MIN_BUDGET_TEXTURE
    assert faces_cut.texture_quality == JPEG_QUALITIES[-1]
    assert MIN_BUDGET_FACES < faces_cut.files[0].faces < free.files[0].faces
    assert not dest.exists()  # planning writes nothing


def test_a_budget_out_of_reach_is_explained_and_the_smallest_export_written(
    tmp_path: Path,
) -> None:
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 4_000, texture_size=512)
    plan = export_web(src, tmp_path / "out.glb", profile=WebProfile(budget=2_000, lods=2))
    assert not plan.fits
    (warning,) = plan.warnings
    assert warning.startswith("Even the smallest web export (500 faces, a 256 px texture)")
    assert plan.files[0].faces == 500
    assert "over the 2.0 KB budget: raise the budget or ask for fewer levels of detail." in warning
    assert all(file.path.exists() for file in plan.files)


def test_a_plan_travels_to_and_from_a_pool_worker(offline_duck_glb: Path, tmp_path: Path) -> None:
    """The window plans in the process pool, shows the size, then writes what came back."""
    profile = WebProfile(lods=2, budget=parse_size("40KB"))
    assert pickle.loads(pickle.dumps(profile)) == profile
    plan = plan_web_export(offline_duck_glb, tmp_path / "duck.glb", ExportOptions(), profile)
    back = pickle.loads(pickle.dumps(plan))
    assert back == plan and back.total_bytes == plan.total_bytes <= 40_000
    write_web_export(back)
    assert [path.stat().st_size for path in lod_paths(tmp_path / "duck.glb", 2)] == [
        file.size for file in plan.files
    ]


def test_a_model_without_texture_keeps_its_shape_and_factors(tmp_path: Path) -> None:
    src = tmp_path / "box.glb"
    box = trimesh.creation.box(extents=(0.2, 0.1, 0.3))
    box.visual = trimesh.visual.TextureVisuals(
        material=trimesh.visual.material.PBRMaterial(
            baseColorFactor=[200, 30, 30, 255], metallicFactor=0.2, roughnessFactor=0.6
        )
    )
    box.export(src)
    plan = export_web(src, tmp_path / "box.web.glb", ExportOptions(), WebProfile(lods=1))
    document, mesh = load_web_glb(plan.files[0].path)
    assert "images" not in document and plan.texture_quality is None
    material = document["materials"][0]["pbrMetallicRoughness"]
    assert material["baseColorFactor"] == pytest.approx([200 / 255, 30 / 255, 30 / 255, 1.0])
    assert (material["metallicFactor"], material["roughnessFactor"]) == pytest.approx((0.2, 0.6))
    assert len(mesh.faces) == 12
    assert mesh.bounds == pytest.approx(box.bounds, abs=1e-4)


def test_an_obj_colour_without_texture_is_kept(tmp_path: Path) -> None:
    box = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    box.visual = trimesh.visual.TextureVisuals(
        material=trimesh.visual.material.SimpleMaterial(diffuse=[200, 20, 20, 255])
    )
    box.export(tmp_path / "red.obj")
    plan = export_web(tmp_path / "red.obj", tmp_path / "red.glb", profile=WebProfile(lods=1))
    document, _ = load_web_glb(plan.files[0].path)
    color = document["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"]
    assert color == pytest.approx([200 / 255, 20 / 255, 20 / 255, 1.0])


def test_a_transparent_texture_stays_png_and_vertex_colours_stay_colours(tmp_path: Path) -> None:
    sphere = load_single_mesh(make_textured_sphere_glb(tmp_path / "ball.glb", 800))
    image = Image.new("RGBA", (128, 128), (200, 120, 40, 255))
    image.paste((0, 0, 0, 0), (0, 0, 64, 128))
    sphere.visual = trimesh.visual.TextureVisuals(
        uv=sphere.visual.uv,
        material=trimesh.visual.material.PBRMaterial(baseColorTexture=image, alphaMode="BLEND"),
    )
    sphere.export(tmp_path / "glass.glb")
    plan = export_web(
        tmp_path / "glass.glb", tmp_path / "glass.web.glb", profile=WebProfile(lods=1)
    )
    document, mesh = load_web_glb(plan.files[0].path)
    assert document["images"][0]["mimeType"] == "image/png"
    assert document["materials"][0]["alphaMode"] == "BLEND"
    assert plan.texture_quality is None
    assert texture_image(mesh).getchannel("A").getextrema() == (0, 255)

    box = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    box.visual.vertex_colors = np.tile([10, 200, 30, 255], (len(box.vertices), 1)).astype(np.uint8)
    box.export(tmp_path / "box.glb")
    plan = export_web(tmp_path / "box.glb", tmp_path / "box.web.glb", profile=WebProfile(lods=1))
    document, mesh = load_web_glb(plan.files[0].path)
    primitive = document["meshes"][0]["primitives"][0]
    assert document["accessors"][primitive["attributes"]["COLOR_0"]]["normalized"] is True
    assert (mesh.visual.vertex_colors == [10, 200, 30, 255]).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5MB", 5_000_000), ("800 KB", 800_000), ("1.5m", 1_500_000), ("2MiB", 2 * 2**20),
     ("900", 900), ("64kb", 64_000)],
)  # fmt: skip
def test_sizes_read_as_decimal_units_unless_binary(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["five", "5 parsecs", "0MB", "-1MB", ""])
def test_a_size_that_is_not_one_says_how_to_write_it(text: str) -> None:
    with pytest.raises(WebProfileError):
        parse_size(text)


def test_sizes_show_as_file_managers_show_them() -> None:
    assert [format_size(n) for n in (900, 64_000, 1_830_000, 250_000_000)] == [
        "900 B",
        "64.0 KB",
        "1.8 MB",
        "250 MB",
    ]


def test_cli_web_profile_writes_the_chain_and_says_what_it_weighs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 6_000, texture_size=1024)
    dest = tmp_path / "ball-web.glb"
    code = main(["export", str(src), str(dest), "--profile", "web", "--budget", "120KB",
                 "--lods", "3"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(f"Wrote {dest}: ") and " faces, " in lines[0]
    assert "ball-web.lod2.glb" in lines[2]
    assert "(budget 120 KB): Draco geometry, JPEG quality " in lines[3]
    total = sum(path.stat().st_size for path in lod_paths(dest, 3))
    assert total <= 120_000
    assert not (tmp_path / "ball-web.lod3.glb").exists()


@pytest.mark.parametrize(
    ("extra", "dest", "message"),
    [
        (["--budget", "5MB"], "a.glb", "go with --profile web"),
        (["--profile", "web"], "a.stl", "writes GLB files: name DEST a.glb"),
        (["--profile", "web", "--lods", "9"], "a.glb", "1 to 6 levels of detail"),
        (["--profile", "web", "--budget", "lots"], "a.glb", "not a size"),
        (["--profile", "web", "--texture-size", "8"], "a.glb", "at least 64 px"),
    ],
)
def test_web_usage_errors_exit_2_with_one_sentence(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    dest: str,
    message: str,
) -> None:
    src = make_textured_sphere_glb(tmp_path / "ball.glb", 200, texture_size=64)
    code = main(["export", str(src), str(tmp_path / dest), *extra])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
