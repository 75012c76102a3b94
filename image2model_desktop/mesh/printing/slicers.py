"""Find an installed slicer and the command that opens a file in it.

Qt-free and side-effect free: it only looks (``shutil.which``, Flatpak's app
folders, the usual install folders of each system) and returns commands; the
front end runs one (``subprocess.Popen``, detached) when the person asks.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SlicerSpec:
    """Where one slicer is found on each system."""

    name: str
    #: Executable names on PATH.
    executables: tuple[str, ...]
    #: Flatpak application ids (Flathub's).
    flatpaks: tuple[str, ...]
    #: macOS app bundle names under /Applications and ~/Applications.
    mac_apps: tuple[str, ...]
    #: Windows executables relative to Program Files (glob patterns).
    windows: tuple[str, ...]
    #: AppImage name patterns (Linux) in ~/Applications, ~/.local/bin, ~/Downloads.
    appimages: tuple[str, ...]


SLICERS: tuple[SlicerSpec, ...] = (
    SlicerSpec(
        "PrusaSlicer",
        ("prusa-slicer", "PrusaSlicer", "prusaslicer"),
        ("com.prusa3d.PrusaSlicer",),
        ("PrusaSlicer.app", "Original Prusa Drivers/PrusaSlicer.app"),
        ("Prusa3D/PrusaSlicer/prusa-slicer.exe",),
        ("PrusaSlicer*.AppImage",),
    ),
    SlicerSpec(
        "OrcaSlicer",
        ("orca-slicer", "OrcaSlicer", "orcaslicer"),
        ("io.github.softfever.OrcaSlicer", "com.orcaslicer.OrcaSlicer"),
        ("OrcaSlicer.app",),
        ("OrcaSlicer/orca-slicer.exe",),
        ("OrcaSlicer*.AppImage",),
    ),
    SlicerSpec(
        "Bambu Studio",
        ("bambu-studio", "BambuStudio", "bambustudio"),
        ("com.bambulab.BambuStudio",),
        ("BambuStudio.app", "Bambu Studio.app"),
        ("Bambu Studio/bambu-studio.exe",),
        ("Bambu_Studio*.AppImage", "BambuStudio*.AppImage"),
    ),
    SlicerSpec(
        "Cura",
        ("cura", "UltiMaker-Cura", "ultimaker-cura"),
        ("com.ultimaker.cura",),
        ("UltiMaker Cura.app", "Ultimaker Cura.app"),
        ("UltiMaker Cura */UltiMaker-Cura.exe", "Ultimaker Cura */Cura.exe"),
        ("UltiMaker-Cura*.AppImage", "Ultimaker_Cura*.AppImage"),
    ),
)


@dataclass(frozen=True)
class Slicer:
    """An installed slicer and how to start it."""

    name: str
    #: The command without the file; ``open_command`` adds it.
    command: tuple[str, ...]
    #: How it was found: "PATH", "Flatpak", "app", "AppImage".
    via: str

    def open_command(self, model: Path) -> list[str]:
        """The argv that opens ``model`` in this slicer."""
        if self.via == "Flatpak":
            # --file-forwarding hands the sandboxed app a document portal path it may read.
            return [*self.command, "@@", str(model), "@@"]
        return [*self.command, str(model)]


@dataclass(frozen=True)
class SlicerSearch:
    """What was found, and what was looked for (to say so when nothing was)."""

    found: tuple[Slicer, ...]
    looked_for: tuple[str, ...]

    def sentence(self) -> str:
        if self.found:
            names = ", ".join(s.name for s in self.found)
            return f"Found {names}."
        return (
            f"No slicer found: looked for {_and(self.looked_for)} on the PATH, as Flatpak apps "
            "and in their usual install folders. Install one, or open the 3MF from the slicer."
        )


def find_slicers(
    *,
    system: str | None = None,
    path: str | None = None,
    home: Path | None = None,
    roots: Sequence[Path] | None = None,
) -> SlicerSearch:
    """Look for every known slicer; the arguments default to this computer's (tests pass them)."""
    system = system or platform.system()
    path = os.environ.get("PATH", "") if path is None else path
    home = home or Path.home()
    found = []
    for spec in SLICERS:
        slicer = _find(spec, system, path, home, roots)
        if slicer is not None:
            found.append(slicer)
    return SlicerSearch(tuple(found), tuple(spec.name for spec in SLICERS))


def _find(
    spec: SlicerSpec, system: str, path: str, home: Path, roots: Sequence[Path] | None
) -> Slicer | None:
    for name in spec.executables:
        found = shutil.which(name, path=path)
        if found:
            return Slicer(spec.name, (found,), "PATH")
    if system == "Darwin":
        for folder in roots or (Path("/Applications"), home / "Applications"):
            for app in spec.mac_apps:
                if (folder / app).is_dir():
                    return Slicer(spec.name, ("open", "-a", str(folder / app)), "app")
    elif system == "Windows":
        for folder in roots or _program_files():
            for pattern in spec.windows:
                matches = sorted(folder.glob(pattern))
                if matches:
                    return Slicer(spec.name, (str(matches[-1]),), "app")
    else:
        flatpak = shutil.which("flatpak", path=path)
        installs = roots or (Path("/var/lib/flatpak/app"), home / ".local/share/flatpak/app")
        for app_id in spec.flatpaks:
            if flatpak and any((folder / app_id).is_dir() for folder in installs):
                return Slicer(spec.name, (flatpak, "run", "--file-forwarding", app_id), "Flatpak")
        for folder in (home / "Applications", home / ".local/bin", home / "Downloads"):
            for pattern in spec.appimages:
                matches = sorted(m for m in folder.glob(pattern) if os.access(m, os.X_OK))
                if matches:
                    return Slicer(spec.name, (str(matches[-1]),), "AppImage")
    return None


def _program_files() -> list[Path]:
    names = ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")
    return [Path(os.environ[n]) for n in names if os.environ.get(n)]


def _and(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
