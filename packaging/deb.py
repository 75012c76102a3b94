"""Build the Debian package ``image2model_<version>_<arch>.deb`` from the built bundle.

    python packaging/deb.py    # after `python bench/bundle.py --build` (`./bootstrap.sh deb`: both)

What it installs (and, having no maintainer scripts, all that ``apt remove``
takes away again; the desktop and icon caches follow through dpkg's file
triggers, owned by desktop-file-utils and hicolor-icon-theme):

* ``/opt/image2model/``: the PyInstaller one-folder bundle, as built;
* ``/usr/bin/image2model``: a link to ``/opt/image2model/Image2Model``;
* ``/usr/share/applications/image2model.desktop``: the menu entry, and
  "Open with" for JPEG and PNG (its ``MimeType``);
* ``/usr/share/icons/hicolor/*/apps/image2model.{png,svg}``;
* ``/usr/share/man/man1/image2model.1.gz`` (from ``--help``),
  ``/usr/share/doc/image2model/{copyright,changelog.gz}``, and lintian
  overrides for what a vendor bundle in /opt does on purpose.

``Depends`` is measured, not listed by hand: every library that a binary of
the bundle links and the bundle does not carry, mapped to its Debian package
through this machine's ``dpkg -S`` (so build on the oldest system to support:
Debian 12), plus what is loaded without being linked (Mesa's GL drivers, and
fontconfig's configuration for the bundled libfontconfig). Libraries only Qt's
GTK theme needs are ``Recommends`` (GNOME has them; elsewhere Qt's own dialogs
appear). Only dpkg-deb is needed, run with ``--root-owner-group`` (no fakeroot).
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from bundle_config import GTK_THEME_PLUGIN  # noqa: E402

PACKAGE = "image2model"
PREFIX = Path("opt") / PACKAGE
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

#: Loaded without being linked, so no NEEDED entry shows them: Mesa's GL/EGL
#: drivers (llvmpipe draws the preview and the pictures when there is no GPU),
#: and the configuration (and through it a font) of the bundled libfontconfig.
EXTRA_DEPENDS = ("libgl1-mesa-dri", "libegl-mesa0", "fontconfig-config")

#: Debian's GTK 3, for the GTK theme plugin's libraries this machine lacks.
GTK_PACKAGE = "libgtk-3-0"

#: Provided by the dynamic loader itself, not by a library file.
LOADER = frozenset({"ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "linux-vdso.so.1"})

DESCRIPTION = """\
turn photos into textured 3D models
 Image2Model Desktop turns JPEG and PNG photos into textured 3D models,
 through FAL.AI's Tripo3D in the cloud or with a built-in offline engine,
 shows them in an interactive 3D preview, and saves them as GLB, OBJ, STL,
 PLY and more. The same engine answers on a local HTTP API and from the
 command line (image2model).
 .
 This package carries its own Python, Qt and VTK in /opt/image2model."""

#: What lintian reports that a self-contained bundle in /opt does on purpose
#: (docs/packaging.md lists every finding).
LINTIAN_OVERRIDES = """\
# A vendor's add-on package: the FHS gives /opt to those (Debian's own packages
# may not use it, which is what the tag is for).
{pkg}: dir-or-file-in-opt *
# A PyInstaller bundle carries its Python, Qt, VTK and their libraries by design.
{pkg}: embedded-library *
# Python extension modules that call only the Python API link no libc of their own.
{pkg}: library-not-linked-against-libc [opt/image2model/_internal/*]
# GNU strip breaks these two (auditwheel's patchelf edits): packaging/strip.py
# checks every stripped copy the way the loader does and keeps the original.
{pkg}: unstripped-binary-or-object [opt/image2model/_internal/*.libs/libscipy_openblas*]
"""


@dataclass(frozen=True)
class Relations:
    depends: list[str]
    recommends: list[str]
    unresolved: list[str]


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        version: str = tomllib.load(handle)["project"]["version"]
    return version


def is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def needed(path: Path) -> list[str]:
    """The sonames ``path`` links (its NEEDED entries)."""
    result = subprocess.run(
        ["readelf", "-d", str(path)], capture_output=True, text=True, check=False
    )
    return [
        line.split("[", 1)[1].rstrip("]")
        for line in result.stdout.splitlines()
        if "(NEEDED)" in line
    ]


def system_libraries(bundle: Path) -> tuple[set[str], set[str]]:
    """Sonames the bundle links and lacks: (needed by anything, needed only by the GTK theme)."""
    carried = {p.name for p in bundle.rglob("*")}
    general: set[str] = set()
    gtk: set[str] = set()
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file() or not is_elf(path):
            continue
        missing = {name for name in needed(path) if name not in carried and name not in LOADER}
        relative = path.relative_to(bundle).as_posix()
        (gtk if relative.endswith(GTK_THEME_PLUGIN) else general).update(missing)
    return general, gtk - general


def library_paths() -> dict[str, list[str]]:
    """soname -> paths, from this machine's loader cache (``ldconfig -p``)."""
    output = subprocess.run(
        ["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, list[str]] = {}
    for line in output.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        if path and ("x86-64" in name or "64bit" in name or "AArch64" in name):
            found.setdefault(name.split(" ", 1)[0], []).append(path)
    return found


def owning_package(paths: list[str]) -> str | None:
    """The Debian package that installed one of ``paths`` (merged-/usr aware)."""
    candidates = []
    for path in paths:
        candidates += [path, os.path.realpath(path)]
        if path.startswith("/lib/"):
            candidates.append("/usr" + path)
    for candidate in candidates:
        result = subprocess.run(
            ["dpkg-query", "-S", candidate], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip()
    return None


def relations(bundle: Path) -> Relations:
    general, gtk = system_libraries(bundle)
    paths = library_paths()
    depends, recommends, unresolved = set(EXTRA_DEPENDS), set(), []
    for name in sorted(general):
        package = owning_package(paths.get(name, []))
        if package is None:
            unresolved.append(name)
        else:
            depends.add(package)
    for name in sorted(gtk):
        # GTK itself brings every library of its stack (a build machine may lack them).
        recommends.add(owning_package(paths.get(name, [])) or GTK_PACKAGE)
    return Relations(sorted(depends), sorted(recommends - depends), unresolved)


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def maintainer() -> str:
    name = os.environ.get("DEBFULLNAME", "Image2Model Desktop maintainers")
    address = os.environ.get("DEBEMAIL", "maintainers@image2model.app")
    return f"{name} <{address}>"


def gzip_bytes(data: bytes) -> bytes:
    """gzip -9n: no name, no time stamp (reproducible; lintian asks for it)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0, filename="") as out:
        out.write(data)
    return buffer.getvalue()


def man_page(bundle: Path, version: str) -> bytes:
    """A man page made of ``image2model --help`` (the command's one description)."""
    result = subprocess.run(
        [str(bundle / "Image2Model"), "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"},
        timeout=120,
    )
    text = result.stdout.replace("\\", "\\\\").replace("\n.", "\n\\&.").replace("\n'", "\n\\&'")
    return (
        f'.TH IMAGE2MODEL 1 "" "image2model {version}" "User Commands"\n'
        ".SH NAME\nimage2model \\- turn photos into textured 3D models\n"
        ".SH SYNOPSIS\n.B image2model\n[\\fICOMMAND\\fR] [\\fIOPTIONS\\fR] [\\fIPHOTO\\fR...]\n"
        f".SH DESCRIPTION\n.nf\n{text}\n.fi\n"
        ".SH FILES\n.TP\n.I /opt/image2model\nthe application (its own Python, Qt and VTK)\n"
    ).encode()


def stage(bundle: Path, root: Path, version: str) -> None:
    """Lay out the package's files under ``root``."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / PREFIX, symlinks=True)
    resources = bundle / "_internal" / "resources"
    put = {
        Path("usr/share/applications/image2model.desktop"): resources / "image2model.desktop",
        Path("usr/share/icons/hicolor/scalable/apps/image2model.svg"): resources
        / "icons"
        / "image2model.svg",
    }
    for size in ICON_SIZES:
        put[Path(f"usr/share/icons/hicolor/{size}x{size}/apps/image2model.png")] = (
            resources / "icons" / f"image2model-{size}.png"
        )
    for target, source in put.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / target)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin" / PACKAGE).symlink_to(f"/{PREFIX}/Image2Model")
    doc = root / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_text())
    (doc / "changelog.gz").write_bytes(gzip_bytes(changelog(version).encode()))
    man = root / "usr/share/man/man1"
    man.mkdir(parents=True)
    (man / "image2model.1.gz").write_bytes(gzip_bytes(man_page(bundle, version)))
    overrides = root / "usr/share/lintian/overrides"
    overrides.mkdir(parents=True)
    (overrides / PACKAGE).write_text(LINTIAN_OVERRIDES.format(pkg=PACKAGE))
    normalise_modes(root)


def normalise_modes(root: Path) -> None:
    """0755 for folders and programs, 0644 for the rest: libraries too (wheels ship them 0755)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        program = path.is_file() and ".so" not in path.name and is_elf(path)
        path.chmod(0o755 if path.is_dir() or program else 0o644)


def copyright_text() -> str:
    return (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: Image2Model Desktop\n"
        "Comment: /opt/image2model/_internal carries the app's Python dependencies\n"
        " (Qt, VTK, numpy, scipy, trimesh …) under their own licences, named in\n"
        " their *.dist-info folders there. Its ffmpeg (imageio_ffmpeg/binaries) is\n"
        " FFmpeg 5.1 with libx264 (GPL-2.0-or-later), a separate program built from\n"
        " Debian 12's ffmpeg and x264 source packages by tools/build-ffmpeg.sh.\n"
        "\n"
        "Files: *\n"
        "Copyright: 2026 The Image2Model Desktop authors\n"
        "License: MIT\n"
        "\n"
        "License: MIT\n"
        " Permission is hereby granted, free of charge, to any person obtaining a\n"
        ' copy of this software and associated documentation files (the "Software"),\n'
        " to deal in the Software without restriction, including without limitation\n"
        " the rights to use, copy, modify, merge, publish, distribute, sublicense,\n"
        " and/or sell copies of the Software, and to permit persons to whom the\n"
        " Software is furnished to do so, subject to the following conditions:\n"
        " .\n"
        " The above copyright notice and this permission notice shall be included in\n"
        " all copies or substantial portions of the Software.\n"
        " .\n"
        ' THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\n'
        " IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\n"
        " FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n"
        " AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\n"
        " LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING\n"
        " FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER\n"
        " DEALINGS IN THE SOFTWARE.\n"
    )


def changelog(version: str) -> str:
    when = email.utils.formatdate(
        int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or None, localtime=False
    )
    return (
        f"{PACKAGE} ({version}) unstable; urgency=medium\n\n"
        f"  * Image2Model Desktop {version}, packaged from its PyInstaller bundle.\n\n"
        f" -- {maintainer()}  {when}\n"
    )


def installed_size_kib(root: Path) -> int:
    return sum(
        -(-p.stat().st_size // 1024) for p in root.rglob("*") if p.is_file() and not p.is_symlink()
    )


def write_control(root: Path, version: str, arch: str, rel: Relations) -> None:
    debian = root / "DEBIAN"
    debian.mkdir()
    sums = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and debian not in path.parents:
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            sums.append(f"{digest}  {path.relative_to(root).as_posix()}\n")
    (debian / "md5sums").write_text("".join(sums))
    fields = {
        "Package": PACKAGE,
        "Version": version,
        "Architecture": arch,
        "Maintainer": maintainer(),
        "Installed-Size": str(installed_size_kib(root)),
        "Depends": ", ".join(rel.depends),
        "Recommends": ", ".join(rel.recommends),
        "Section": "graphics",
        "Priority": "optional",
        "Description": DESCRIPTION,
    }
    control = "".join(f"{key}: {value}\n" for key, value in fields.items() if value)
    (debian / "control").write_text(control)
    for path in debian.iterdir():
        path.chmod(0o644)


def build(bundle: Path, out_dir: Path, work: Path) -> Path:
    version, arch = project_version(), architecture()
    rel = relations(bundle)
    if rel.unresolved:
        raise SystemExit(
            "No installed Debian package provides "
            + ", ".join(rel.unresolved)
            + ": install them here (the bundle links them) and build again."
        )
    root = work / f"{PACKAGE}_{version}_{arch}"
    stage(bundle, root, version)
    write_control(root, version, arch, rel)
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(deb)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(root)
    print(f"Depends: {', '.join(rel.depends)}")
    print(f"Recommends: {', '.join(rel.recommends) or '(none)'}")
    print(f"{deb}: {deb.stat().st_size / 2**20:.0f} MB")
    return deb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "Image2Model")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    if not (args.bundle / "Image2Model").exists():
        print(f"No bundle at {args.bundle}: run `python bench/bundle.py --build`.", file=sys.stderr)
        return 2
    build(args.bundle, args.out, ROOT / "build" / "deb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
