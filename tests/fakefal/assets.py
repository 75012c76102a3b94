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
