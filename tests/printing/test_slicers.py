"""Finding slicers: on the PATH, as Flatpak apps, as macOS apps, in Program Files."""

from __future__ import annotations

import os
from pathlib import Path

from image2model_desktop.mesh.printing.slicers import find_slicers


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_nothing_found_says_what_it_looked_for(tmp_path: Path) -> None:
    search = find_slicers(system="Linux", path=str(tmp_path), home=tmp_path, roots=[tmp_path])
    assert search.found == ()
    assert search.sentence().startswith(
        "No slicer found: looked for PrusaSlicer, OrcaSlicer, Bambu Studio and Cura"
    )


def test_on_the_path_and_as_flatpak(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    prusa = executable(bin_dir / "prusa-slicer")
    flatpak = executable(bin_dir / "flatpak")
    apps = tmp_path / "flatpak-apps"
    (apps / "com.bambulab.BambuStudio").mkdir(parents=True)
    search = find_slicers(system="Linux", path=str(bin_dir), home=tmp_path, roots=[apps])
    names = {s.name: s for s in search.found}
    assert set(names) == {"PrusaSlicer", "Bambu Studio"}
    model = tmp_path / "part.3mf"
    assert names["PrusaSlicer"].open_command(model) == [str(prusa), str(model)]
    assert names["Bambu Studio"].open_command(model) == [
        str(flatpak),
        "run",
        "--file-forwarding",
        "com.bambulab.BambuStudio",
        "@@",
        str(model),
        "@@",
    ]
    assert search.sentence() == "Found PrusaSlicer, Bambu Studio."


def test_appimage_in_the_home_applications_folder(tmp_path: Path) -> None:
    image = executable(tmp_path / "Applications" / "OrcaSlicer_Linux_V2.3.0.AppImage")
    search = find_slicers(system="Linux", path="", home=tmp_path, roots=[tmp_path / "none"])
    (orca,) = search.found
    assert orca.name == "OrcaSlicer" and orca.command == (str(image),) and orca.via == "AppImage"


def test_macos_app_bundle(tmp_path: Path) -> None:
    (tmp_path / "UltiMaker Cura.app").mkdir()
    (cura,) = find_slicers(system="Darwin", path="", home=tmp_path, roots=[tmp_path]).found
    assert cura.open_command(Path("/m/a.3mf")) == [
        "open",
        "-a",
        str(tmp_path / "UltiMaker Cura.app"),
        "/m/a.3mf",
    ]


def test_windows_program_files(tmp_path: Path) -> None:
    exe = executable(tmp_path / "Prusa3D" / "PrusaSlicer" / "prusa-slicer.exe")
    (prusa,) = find_slicers(system="Windows", path="", home=tmp_path, roots=[tmp_path]).found
    assert prusa.command == (str(exe),)
    assert os.access(exe, os.X_OK)
