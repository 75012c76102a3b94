"""Export a model to the formats the Save dialog offers.

Writes are atomic: a temporary file beside the destination is renamed over it,
so a crash or a full disk never leaves half a model under the user's name.
Disk problems surface as plain ``OSError``; callers turn them into a sentence.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

from image2model_desktop.core.fsutil import atomic_destination

SUPPORTED_FORMATS = ("glb", "obj", "stl", "ply")


def format_keeps_texture(fmt: str) -> bool:
    """Tell whether ``fmt`` carries the texture image (PLY keeps vertex colours only)."""
    return _checked(fmt) in ("glb", "obj")


def export_model(src: Path, dest: Path, fmt: str) -> Path:
    """Write ``src`` as ``fmt``; return the path written (suffix ``.zip`` for OBJ)."""
    fmt = _checked(fmt)
    dest = dest.with_suffix(".zip" if fmt == "obj" else f".{fmt}")
    if fmt == "glb" and src.suffix.lower() == ".glb":
        with atomic_destination(dest) as tmp:
            shutil.copyfile(src, tmp)
        return dest
    mesh = load_single_mesh(src)
    if fmt == "glb":
        data: bytes = mesh.export(file_type="glb")
    elif fmt == "obj":
        data = _obj_zip(mesh, dest.stem)
    elif fmt == "stl":
        data = mesh.export(file_type="stl")
    else:
        data = _colored_ply(mesh)
    with atomic_destination(dest) as tmp:
        tmp.write_bytes(data)
    return dest


def load_single_mesh(path: Path) -> Any:
    """Load any supported file as one ``trimesh.Trimesh`` with scene transforms applied."""
    import trimesh

    loaded: Any = trimesh.load(str(path), force="scene")
    meshes = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh)]
    if not meshes:
        raise ValueError(f"{path.name} holds no triangle mesh")
    return meshes[0] if len(meshes) == 1 else trimesh.util.concatenate(meshes)


def _checked(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt not in SUPPORTED_FORMATS:
        raise ValueError(f"unsupported format {fmt!r}; choose one of {SUPPORTED_FORMATS}")
    return fmt


def _obj_zip(mesh: Any, stem: str) -> bytes:
    """Pack OBJ + MTL + texture into one zip, every entry named after ``stem``."""
    from trimesh.exchange import obj

    export_obj: Any = obj.export_obj
    textured = _texture_image(mesh) is not None
    obj_text, files = export_obj(
        mesh,
        include_texture=textured,
        return_texture=True,
        mtl_name=f"{stem}.mtl",
        header=None,
    )
    renamed = _rename_texture(obj_text, files, stem)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.obj", renamed.pop(f"{stem}.obj"))
        for name, payload in renamed.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _rename_texture(obj_text: str, files: dict[str, bytes], stem: str) -> dict[str, bytes]:
    """Rename trimesh's generated texture file(s) to ``stem`` and patch the MTL to match."""
    mtl_name = f"{stem}.mtl"
    mtl = files.get(mtl_name, b"").decode("utf-8")
    out: dict[str, bytes] = {f"{stem}.obj": obj_text.encode("utf-8")}
    images = [name for name in files if name != mtl_name]
    for number, name in enumerate(sorted(images)):
        suffix = Path(name).suffix.lower()
        new_name = f"{stem}{suffix}" if number == 0 else f"{stem}_{number}{suffix}"
        mtl = mtl.replace(name, new_name)
        out[new_name] = files[name]
    if mtl:
        out[mtl_name] = (_photo_material(mtl) if images else mtl).encode("utf-8")
    return out


def _photo_material(mtl: str) -> str:
    """Let the texture show as it is: white diffuse, no specular.

    trimesh writes ``Kd 0.4`` and ``Ks 0.4`` next to ``map_Kd``; viewers that
    follow the MTL rule (diffuse = Kd × map_Kd, e.g. three.js) would darken our
    photo textures to 40 % and add a shine their baked lighting already has.
    """
    lines = []
    for line in mtl.splitlines():
        key = line.split(maxsplit=1)[0] if line.strip() else ""
        if key == "Kd":
            line = "Kd 1.00000000 1.00000000 1.00000000"
        elif key == "Ks":
            line = "Ks 0.00000000 0.00000000 0.00000000"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _colored_ply(mesh: Any) -> bytes:
    """Export PLY with per-vertex colours sampled from the texture when there is one."""
    if _texture_image(mesh) is not None:
        mesh = mesh.copy()
        mesh.visual = mesh.visual.to_color()
    data: bytes = mesh.export(file_type="ply", encoding="binary")
    return data


def _texture_image(mesh: Any) -> Any:
    """Return the mesh's base colour image, or None."""
    visual: Any = getattr(mesh, "visual", None)
    if getattr(visual, "kind", None) != "texture" or getattr(visual, "uv", None) is None:
        return None
    material = visual.material
    image = getattr(material, "baseColorTexture", None)
    if image is None:
        image = getattr(material, "image", None)
    return image
