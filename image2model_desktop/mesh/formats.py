"""The formats a model can be exported to, picked by the destination's extension.

Each format has a unit and an up axis by convention: glTF says metres and Y up
(our models are glTF, from FAL and from the offline engine alike); slicers read
STL and 3MF as millimetres with Z up. OBJ and PLY have no convention, so they
keep the model's own (metres, Y up).
"""

from __future__ import annotations

import enum
from pathlib import Path

from image2model_desktop.core.errors import UnknownFormatError


class ExportFormat(enum.Enum):
    """A file format, by the extension that selects it."""

    #: Binary glTF: one file, texture inside.
    GLB = ".glb"
    #: glTF JSON with its buffer and texture files, zipped (a .gltf alone is not one file).
    GLTF_ZIP = ".gltf.zip"
    #: OBJ + MTL + texture image, zipped.
    OBJ_ZIP = ".obj.zip"
    #: Shape only, millimetres, Z up.
    STL = ".stl"
    #: Shape with colours per vertex sampled from the texture.
    PLY = ".ply"
    #: 3D Manufacturing Format: shape only, millimetres, Z up.
    THREEMF = ".3mf"

    @property
    def suffix(self) -> str:
        return self.value

    @property
    def keeps_texture(self) -> bool:
        return self in (ExportFormat.GLB, ExportFormat.GLTF_ZIP, ExportFormat.OBJ_ZIP)

    @property
    def for_printing(self) -> bool:
        """Millimetres, Z up, and closedness matters (slicers need a solid)."""
        return self in (ExportFormat.STL, ExportFormat.THREEMF)

    @property
    def unit(self) -> str:
        """The unit coordinates are written in."""
        return "mm" if self.for_printing else "m"

    @property
    def default_up(self) -> str:
        return "z" if self.for_printing else "y"

    @property
    def label(self) -> str:
        return {
            ExportFormat.GLB: "GLB",
            ExportFormat.GLTF_ZIP: "glTF (zipped)",
            ExportFormat.OBJ_ZIP: "OBJ (zipped)",
            ExportFormat.STL: "STL",
            ExportFormat.PLY: "PLY",
            ExportFormat.THREEMF: "3MF",
        }[self]

    def texture_warning(self) -> str | None:
        """The sentence to show before writing a textured model in this format."""
        if self.keeps_texture:
            return None
        if self is ExportFormat.PLY:
            return "PLY keeps colours per vertex only: the texture image will not be saved."
        return f"{self.label} keeps the shape only: the texture will not be saved."


def format_for(dest: Path) -> ExportFormat:
    """Pick the format from ``dest``'s extension (case-insensitive)."""
    name = dest.name.lower()
    for fmt in ExportFormat:
        if name.endswith(fmt.suffix) and len(name) > len(fmt.suffix):
            return fmt
    suffix = dest.suffix.lower()
    if suffix in (".gltf", ".obj"):
        raise UnknownFormatError(
            f"{dest.name}: a {suffix} file needs its texture files beside it, so it is written "
            f"zipped; name it {dest.name}.zip."
        )
    if suffix == ".zip":
        raise UnknownFormatError(
            f"{dest.name}: say what the zip holds; name it {dest.stem}.obj.zip "
            f"or {dest.stem}.gltf.zip."
        )
    choices = ", ".join(f.suffix for f in ExportFormat)
    raise UnknownFormatError(
        f"{dest.name}: unknown extension {suffix or '(none)'}; use one of {choices}."
    )
