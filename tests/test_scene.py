"""Load real model files into a Scene: every format we write or receive, and hostile ones."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from image2model_desktop.mesh.export import export_with_options
from image2model_desktop.mesh.inspect import inspect_mesh
from image2model_desktop.mesh.options import ExportOptions
from image2model_desktop.mesh.scene import MAX_TEXTURE_SIDE, Scene, load_scene

RED, BLUE = (255, 0, 0), (0, 0, 255)
#: A unit quad facing +Z: bottom-left, bottom-right, top-right, top-left.
QUAD = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], dtype=np.float32)
QUAD_FACES = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)


@pytest.fixture
def model(offline_duck_glb: Path) -> Path:
    return offline_duck_glb


def _red_over_blue(width: int = 8, height: int = 8) -> Image.Image:
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[: height // 2] = RED
    pixels[height // 2 :] = BLUE
    return Image.fromarray(pixels)


def _encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _write_glb(
    path: Path,
    *,
    texcoords: np.ndarray | None = None,
    image: bytes | None = None,
    node: dict[str, object] | None = None,
) -> Path:
    """Write QUAD as a minimal glTF 2.0 binary by hand, independent of trimesh's writer."""
    chunks = [QUAD.tobytes(), QUAD_FACES.tobytes()]
    if texcoords is not None:
        chunks.append(texcoords.astype(np.float32).tobytes())
    if image is not None:
        chunks.append(image)
    views, offset = [], 0
    blob = b""
    for chunk in chunks:
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": len(chunk)})
        padded = chunk + b"\0" * (-len(chunk) % 4)
        blob += padded
        offset += len(padded)
    accessors: list[dict[str, object]] = [
        {
            "bufferView": 0,
            "componentType": 5126,
            "count": 4,
            "type": "VEC3",
            "min": QUAD.min(axis=0).tolist(),
            "max": QUAD.max(axis=0).tolist(),
        },
        {"bufferView": 1, "componentType": 5125, "count": 6, "type": "SCALAR"},
    ]
    attributes = {"POSITION": 0}
    primitive: dict[str, object] = {"attributes": attributes, "indices": 1}
    gltf: dict[str, object] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, **(node or {})}],
        "meshes": [{"primitives": [primitive]}],
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(blob)}],
    }
    if texcoords is not None:
        accessors.append({"bufferView": 2, "componentType": 5126, "count": 4, "type": "VEC2"})
        attributes["TEXCOORD_0"] = 2
    if image is not None:
        gltf["images"] = [{"bufferView": len(views) - 1, "mimeType": "image/png"}]
        gltf["textures"] = [{"source": 0}]
        gltf["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
        primitive["material"] = 0
    text = json.dumps(gltf).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<I4s", len(text), b"JSON") + text + struct.pack("<I4s", len(blob), b"BIN\0")
    body += blob
    path.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body)
    return path


def _texel(scene: Scene, vertex: int) -> tuple[int, ...]:
    """The texture colour at ``vertex``'s UV, read with the documented bottom-left origin."""
    return tuple(int(c) for c in _texels(scene, np.array([vertex]))[0])


def _texels(scene: Scene, vertices: np.ndarray) -> np.ndarray:
    part = scene.parts[0]
    assert part.texture is not None and part.uvs is not None
    height, width = part.texture.shape[:2]
    uvs = part.uvs[vertices]
    columns = np.minimum((uvs[:, 0] * width).astype(int), width - 1)
    rows = np.minimum(((1 - uvs[:, 1]) * height).astype(int), height - 1)
    return part.texture[rows, columns, :3]


def test_offline_glb_loads_textured_with_every_face(model: Path) -> None:
    scene = load_scene(model)
    stats = inspect_mesh(model)
    assert scene.faces == stats.faces and scene.vertices == stats.vertices
    assert scene.textured
    np.testing.assert_allclose(scene.bounds, [stats.bounds_min, stats.bounds_max], atol=1e-6)
    (part,) = scene.parts
    assert part.positions.dtype == np.float32 and part.positions.shape == (stats.vertices, 3)
    assert part.faces.dtype == np.uint32 and part.faces.flags.c_contiguous
    assert part.uvs is not None and part.uvs.shape == (stats.vertices, 2)
    assert part.texture is not None and part.texture.flags.c_contiguous
    assert part.base_color == (1.0, 1.0, 1.0, 1.0)
    np.testing.assert_allclose(np.linalg.norm(part.normals, axis=1), 1.0, atol=1e-5)


def test_offline_glb_texture_shows_the_photo_upright(model: Path) -> None:
    # In the photo the beak (orange) points left, the crown is yellow and below is shadow.
    scene = load_scene(model)
    x, y = scene.parts[0].positions[:, 0], scene.parts[0].positions[:, 1]
    red, green, blue = _texels(scene, np.flatnonzero(x < x.min() + 0.05)).mean(axis=0)
    assert red > 150 and green < 0.6 * red and blue < 60
    red, green, blue = _texels(scene, np.flatnonzero(y > y.max() - 0.05)).mean(axis=0)
    assert red > 180 and green > 150 and blue < 80


def test_obj_zip_export_loads_textured(model: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(
        export_with_options(model, tmp_path / "duck.obj.zip", ExportOptions()).path
    ) as archive:
        archive.extractall(tmp_path / "unzipped")
    scene = load_scene(tmp_path / "unzipped" / "duck.obj")
    original = load_scene(model)
    assert scene.faces == original.faces
    assert scene.textured
    # Kd 0.4, which trimesh writes beside map_Kd, must not darken the photo.
    assert scene.parts[0].base_color == (1.0, 1.0, 1.0, 1.0)
    np.testing.assert_allclose(scene.bounds, original.bounds, atol=1e-5)


def test_stl_loads_untextured(model: Path, tmp_path: Path) -> None:
    scene = load_scene(export_with_options(model, tmp_path / "duck.stl", ExportOptions()).path)
    assert scene.faces == inspect_mesh(model).faces
    assert not scene.textured
    assert scene.parts[0].colors is None and scene.parts[0].uvs is None


def test_ply_keeps_vertex_colours(model: Path, tmp_path: Path) -> None:
    scene = load_scene(export_with_options(model, tmp_path / "duck.ply", ExportOptions()).path)
    (part,) = scene.parts
    assert not scene.textured
    assert part.colors is not None and part.colors.shape == (len(part.positions), 4)
    assert part.colors[:, 0].mean() > 150 and part.colors[:, 2].mean() < 120


def test_node_transform_is_applied(tmp_path: Path) -> None:
    node = {"translation": [10.0, 0.0, 0.0], "scale": [2.0, 3.0, 1.0]}
    scene = load_scene(_write_glb(tmp_path / "moved.glb", node=node))
    np.testing.assert_allclose(scene.bounds, [[8, -3, 0], [12, 3, 0]])
    np.testing.assert_allclose(scene.parts[0].positions, QUAD * [2, 3, 1] + [10, 0, 0])


def test_mirroring_node_keeps_normals_facing_out(tmp_path: Path) -> None:
    scene = load_scene(_write_glb(tmp_path / "mirror.glb", node={"scale": [-1.0, 1.0, 1.0]}))
    part = scene.parts[0]
    a, b, c = part.positions[part.faces[0]]
    facing = np.cross(b - a, c - a) @ part.normals[part.faces[0, 0]]
    assert facing > 0


def test_uv_convention_is_bottom_left_for_glb(tmp_path: Path) -> None:
    # glTF puts (0, 0) at the image's top-left: the top corners get v = 0.
    texcoords = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=np.float32)
    path = _write_glb(tmp_path / "uv.glb", texcoords=texcoords, image=_encoded(_red_over_blue()))
    scene = load_scene(path)
    uvs = scene.parts[0].uvs
    assert uvs is not None
    np.testing.assert_allclose(uvs, [[0, 0], [1, 0], [1, 1], [0, 1]])
    assert _texel(scene, 3) == RED  # top-left corner
    assert _texel(scene, 0) == BLUE  # bottom-left corner


def test_uv_convention_is_bottom_left_for_obj(tmp_path: Path) -> None:
    _red_over_blue().save(tmp_path / "quad.png")
    (tmp_path / "quad.mtl").write_text("newmtl m\nKd 0.4 0.4 0.4\nmap_Kd quad.png\n")
    lines = ["mtllib quad.mtl", "usemtl m"]
    lines += [f"v {x} {y} {z}" for x, y, z in QUAD]
    lines += ["vt 0 0", "vt 1 0", "vt 1 1", "vt 0 1"]  # OBJ: (0, 0) is bottom-left
    lines += ["f 1/1 2/2 3/3", "f 1/1 3/3 4/4"]
    (tmp_path / "quad.obj").write_text("\n".join(lines) + "\n")
    scene = load_scene(tmp_path / "quad.obj")
    top_left = int(np.argmin(scene.parts[0].positions[:, 0] - scene.parts[0].positions[:, 1]))
    assert _texel(scene, top_left) == RED


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_large_texture_is_downscaled(tmp_path: Path, fmt: str) -> None:
    big = _red_over_blue(4096, 1024)
    texcoords = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=np.float32)
    path = _write_glb(tmp_path / "big.glb", texcoords=texcoords, image=_encoded(big, fmt))
    texture = load_scene(path).parts[0].texture
    assert texture is not None
    assert texture.shape == (MAX_TEXTURE_SIDE // 4, MAX_TEXTURE_SIDE, 3)
    assert texture.flags.c_contiguous
    assert tuple(texture[10, 10]) == pytest.approx(RED, abs=8)


def test_empty_file_is_refused_clearly(tmp_path: Path) -> None:
    for name in ("empty.glb", "empty.stl", "empty.obj"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(ValueError, match=re.escape(f"{name} holds no mesh to show")):
            load_scene(tmp_path / name)


def test_file_without_faces_is_refused_clearly(tmp_path: Path) -> None:
    header = "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
    (tmp_path / "dots.ply").write_text(header + "property float z\nend_header\n0 0 0\n")
    with pytest.raises(ValueError, match=re.escape("dots.ply holds no mesh to show")):
        load_scene(tmp_path / "dots.ply")


def test_garbage_raises_the_parse_error(tmp_path: Path) -> None:
    (tmp_path / "garbage.glb").write_bytes(b"this is not a model" * 10)
    with pytest.raises(ValueError) as caught:
        load_scene(tmp_path / "garbage.glb")
    assert "holds no mesh" not in str(caught.value)
