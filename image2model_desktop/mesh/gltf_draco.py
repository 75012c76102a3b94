"""Write one mesh as a GLB whose geometry is Draco-compressed (``KHR_draco_mesh_compression``).

trimesh writes plain glTF only, so this module builds the small glTF document
itself: one node, one mesh, one primitive whose attributes live in a Draco
buffer, one material with an optional base-colour image (JPEG or PNG bytes,
encoded by the caller).

Quantization follows glTF-Transform's defaults (``DRACO_DEFAULTS`` in its
``functions/src/draco.ts``: position 14 bits, normal 10, texture coordinate 12,
colour 8), which keep a 2048 px texture's UVs within a quarter texel and a
metre-sized model's points within 0.1 mm. Compression level 7 is Draco's own
default (``draco_encoder -cl``).

The accessors' counts and the position bounds are read back from the encoded
buffer (Draco may reorder and merge vertices), and so are the attributes'
unique ids the extension must name: the glTF then says exactly what a decoder
will find.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The glTF extension a decoder must support to read the files written here.
DRACO_EXTENSION = "KHR_draco_mesh_compression"
POSITION_BITS, NORMAL_BITS, TEXCOORD_BITS = 14, 10, 12
COMPRESSION_LEVEL = 7

# glTF constants (glTF 2.0 specification, "Accessor Data Types", "Samplers").
_FLOAT, _UNSIGNED_BYTE, _UNSIGNED_SHORT, _UNSIGNED_INT = 5126, 5121, 5123, 5125
_LINEAR, _LINEAR_MIPMAP_LINEAR, _REPEAT = 9729, 9987, 10497
_TRIANGLES = 4
_GLB_MAGIC, _GLB_VERSION = 0x46546C67, 2
_JSON_CHUNK, _BIN_CHUNK = 0x4E4F534A, 0x004E4942
# Draco's GeometryAttribute::Type values, as DracoPy reports them.
_DRACO_POSITION, _DRACO_NORMAL, _DRACO_COLOR, _DRACO_TEXCOORD = 0, 1, 2, 3


@dataclass(frozen=True)
class Image:
    """An encoded base-colour image."""

    data: bytes
    #: ``image/jpeg`` or ``image/png``.
    mime_type: str


@dataclass(frozen=True)
class Look:
    """The material's factors (glTF metallic-roughness)."""

    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    metallic: float = 0.0
    roughness: float = 1.0
    double_sided: bool = False
    #: glTF ``alphaMode``: OPAQUE, MASK or BLEND.
    alpha_mode: str = "OPAQUE"


@dataclass(frozen=True)
class DracoGeometry:
    """A Draco buffer and what the glTF must say about it."""

    data: bytes
    faces: int
    vertices: int
    #: glTF attribute name → Draco unique id, e.g. ``{"POSITION": 2}``.
    attribute_ids: dict[str, int]
    position_min: tuple[float, float, float]
    position_max: tuple[float, float, float]


def encode_geometry(
    positions: NDArray[np.floating[Any]],
    faces: NDArray[np.integer[Any]],
    *,
    normals: NDArray[np.floating[Any]] | None = None,
    uvs: NDArray[np.floating[Any]] | None = None,
    colors: NDArray[np.uint8] | None = None,
) -> DracoGeometry:
    """Draco-encode a triangle mesh; ``uvs`` in glTF's convention ((0, 0) top-left)."""
    import DracoPy

    data: bytes = DracoPy.encode(
        np.ascontiguousarray(positions, dtype=np.float32),
        np.ascontiguousarray(faces, dtype=np.uint32),
        quantization_bits=POSITION_BITS,
        compression_level=COMPRESSION_LEVEL,
        # DracoPy 2.2 refuses float32 UVs and normals ("Tex coord must be float").
        tex_coord=None if uvs is None else np.ascontiguousarray(uvs, dtype=np.float64),
        tex_coord_quantization_bits=None if uvs is None else TEXCOORD_BITS,
        normals=None if normals is None else np.ascontiguousarray(normals, dtype=np.float64),
        normal_quantization_bits=None if normals is None else NORMAL_BITS,
        colors=None if colors is None else np.ascontiguousarray(colors, dtype=np.uint8),
    )
    decoded: Any = DracoPy.decode(data)
    names = {
        _DRACO_POSITION: "POSITION",
        _DRACO_NORMAL: "NORMAL",
        _DRACO_TEXCOORD: "TEXCOORD_0",
        _DRACO_COLOR: "COLOR_0",
    }
    ids = {
        names[attribute["attribute_type"]]: int(attribute["unique_id"])
        for attribute in decoded.attributes
        if attribute["attribute_type"] in names
    }
    points = np.asarray(decoded.points, dtype=np.float32)
    low, high = points.min(axis=0), points.max(axis=0)
    return DracoGeometry(
        data=data,
        faces=len(decoded.faces),
        vertices=len(points),
        attribute_ids=ids,
        position_min=(float(low[0]), float(low[1]), float(low[2])),
        position_max=(float(high[0]), float(high[1]), float(high[2])),
    )


def draco_glb(geometry: DracoGeometry, look: Look, image: Image | None, name: str) -> bytes:
    """Assemble a GLB around an encoded geometry and its optional base-colour image."""
    blobs = [geometry.data] + ([image.data] if image is not None else [])
    views, binary = _pack(blobs)
    accessors: list[dict[str, Any]] = [
        {
            "componentType": _UNSIGNED_SHORT if geometry.vertices <= 0xFFFF else _UNSIGNED_INT,
            "count": geometry.faces * 3,
            "type": "SCALAR",
        }
    ]
    attributes: dict[str, int] = {}
    for semantic in geometry.attribute_ids:
        attributes[semantic] = len(accessors)
        accessors.append(_attribute_accessor(semantic, geometry))
    material: dict[str, Any] = {
        "name": name,
        "pbrMetallicRoughness": {
            "baseColorFactor": list(look.base_color),
            "metallicFactor": look.metallic,
            "roughnessFactor": look.roughness,
        },
        "doubleSided": look.double_sided,
        "alphaMode": look.alpha_mode,
    }
    document: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "Image2Model Desktop (web profile)"},
        "extensionsUsed": [DRACO_EXTENSION],
        "extensionsRequired": [DRACO_EXTENSION],
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"name": name, "mesh": 0}],
        "meshes": [
            {
                "name": name,
                "primitives": [
                    {
                        "attributes": attributes,
                        "indices": 0,
                        "material": 0,
                        "mode": _TRIANGLES,
                        "extensions": {
                            DRACO_EXTENSION: {
                                "bufferView": 0,
                                "attributes": geometry.attribute_ids,
                            }
                        },
                    }
                ],
            }
        ],
        "materials": [material],
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(binary)}],
    }
    if image is not None:
        material["pbrMetallicRoughness"]["baseColorTexture"] = {"index": 0}
        document["images"] = [{"bufferView": 1, "mimeType": image.mime_type}]
        document["textures"] = [{"sampler": 0, "source": 0}]
        document["samplers"] = [
            {
                "magFilter": _LINEAR,
                "minFilter": _LINEAR_MIPMAP_LINEAR,
                "wrapS": _REPEAT,
                "wrapT": _REPEAT,
            }
        ]
    return _glb(document, binary)


def _attribute_accessor(semantic: str, geometry: DracoGeometry) -> dict[str, Any]:
    if semantic == "POSITION":
        return {
            "componentType": _FLOAT,
            "count": geometry.vertices,
            "type": "VEC3",
            "min": list(geometry.position_min),
            "max": list(geometry.position_max),
        }
    if semantic == "COLOR_0":
        return {
            "componentType": _UNSIGNED_BYTE,
            "normalized": True,
            "count": geometry.vertices,
            "type": "VEC4",
        }
    kind = "VEC2" if semantic == "TEXCOORD_0" else "VEC3"
    return {"componentType": _FLOAT, "count": geometry.vertices, "type": kind}


def _pack(blobs: list[bytes]) -> tuple[list[dict[str, int]], bytes]:
    """Lay the blobs end to end, each on a 4-byte boundary; return their bufferViews."""
    views, parts, offset = [], [], 0
    for blob in blobs:
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": len(blob)})
        padding = -len(blob) % 4
        parts += [blob, b"\0" * padding]
        offset += len(blob) + padding
    return views, b"".join(parts)


def _glb(document: dict[str, Any], binary: bytes) -> bytes:
    """The GLB container: a 12-byte header, a JSON chunk padded with spaces, a BIN chunk."""
    text = json.dumps(document, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    length = 12 + 8 + len(text) + 8 + len(binary)
    return b"".join(
        [
            struct.pack("<III", _GLB_MAGIC, _GLB_VERSION, length),
            struct.pack("<II", len(text), _JSON_CHUNK),
            text,
            struct.pack("<II", len(binary), _BIN_CHUNK),
            binary,
        ]
    )
