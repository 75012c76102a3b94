"""The bundle's configuration agrees with the code it packages (no PyInstaller run).

The slow proof is ``bench/bundle.py`` (build, then the self-test from the bundle);
these catch, in milliseconds, the edits that would break it: the app importing a
module the spec leaves out, a resource the app looks up that would not ship, a
frozen entry point that spawns windows instead of workers.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "packaging"))

import bundle_config  # noqa: E402
import strip  # noqa: E402

PACKAGE = REPO / "image2model_desktop"


def app_imports() -> set[str]:
    """Every module named by an import statement anywhere in the app's code."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def excluded(name: str, excludes: list[str]) -> bool:
    return any(name == e or name.startswith(e + ".") for e in excludes)


def test_the_app_imports_nothing_the_bundle_excludes() -> None:
    excludes = bundle_config.excludes()
    hits = sorted(name for name in app_imports() if excluded(name, excludes))
    assert hits == [], f"the app imports modules build.spec leaves out: {hits}"


def test_every_vtk_module_the_app_names_is_kept() -> None:
    # Import statements and importlib strings alike (gui/app.py imports some by name).
    named = set()
    for path in PACKAGE.rglob("*.py"):
        named.update(re.findall(r"vtkmodules\.(vtk\w+)", path.read_text()))
    assert named, "expected the app to name some vtkmodules"
    assert named <= bundle_config.VTK_KEEP, sorted(named - bundle_config.VTK_KEEP)


def test_the_3d_stack_ships_and_the_vtk_keep_list_matches_the_installed_vtk() -> None:
    installed = set(bundle_config.vtk_extension_modules())
    assert installed >= bundle_config.VTK_KEEP, sorted(bundle_config.VTK_KEEP - installed)
    excludes = bundle_config.excludes()
    # What the preview, the off-screen pictures and the turntables cannot start without.
    for name in (
        "pyvista",
        "pyvista.plotting",
        "pyvistaqt",
        "qtpy",
        "matplotlib",  # pyvista.plotting.colors imports matplotlib.pyplot
        "imageio_ffmpeg",
        "PySide6.QtOpenGL",
        "PySide6.QtOpenGLWidgets",
        "vtkmodules.vtkRenderingOpenGL2",
        "vtkmodules.vtkRenderingUI",
        "vtkmodules.vtkInteractionStyle",
        "trimesh",
        "numpy",
        "PIL",
    ):
        assert not excluded(name, excludes), name
    # Most of VTK stays out: the keep-list is a small part of it.
    assert excluded("vtkmodules.vtkIOIOSS", excludes)
    assert excluded("vtkmodules.all", excludes) and excluded("vtk", excludes)
    assert len(bundle_config.VTK_KEEP) < len(installed) / 3


def test_the_vtk_keep_list_is_closed_under_pyinstallers_dependency_map() -> None:
    hooks = pytest.importorskip("_pyinstaller_hooks_contrib.utils.vtkmodules")
    dependencies = getattr(hooks, "_module_dependencies", None)
    if dependencies is None:
        pytest.skip("this pyinstaller-hooks-contrib has no VTK dependency map")
    needed = {
        dep.split(".")[1]
        for name in bundle_config.VTK_KEEP
        for dep in dependencies.get(f"vtkmodules.{name}", [])
        if dep.startswith("vtkmodules.vtk")
    }
    assert needed <= bundle_config.VTK_KEEP, sorted(needed - bundle_config.VTK_KEEP)


def test_the_spec_names_the_vtk_keep_list_as_hidden_imports() -> None:
    # pyvista imports VTK modules by name at run time: PyInstaller's analysis cannot see them.
    spec = (REPO / "build.spec").read_text()
    assert "bundle_config.VTK_KEEP" in spec and "hiddenimports=" in spec


def test_every_resource_the_app_looks_up_ships() -> None:
    shipped = {
        Path(dest, Path(src).name).as_posix() for src, dest in bundle_config.resource_files(REPO)
    }
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert f"resources/icons/image2model-{size}.png" in shipped
    assert "resources/icons/image2model.ico" in shipped  # the Windows executable's icon
    assert "resources/icons/image2model.icns" in shipped  # the macOS app's icon
    assert "resources/image2model.desktop" in shipped
    samples = {p.name for p in (REPO / "resources" / "samples").iterdir()}
    assert {s for s in shipped if s.startswith("resources/samples/")} == {
        f"resources/samples/{name}" for name in samples if not name.endswith((".md", ".py"))
    }
    assert not [s for s in shipped if s.endswith(".py")], "generator scripts must not ship"


def test_the_frozen_entry_calls_freeze_support_first() -> None:
    tree = ast.parse((REPO / "packaging" / "entry.py").read_text())
    main_block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
    )
    first = main_block.body[0]
    assert ast.unparse(first) == "multiprocessing.freeze_support()"


def test_the_spec_builds_a_windowed_one_folder_bundle_named_image2model() -> None:
    spec = (REPO / "build.spec").read_text()
    assert 'name="Image2Model"' in spec
    assert "console=False" in spec
    assert "exclude_binaries=True" in spec  # one folder, not one file
    assert "copy_metadata(dist)" in spec and '"image2model-desktop"' in spec
    assert "upx=True" not in spec


def elf_with_load(offset: int, vaddr: int, align: int = 4096) -> bytes:
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 32, 64)  # e_phoff
    struct.pack_into("<HH", header, 54, 56, 1)  # e_phentsize, e_phnum
    phdr = struct.pack("<IIQQQQQQ", 1, 5, offset, vaddr, vaddr, 16, 16, align)
    return bytes(header) + phdr


def test_strip_guard_refuses_a_library_the_loader_would_refuse(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.so", tmp_path / "bad.so"
    good.write_bytes(elf_with_load(0x2000, 0x3000))
    bad.write_bytes(elf_with_load(0x2008, 0x3000))  # what GNU strip made of numpy's OpenBLAS
    assert strip.loadable(good, good)
    assert not strip.loadable(bad, good)


def test_strip_guard_accepts_the_real_libraries_of_this_python() -> None:
    spec = importlib.util.find_spec("_ssl") or importlib.util.find_spec("_ctypes")
    assert spec is not None and spec.origin is not None
    library = Path(spec.origin)
    assert strip.load_segments(library), library
    assert strip.loadable(library, library)


def test_the_spec_ships_the_metadata_the_about_dialog_reads() -> None:
    # About reads each library's version with importlib.metadata; frozen, that
    # needs its dist-info, which build.spec copies (and fails on one not installed).
    spec = (REPO / "build.spec").read_text()
    match = re.search(r"^ABOUT_DISTS = (\(.*?\))$", spec, re.MULTILINE)
    assert match, "build.spec defines no ABOUT_DISTS"
    shipped = set(ast.literal_eval(match.group(1)))
    about = ast.parse((PACKAGE / "gui" / "shell" / "about.py").read_text())
    read = {
        node.value
        for loop in ast.walk(about)
        if isinstance(loop, ast.For) and isinstance(loop.iter, ast.Tuple)
        for node in loop.iter.elts
        if isinstance(node, ast.Constant)
    }
    assert read, "expected about.py to loop over distribution names"
    assert read == shipped
    for dist in shipped:
        assert importlib.metadata.version(dist)


def test_the_gtk_theme_takes_its_libraries_and_glib_from_the_system() -> None:
    binaries = [
        ("PySide6/Qt/lib/libQt6Core.so.6", "/w/QtCore", "BINARY"),
        (bundle_config.GTK_THEME_PLUGIN, "/w/qgtk3", "BINARY"),
        ("libgtk-3.so.0", "/s/gtk", "BINARY"),
        ("libX11.so.6", "/s/x11", "BINARY"),
        ("libglib-2.0.so.0", "/s/glib", "BINARY"),
        ("libpython3.11.so.1.0", "/s/python", "BINARY"),
    ]
    # Each binary's needs, its libraries' needs included (as ldd lists them).
    needs = {
        "/w/QtCore": {"libglib-2.0.so.0", "libX11.so.6"},
        "/w/qgtk3": {"libgtk-3.so.0", "libX11.so.6", "libglib-2.0.so.0", "libQt6Core.so.6"},
        "/s/gtk": {"libX11.so.6", "libglib-2.0.so.0"},
        "/s/x11": set(),
        "/s/glib": set(),
        "/s/python": set(),
    }
    left = bundle_config.desktop_libraries(binaries, lambda src: needs[src])
    # GTK only serves the theme; X11 serves Qt too; GLib is shared with the system's GTK.
    assert left == {"libgtk-3.so.0", "libglib-2.0.so.0"}


def test_the_small_ffmpeg_takes_the_wheels_place_on_linux() -> None:
    entries = [
        ("imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2", "/wheel/ffmpeg", "BINARY"),
        ("imageio_ffmpeg/binaries/README.md", "/wheel/README.md", "DATA"),
    ]
    swapped = bundle_config.with_small_ffmpeg(entries, "/build/ffmpeg")
    assert swapped[0] == (entries[0][0], "/build/ffmpeg", "BINARY")
    assert swapped[1] == entries[1]
    script = (REPO / "tools" / "build-ffmpeg.sh").read_text()
    assert bundle_config.SMALL_FFMPEG in script
    # The two commands the app runs through it (mesh/turntable.py via imageio-ffmpeg).
    assert "--enable-encoder=libx264" in script and "--enable-muxer=mp4,null" in script


def test_duplicate_vendored_libraries_become_links(tmp_path: Path) -> None:
    for folder in ("numpy.libs", "scipy.libs"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "libgfortran-040039e1.so.5").write_bytes(b"same")
    (tmp_path / "scipy.libs" / "libopenblas-1.so").write_bytes(b"scipy's")
    assert bundle_config.link_duplicate_libraries(tmp_path) == 4
    link = tmp_path / "scipy.libs" / "libgfortran-040039e1.so.5"
    assert link.is_symlink() and link.read_bytes() == b"same"
    assert not (tmp_path / "scipy.libs" / "libopenblas-1.so").is_symlink()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF libraries, nm")
def test_qt_asks_icu_only_for_what_the_trimmed_data_keeps() -> None:
    import icu

    pyside = importlib.util.find_spec("PySide6")
    assert pyside is not None and pyside.origin is not None
    qt = Path(pyside.origin).parent / "Qt"
    used = set()
    for library in [*qt.glob("lib/libQt6*.so.*"), *qt.glob("plugins/*/*.so")]:
        result = subprocess.run(
            ["nm", "-D", "--undefined-only", str(library)],
            capture_output=True,
            text=True,
            check=True,
        )
        used |= set(re.findall(r"\b(u[a-z]*)_[A-Za-z0-9]+_\d+\b", result.stdout))
    # Collation, time zone names, converters, case mapping: what packaging/icu.py keeps.
    assert used <= {"ucol", "ucal", "ucnv", "u"}, sorted(used)
    removed = icu.unused_items(
        {
            "coll/de.res": 900,
            "zone/de.res": 900,
            "root.res": 900,
            "res_index.res": 9,
            "pool.res": 9,
            "supplementalData.res": 9,
            "ibm-5348_P100-1997.cnv": 1500,
            "euc-jp-2007.cnv": 90_000,
            "lang/de.res": 9,
            "brkitr/cjdict.dict": 9,
            "de.res": 9,
        }
    )
    assert removed == ["brkitr/cjdict.dict", "de.res", "euc-jp-2007.cnv", "lang/de.res"]


def elf_with_runpath(runpath: bytes) -> bytes:
    """A 64-bit ELF whose dynamic section names ``runpath`` (one PT_LOAD maps the file 1:1)."""
    strtab = b"\0libfoo.so\0" + runpath + b"\0"
    header_size, phdr_size = 64, 56
    dynamic_at = header_size + 2 * phdr_size
    strtab_at = dynamic_at + 48  # three 16-byte entries
    dynamic = struct.pack("<qQqQqQ", 5, strtab_at, 29, 11, 0, 0)  # DT_STRTAB, DT_RUNPATH, DT_NULL
    size = strtab_at + len(strtab)
    header = bytearray(header_size)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 32, header_size)
    struct.pack_into("<HH", header, 54, phdr_size, 2)
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, size, size, 4096)
    dyn = struct.pack("<IIQQQQQQ", 2, 6, dynamic_at, dynamic_at, dynamic_at, 48, 48, 8)
    return bytes(header) + load + dyn + dynamic + strtab


def test_a_build_machine_search_path_is_replaced_by_origin(tmp_path: Path) -> None:
    pyenv = tmp_path / "_asyncio.so"
    pyenv.write_bytes(elf_with_runpath(b"/root/.pyenv/versions/3.11.7/lib"))
    wheel = tmp_path / "wheel.so"
    wheel.write_bytes(elf_with_runpath(b"$ORIGIN/../numpy.libs"))

    assert strip.build_search_path(wheel) is None
    assert strip.without_build_search_path(pyenv)
    assert strip.build_search_path(pyenv) is None
    data = pyenv.read_bytes()
    assert b"/root/.pyenv" not in data and b"$ORIGIN\0" in data
    assert len(data) == len(elf_with_runpath(b"/root/.pyenv/versions/3.11.7/lib"))
