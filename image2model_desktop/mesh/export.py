"""Export a model to a file whose extension picks the format, shaped by ExportOptions.

Writes are atomic: a temporary file beside the destination is renamed over it,
so a crash or a full disk never leaves half a model under the user's name.
Disk problems surface as plain ``OSError``; callers turn them into a sentence.

STL and 3MF can also be repaired, oriented, hollowed and coloured on the way
(``printing.prepare``; the options say which).

Two steps, so a caller can show what will be lost before anything is written:
``prepare_export`` loads, decimates and places the model and counts its holes;
``write_export`` encodes and writes it. ``export_with_options`` does both (the
window runs it in the process pool). ``preview_export`` predicts the face count
and size from the stats the library already holds, without loading anything.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image2model_desktop.core.errors import ExportOptionsError
from image2model_desktop.core.fsutil import atomic_destination
from image2model_desktop.mesh.formats import ExportFormat, format_for
from image2model_desktop.mesh.options import ExportOptions, Up
from image2model_desktop.mesh.scene import load_single_mesh
from image2model_desktop.mesh.transform import GLTF_FRAME, SourceFrame, Vector, place, source_frame

#: Entries of the zips we write are readable by everyone, as any file a user saves.
_ZIP_ENTRY_MODE = 0o644


@dataclass(frozen=True)
class ExportPreview:
    """What an export will give, predicted without loading the model."""

    format: ExportFormat
    #: At most this many faces (the budget may end a little under it).
    faces: int
    #: Extent along X, Y and Z of the written file, in ``unit``.
    size: Vector
    #: Extent along the up axis, in ``unit``.
    height: float
    unit: str
    up: Up
    #: Sentences to show before writing (a texture the format drops).
    warnings: tuple[str, ...]


def preview_export(
    faces: int,
    size: Vector,
    textured: bool,
    dest: Path,
    options: ExportOptions,
    source: SourceFrame = GLTF_FRAME,
) -> ExportPreview:
    """Predict the face count and size of exporting a model to ``dest``; cheap, no file read.

    ``size`` is the model's extent along its X, Y and Z axes as stored (for a
    library model: ``OutputInfo.extents`` is width, depth, height, so pass
    ``(extents[0], extents[2], extents[1])``). Raises ``UnknownFormatError``
    or ``ExportOptionsError`` with a sentence for the user.
    """
    fmt = format_for(dest)
    half = (size[0] / 2, size[1] / 2, size[2] / 2)
    placement = place((-half[0], -half[1], -half[2]), half, source, fmt, options)
    budget = faces if options.faces is None else min(faces, options.faces)
    return ExportPreview(
        format=fmt,
        faces=budget,
        size=placement.size,
        height=placement.height,
        unit=placement.unit,
        up=placement.up,
        warnings=_texture_warnings(fmt, textured),
    )


@dataclass(frozen=True)
class ExportReport:
    """What was (or will be) written."""

    path: Path
    format: ExportFormat
    faces: int
    bounds_min: Vector
    bounds_max: Vector
    unit: str
    up: Up
    #: Sentences for the user: a dropped texture, holes left open.
    warnings: tuple[str, ...]
    #: Open holes in the written shape (checked for STL and 3MF only; else None).
    holes: int | None
    #: Holes closed by ``fill_holes``.
    holes_filled: int
    #: What the print options did (material saved by hollowing, the colour palette …).
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> Vector:
        low, high = self.bounds_min, self.bounds_max
        return (high[0] - low[0], high[1] - low[1], high[2] - low[2])


@dataclass(frozen=True)
class PreparedExport:
    """A model shaped for its destination, not yet written."""

    report: ExportReport
    mesh: Any
    #: Copy the source file as it is (a GLB with nothing to change).
    copy_from: Path | None
    #: Per-face colours of a colour 3MF (``printing.colour3mf.FaceColours``).
    colours: Any = None


def prepare_export(
    src: Path, dest: Path, options: ExportOptions, fmt: ExportFormat | None = None
) -> PreparedExport:
    """Load ``src``, decimate and place it for ``dest``'s format, and check it for printing."""
    from image2model_desktop.mesh.decimate import simplify
    from image2model_desktop.mesh.holes import count_holes, fill_holes, shape_only

    fmt = fmt or format_for(dest)
    _check_print_options(fmt, options)
    mesh = load_single_mesh(src)
    textured = texture_image(mesh) is not None
    unchanged = options == ExportOptions()
    if options.faces is not None:
        mesh = simplify(mesh, options.faces)
    low, high = mesh.bounds
    placement = place(_vector(low), _vector(high), source_frame(src), fmt, options)
    mesh = mesh.copy()
    mesh.apply_transform(placement.matrix)
    colour_3mf = options.colors is not None
    warnings = [] if colour_3mf else list(_texture_warnings(fmt, textured))
    holes, filled = None, 0
    notes: tuple[str, ...] = ()
    colours = None
    if fmt.for_printing and options.for_print_only:
        from image2model_desktop.mesh.printing.prepare import shape_for_print

        shaped = shape_for_print(mesh, options)
        mesh, colours, notes = shaped.mesh, shaped.colours, tuple(shaped.notes)
        holes, filled = shaped.holes, shaped.holes_filled
        if holes:
            warnings.append(f"The model is not watertight: {_holes(holes)}; slicers may refuse it.")
    elif fmt.for_printing:
        mesh = shape_only(mesh)
        holes = count_holes(mesh)
        if holes and options.fill_holes:
            remaining = fill_holes(mesh)
            holes, filled = remaining, holes - remaining
        if holes:
            warnings.append(f"The model is not watertight: {_holes(holes)}; slicers may refuse it.")
    low, high = mesh.bounds
    report = ExportReport(
        path=dest,
        format=fmt,
        faces=len(mesh.faces),
        bounds_min=_vector(low),
        bounds_max=_vector(high),
        unit=placement.unit,
        up=placement.up,
        warnings=tuple(warnings),
        holes=holes,
        holes_filled=filled,
        notes=notes,
    )
    copy = unchanged and fmt is ExportFormat.GLB and src.suffix.lower() == ".glb"
    return PreparedExport(
        report=report, mesh=mesh, copy_from=src if copy else None, colours=colours
    )


def _check_print_options(fmt: ExportFormat, options: ExportOptions) -> None:

    if options.for_print_only and not fmt.for_printing:
        raise ExportOptionsError(
            "Hollowing, orienting and colours are for print files: export to .stl or .3mf."
        )
    if options.colors is not None and fmt is not ExportFormat.THREEMF:
        raise ExportOptionsError("Colours per triangle need a 3MF file: name it .3mf.")


def write_export(prepared: PreparedExport) -> ExportReport:
    """Encode and write a prepared export atomically; return its report."""
    report = prepared.report
    with atomic_destination(report.path) as tmp:
        if prepared.copy_from is not None:
            # Byte for byte: keeps the texture's original encoding and every extension.
            shutil.copyfile(prepared.copy_from, tmp)
        else:
            stem = _stem(report.path, report.format)
            if prepared.colours is not None:
                from image2model_desktop.mesh.printing.colour3mf import colour_3mf_bytes

                tmp.write_bytes(colour_3mf_bytes(prepared.mesh, prepared.colours, stem))
            else:
                tmp.write_bytes(_encode(prepared.mesh, report.format, stem))
    return report


def export_with_options(src: Path, dest: Path, options: ExportOptions) -> ExportReport:
    """Export ``src`` to ``dest`` (format from its extension) shaped by ``options``."""
    return write_export(prepare_export(src, dest, options))


def _texture_warnings(fmt: ExportFormat, textured: bool) -> tuple[str, ...]:
    warning = fmt.texture_warning() if textured else None
    return (warning,) if warning else ()


def _holes(count: int) -> str:
    return f"{count} hole" if count == 1 else f"{count} holes"


def _vector(values: Any) -> Vector:
    return (float(values[0]), float(values[1]), float(values[2]))


def _stem(dest: Path, fmt: ExportFormat) -> str:
    """The name files inside a zip share: ``duck`` for ``duck.obj.zip`` (or ``duck.zip``)."""
    name = dest.name
    if name.lower().endswith(fmt.suffix):
        return name[: -len(fmt.suffix)]
    return dest.stem


def _encode(mesh: Any, fmt: ExportFormat, stem: str) -> bytes:
    data: bytes
    if fmt is ExportFormat.GLB:
        data = mesh.export(file_type="glb")
    elif fmt is ExportFormat.GLTF_ZIP:
        data = _gltf_zip(mesh, stem)
    elif fmt is ExportFormat.OBJ_ZIP:
        data = _obj_zip(mesh, stem)
    elif fmt is ExportFormat.STL:
        data = mesh.export(file_type="stl")
    elif fmt is ExportFormat.THREEMF:
        data = mesh.export(file_type="3mf")
    else:
        data = _colored_ply(mesh)
    return data


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in files.items():
            entry = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            entry.external_attr = _ZIP_ENTRY_MODE << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, payload)
    return buffer.getvalue()


def _gltf_zip(mesh: Any, stem: str) -> bytes:
    """Pack the glTF JSON and its buffers into one zip, every entry named after ``stem``."""
    files: dict[str, bytes] = mesh.export(file_type="gltf")
    document = json.loads(files.pop("model.gltf"))
    out: dict[str, bytes] = {}
    for number, buffer in enumerate(document.get("buffers", [])):
        name = f"{stem}_{number}.bin"
        out[name] = files[buffer["uri"]]
        buffer["uri"] = name
    return _zip({f"{stem}.gltf": json.dumps(document).encode("utf-8"), **out})


def _obj_zip(mesh: Any, stem: str) -> bytes:
    """Pack OBJ + MTL + texture into one zip, every entry named after ``stem``."""
    from trimesh.exchange import obj

    export_obj: Any = obj.export_obj
    textured = texture_image(mesh) is not None
    obj_text, files = export_obj(
        mesh,
        include_texture=textured,
        return_texture=True,
        mtl_name=f"{stem}.mtl",
        header=None,
    )
    renamed = _rename_texture(obj_text, files, stem)
    return _zip({f"{stem}.obj": renamed.pop(f"{stem}.obj"), **renamed})


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
    if texture_image(mesh) is not None:
        mesh = mesh.copy()
        mesh.visual = mesh.visual.to_color()
    data: bytes = mesh.export(file_type="ply", encoding="binary")
    return data


def texture_image(mesh: Any) -> Any:
    """Return the mesh's base colour image, or None."""
    visual: Any = getattr(mesh, "visual", None)
    if getattr(visual, "kind", None) != "texture" or getattr(visual, "uv", None) is None:
        return None
    material = visual.material
    image = getattr(material, "baseColorTexture", None)
    if image is None:
        image = getattr(material, "image", None)
    return image
