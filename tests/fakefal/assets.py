"""The files the fake serves as Tripo output: a textured GLB cube and a WebP render.

Both are real files (trimesh and Pillow read them back), built once per process
because trimesh's export costs ~0.1 s and every request shares the same bytes.
"""

from __future__ import annotations

import functools
import io
import struct

_GLB_MAGIC = b"glTF"
# glTF 2.0 says loaders must skip chunk types they do not know, so padding goes
# into a chunk of its own and the file stays valid at any size.
_PADDING_CHUNK_TYPE = b"PAD\x00"


@functools.cache
def textured_cube_glb() -> bytes:
    """Return a small binary glTF: a unit cube with UVs and a checker texture."""
    import numpy as np
    import trimesh
    from PIL import Image

    texture = Image.new("RGB", (16, 16))
    pixels = texture.load()
    assert pixels is not None
    for y in range(16):
        for x in range(16):
            pixels[x, y] = (230, 120, 40) if (x // 4 + y // 4) % 2 else (40, 90, 200)

    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    # Unmerge so every face corner has its own UV; a cube's shared corners cannot
    # carry one UV per face.
    box.unmerge_vertices()
    uv = np.zeros((len(box.vertices), 2))
    uv[:, 0] = (box.vertices[:, 0] + box.vertices[:, 2] + 1.0) / 2.0 % 1.0
    uv[:, 1] = (box.vertices[:, 1] + 0.5) % 1.0
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=texture)  # type: ignore[no-untyped-call]
    box.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)  # type: ignore[no-untyped-call]
    data: bytes = box.export(file_type="glb")
    return data


def padded_glb(size: int) -> bytes:
    """Return the cube GLB grown to at least `size` bytes with an ignorable chunk."""
    base = textured_cube_glb()
    missing = size - len(base) - 8
    if missing <= 0:
        return base
    missing += -missing % 4  # chunks are 4-byte aligned
    magic, version, _ = struct.unpack_from("<4sII", base)
    assert magic == _GLB_MAGIC
    chunk = struct.pack("<I4s", missing, _PADDING_CHUNK_TYPE) + bytes(missing)
    total = len(base) + len(chunk)
    return struct.pack("<4sII", magic, version, total) + base[12:] + chunk


@functools.cache
def rendered_preview_webp() -> bytes:
    """Return a small WebP standing in for Tripo's rendered preview."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (64, 64), (245, 245, 245))
    ImageDraw.Draw(image).polygon(
        [(32, 6), (58, 20), (58, 48), (32, 60), (6, 48), (6, 20)], fill=(230, 120, 40)
    )
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=80)
    return buffer.getvalue()


# FBX and USDZ are kept and handed out byte for byte, never parsed by the app, so
# the fake's need only look like their formats: FBX's binary header with filler,
# USDZ's uncompressed zip holding a USD text layer. OBJ is a real one (trimesh).
_FBX_MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"


def fbx_bytes(tag: str) -> bytes:
    """Stand-in FBX bytes: the binary header (version 7400), then filler naming ``tag``."""
    filler = (f"fake fbx of {tag};" * 64).encode("ascii")
    return _FBX_MAGIC + struct.pack("<I", 7400) + filler


def usdz_bytes(tag: str) -> bytes:
    """A USDZ-shaped zip (stored, uncompressed, as the format asks) with one USD text layer."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(
            "model.usda", f'#usda 1.0\n(\n    doc = "{tag}"\n)\ndef Xform "Model" {{}}\n'
        )
    return buffer.getvalue()


@functools.cache
def cube_obj() -> bytes:
    """The cube as OBJ text (geometry only)."""
    import trimesh

    text: str = trimesh.creation.box(extents=(1.0, 1.0, 1.0)).export(file_type="obj")
    return text.encode("utf-8")


@functools.cache
def remeshed_glb(faces: int) -> bytes:
    """A textured sphere with about ``faces`` faces (20·4ᵏ, k ≤ 5): a remesh's answer,
    plainly not the cube it was made from."""
    import math

    import numpy as np
    import trimesh
    from PIL import Image

    level = max(0, min(5, round(math.log(max(faces, 20) / 20, 4))))
    sphere = trimesh.creation.icosphere(subdivisions=level, radius=0.6)
    sphere.unmerge_vertices()
    x, y, z = sphere.vertices.T
    uv = np.column_stack(((np.arctan2(z, x) / (2 * np.pi)) % 1.0, 0.5 + y / 1.2))
    texture = Image.new("RGB", (16, 16))
    pixels = texture.load()
    assert pixels is not None
    for row in range(16):
        for col in range(16):
            pixels[col, row] = (60, 170, 90) if (col // 4 + row // 4) % 2 else (240, 240, 230)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=texture)  # type: ignore[no-untyped-call]
    sphere.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)  # type: ignore[no-untyped-call]
    data: bytes = sphere.export(file_type="glb")
    return data


@functools.cache
def retextured_glb() -> bytes:
    """The cube with another texture (a retexture's answer): its geometry kept."""
    import trimesh
    from PIL import Image

    scene = trimesh.load(io.BytesIO(textured_cube_glb()), file_type="glb", force="mesh")
    texture = Image.new("RGB", (16, 16), (150, 60, 170))
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=texture)  # type: ignore[no-untyped-call]
    scene.visual = trimesh.visual.TextureVisuals(uv=scene.visual.uv, material=material)  # type: ignore[no-untyped-call,union-attr]
    data: bytes = scene.export(file_type="glb")
    return data
