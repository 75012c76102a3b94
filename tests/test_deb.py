"""The Debian package builder (packaging/deb.py) on a small stand-in bundle.

The real package is built from the real bundle by `./bootstrap.sh deb` and
installed in a fresh Debian 12 by `tools/fresh-debian-check.sh --deb`; this
checks the layout, the control fields and the measured dependencies in a
second, with real ELF files and the real dpkg-deb.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "packaging"))

import deb  # noqa: E402

pytestmark = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None or shutil.which("Xvfb") is None,
    reason="needs Debian's dpkg-deb and an ELF with many libraries (Xvfb)",
)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A one-folder bundle: an executable (echo), resources, and a GTK theme plugin (Xvfb)."""
    folder = tmp_path / "Image2Model"
    internal = folder / "_internal"
    shutil.copytree(REPO / "resources", internal / "resources")
    shutil.copy(shutil.which("echo") or "/bin/echo", folder / "Image2Model")
    plugin = internal / "PySide6/Qt/plugins/platformthemes/libqgtk3.so"
    plugin.parent.mkdir(parents=True)
    shutil.copy(shutil.which("Xvfb") or "", plugin)
    return folder


def field(package: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(package), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_package_installs_the_bundle_with_its_entry_points(
    bundle: Path, tmp_path: Path
) -> None:
    package = deb.build(bundle, tmp_path / "out", tmp_path / "work")

    assert package.name == f"image2model_{deb.project_version()}_{deb.architecture()}.deb"
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(package)], capture_output=True, text=True, check=True
    ).stdout
    entries = {line.split()[5]: line for line in listing.splitlines()}
    for path in (
        "./opt/image2model/Image2Model",
        "./usr/share/applications/image2model.desktop",
        "./usr/share/icons/hicolor/48x48/apps/image2model.png",
        "./usr/share/icons/hicolor/scalable/apps/image2model.svg",
        "./usr/share/doc/image2model/copyright",
        "./usr/share/doc/image2model/changelog.gz",
        "./usr/share/man/man1/image2model.1.gz",
    ):
        assert path in entries, f"{path} is not in the package"
    assert "-> /opt/image2model/Image2Model" in entries["./usr/bin/image2model"]
    assert entries["./opt/image2model/Image2Model"].startswith("-rwxr-xr-x root/root")
    assert all(" root/root " in line for line in entries.values())
    # "Open with" for photos, and the command the link puts on PATH.
    files = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(package)], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(files)) as archive:
        member = archive.extractfile("./usr/share/applications/image2model.desktop")
        assert member is not None
        entry = member.read().decode()
    assert "MimeType=image/jpeg;image/png;" in entry and "Exec=image2model %F" in entry


def test_dependencies_are_the_libraries_the_bundle_links_and_lacks(
    bundle: Path, tmp_path: Path
) -> None:
    package = deb.build(bundle, tmp_path / "out", tmp_path / "work")

    depends = field(package, "Depends").split(", ")
    recommends = field(package, "Recommends").split(", ")
    # echo links the C library; the GL drivers are loaded without being linked.
    assert {"libc6", "libgl1-mesa-dri", "fontconfig-config"} <= set(depends)
    # What only the GTK theme plugin links is recommended, not required.
    assert "libpixman-1-0" in recommends and "libpixman-1-0" not in depends
    assert not set(recommends) & set(depends)
