"""What goes into the PyInstaller bundle and what is left out (read by ``build.spec``).

Kept apart from the spec so a plain test can check it without running PyInstaller.

The VTK list is measured, not guessed: ``python packaging/import_usage.py`` runs
the app (window self-test, CLI generate, turntable GIF and MP4, contact sheet,
every preview format, the preview's lighting/PBR/dimensions/measuring/section)
with a hook that records ``sys.modules`` in every process (the GUI and its
spawned workers), prints the ``vtkmodules.vtk*`` extension modules imported,
and fails if the app imported anything excluded here. pyvista resolves VTK
classes lazily (``pyvista._vtk``), and VTK's Python modules import their own
dependencies on load, so that set is closed. Everything else under
``vtkmodules`` (about 110 extension modules and the libraries only they link,
e.g. the Viskores filters, IOSS, HDF5, NetCDF, the web/VR renderers) is excluded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

#: ``vtkmodules`` extension modules the app imports at run time (measured with
#: packaging/import_usage.py on vtk 9.7.2, pyvista 0.49.1, pyvistaqt 0.13.1).
VTK_KEEP: frozenset[str] = frozenset(
    {
        "vtkChartsCore",
        "vtkCommonColor",
        "vtkCommonCore",
        "vtkCommonDataModel",
        "vtkCommonExecutionModel",
        "vtkCommonMath",
        "vtkCommonMisc",
        "vtkCommonSystem",
        "vtkCommonTransforms",
        "vtkFiltersCore",
        "vtkFiltersGeneral",
        "vtkFiltersModeling",
        "vtkFiltersPython",
        "vtkFiltersSources",
        "vtkIOCore",
        "vtkIOImage",
        "vtkImagingCore",
        "vtkImagingMath",
        "vtkImagingSources",
        "vtkInteractionStyle",
        "vtkInteractionWidgets",
        "vtkParallelCore",
        "vtkPythonContext2D",
        "vtkRenderingAnnotation",
        "vtkRenderingContext2D",
        "vtkRenderingContextOpenGL2",
        "vtkRenderingCore",
        "vtkRenderingFreeType",
        "vtkRenderingHyperTreeGrid",
        "vtkRenderingLabel",
        "vtkRenderingMatplotlib",
        "vtkRenderingOpenGL2",
        "vtkRenderingUI",
        "vtkRenderingVolume",
        "vtkRenderingVolumeOpenGL2",
        "vtkViewsContext2D",
        "vtkViewsCore",
    }
)

#: Pure-Python parts of ``vtkmodules`` that are never imported: ``all`` (and the
#: ``vtk`` shim that imports it) would pull in every VTK module; the GUI-toolkit
#: glue (pyvistaqt brings its own Qt interactor), tests and web.
VTK_PACKAGES_EXCLUDED = (
    "vtk",
    "vtkmodules.all",
    "vtkmodules.generate_pyi",
    "vtkmodules.gtk",
    "vtkmodules.qt",
    "vtkmodules.test",
    "vtkmodules.tk",
    "vtkmodules.web",
    "vtkmodules.wx",
)

#: Qt modules the app never imports (it uses Core, Gui, Widgets, OpenGL, OpenGLWidgets,
#: and Network for QLocalServer: a second launch hands its photos to the running window).
QT_EXCLUDED = tuple(
    f"PySide6.{name}"
    for name in [
        "Qt3DAnimation",
        "Qt3DCore",
        "Qt3DExtras",
        "Qt3DInput",
        "Qt3DLogic",
        "Qt3DRender",
        "QtAxContainer",
        "QtBluetooth",
        "QtCharts",
        "QtConcurrent",
        "QtDataVisualization",
        "QtDBus",
        "QtDesigner",
        "QtGraphs",
        "QtHelp",
        "QtHttpServer",
        "QtLocation",
        "QtMultimedia",
        "QtMultimediaWidgets",
        "QtNetworkAuth",
        "QtNfc",
        "QtPdf",
        "QtPdfWidgets",
        "QtPositioning",
        "QtPrintSupport",
        "QtQml",
        "QtQuick",
        "QtQuick3D",
        "QtQuickControls2",
        "QtQuickTest",
        "QtQuickWidgets",
        "QtRemoteObjects",
        "QtScxml",
        "QtSensors",
        "QtSerialBus",
        "QtSerialPort",
        "QtSpatialAudio",
        "QtSql",
        "QtStateMachine",
        "QtSvgWidgets",
        "QtTest",
        "QtTextToSpeech",
        "QtUiTools",
        "QtWebChannel",
        "QtWebEngineCore",
        "QtWebEngineQuick",
        "QtWebEngineWidgets",
        "QtWebSockets",
        "QtWebView",
        "QtXml",
    ]
)

#: Development tools and optional integrations that third-party packages import
#: only inside ``try``/``if`` blocks. ``mypy``: pyvista.typing.mypy_plugin imports
#: it only when ``find_spec("mypy")`` finds it (and costs 30 ms at startup then).
DEV_EXCLUDED = (
    "tkinter",
    "_tkinter",
    "turtle",
    "turtledemo",
    "idlelib",
    "lib2to3",
    "pydoc_data",
    "pytest",
    "_pytest",
    "pytestqt",
    "pytest_asyncio",
    "pytest_timeout",
    "pytest_xvfb",
    "pyvirtualdisplay",
    "hypothesis",
    "hypothesis_graphql",
    "schemathesis",
    "trustme",
    "mypy",
    "mypyc",
    "mypy_extensions",
    "librt",
    "ast_serialize",
    "ruff",
    "IPython",
    "ipykernel",
    "ipywidgets",
    "jupyter_client",
    "notebook",
    "trame",
    "trame_vtk",
    "trame_vuetify",
    "pyvista.trame",
    "pyvista.ext",
    "pyvista.examples",
    "werkzeug",
    "graphql",
    "harfile",
    "jsonschema_rs",
    "pyrate_limiter",
    "matplotlib.tests",
    "numpy.tests",
    "scipy.tests",
    "PIL.ImageTk",
    "PIL.AvifImagePlugin",  # the app takes JPEG and PNG; libavif alone is 5 MB
    "PIL._avif",
    "setuptools",
    "pkg_resources",
    "distutils",
)

#: Installed for the tests, or optional in a library, and never used by the app:
#: trimesh imports ``skimage`` only in functions the app never calls (voxel
#: remeshing); the tests use its bundled photographs. The rest: no process
#: loads them (packaging/import_usage.py lists what the bundle carries and no
#: run loaded): lxml's objectify and HTML tools (trimesh writes 3MF with
#: lxml.etree), scipy's Cython API module, matplotlib's contour and triangulation
#: code (pyvista takes colormaps from matplotlib, never plots), CPython's test
#: extensions. A change that needs one of them fails tests/test_bundle_layout.py
#: until it is taken off this list.
OPTIONAL_EXCLUDED = (
    "skimage",
    "lxml.objectify",
    "lxml.html",
    "scipy.special.cython_special",
    "contourpy",
    "matplotlib._tri",
    "matplotlib._qhull",
    "_testcapi",
    "_testbuffer",
    "_testinternalcapi",
    "_testmultiphase",
    "_testimportmultiple",
    "_xxtestfuzz",
    "_ctypes_test",
    "xxlimited",
    "xxlimited_35",
    "xxsubtype",
)

#: Data files nobody reads: Qt's own UI translations (the app loads no
#: QTranslator) and matplotlib's sample data.
DATA_EXCLUDED_PREFIXES = (
    "PySide6/Qt/translations/",
    "matplotlib/mpl-data/sample_data/",
    # Type-1 font metrics for matplotlib's PostScript/PDF backends (only Agg ships).
    "matplotlib/mpl-data/fonts/afm/",
    "matplotlib/mpl-data/fonts/pdfcorefonts/",
    # matplotlib draws no text here (pyvista takes colormaps from it; VTK draws the
    # labels with its own font): only its default family (DejaVu Sans) and its
    # last-resort glyphs stay, not its maths, serif and monospace faces (4 MB).
    "matplotlib/mpl-data/fonts/ttf/STIX",
    "matplotlib/mpl-data/fonts/ttf/cm",
    "matplotlib/mpl-data/fonts/ttf/DejaVuSerif",
    "matplotlib/mpl-data/fonts/ttf/DejaVuSansMono",
    "matplotlib/mpl-data/fonts/ttf/DejaVuSansDisplay",
)

#: Qt platform plugins for embedded/kiosk targets (framebuffer, KMS, VNC);
#: xcb (X11), wayland, offscreen and minimal stay.
#:
#: The C++ runtime comes from the target system, not the build machine: the
#: system's Mesa GL drivers (loaded into this process) need a libstdc++ as new as
#: the system's, and a bundled older one makes them fail ("MESA-LOADER: failed to
#: open iris: …/libstdc++.so.6: version `GLIBCXX_3.4.3x' not found"), leaving the
#: 3D preview without GL. The bundle needs glibc >= 2.36 anyway (Debian 12 builds),
#: and every such system has a libstdc++ with the GLIBCXX_3.4.30 the bundle needs.
BINARY_EXCLUDED_PREFIXES = (
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/egldeviceintegrations/",
    # Raw input devices (evdev, TUIO) for kiosks without X11 or Wayland, and the
    # network-status backends of QNetworkInformation, which the app never asks.
    "PySide6/Qt/plugins/generic/",
    "PySide6/Qt/plugins/networkinformation/",
    # Image formats the app never reads with Qt (photos are JPEG or PNG, icons PNG/SVG).
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqwebp.so",
    "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so",
    "PySide6/Qt/plugins/imageformats/libqicns.so",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so",
    "PySide6/Qt/lib/libQt6EglFsKmsSupport.so",
)


#: What of resources/ ships (to _internal/resources, where
#: image2model_desktop.resources finds it through sys._MEIPASS): icons, sample
#: photos, the .desktop entry. The make_*.py generators and notes stay behind.
RESOURCE_SUFFIXES = frozenset({".png", ".svg", ".ico", ".icns", ".jpg", ".jpeg", ".desktop"})


def resource_files(root: Path) -> list[tuple[str, str]]:
    """``(source file, destination folder)`` pairs for ``Analysis(datas=…)``."""
    return [
        (str(path), path.parent.relative_to(root).as_posix())
        for path in sorted((root / "resources").rglob("*"))
        if path.is_file() and path.suffix.lower() in RESOURCE_SUFFIXES
    ]


def vtk_extension_modules() -> list[str]:
    """Names of the installed ``vtkmodules`` extension modules (``vtkCommonCore`` …)."""
    import vtkmodules

    folder = Path(vtkmodules.__file__).parent
    names = {p.name.split(".", 1)[0] for p in folder.iterdir() if p.name.startswith("vtk")}
    return sorted(n for n in names if _is_extension(folder, n))


def _is_extension(folder: Path, name: str) -> bool:
    return any(folder.glob(f"{name}.*.so")) or any(folder.glob(f"{name}.*.pyd"))


def excludes() -> list[str]:
    """Every module name to pass to ``Analysis(excludes=…)``."""
    vtk_dropped = [f"vtkmodules.{n}" for n in vtk_extension_modules() if n not in VTK_KEEP]
    return sorted(
        {*VTK_PACKAGES_EXCLUDED, *vtk_dropped, *QT_EXCLUDED, *DEV_EXCLUDED, *OPTIONAL_EXCLUDED}
    )


#: Qt's GTK 3 platform theme: on GNOME, GTK's own file dialogs and palette.
GTK_THEME_PLUGIN = "PySide6/Qt/plugins/platformthemes/libqgtk3.so"

#: GLib comes from the system (Debian: libglib2.0-0), so that Qt and the GTK
#: that the GTK theme loads share the system's one; a bundled older GLib under a
#: newer system GTK would fail the plugin's load.
SYSTEM_GLIB = frozenset(
    {
        "libglib-2.0.so.0",
        "libgobject-2.0.so.0",
        "libgio-2.0.so.0",
        "libgmodule-2.0.so.0",
        "libgthread-2.0.so.0",
    }
)


def desktop_libraries(
    binaries: list[tuple[str, str, str]], imports: Callable[[str], set[str]]
) -> set[str]:
    """Top-level libraries to leave to the system: GLib, and what only the GTK theme needs.

    The GTK stack (GTK, GDK, cairo, pango, ATK, epoxy, the X extensions … about
    15 MB) is on every GNOME desktop, where the theme is used; elsewhere the
    plugin does not load and Qt's own dialogs appear. ``binaries`` are
    PyInstaller's ``(dest, source, kind)`` entries, ``imports(source)`` the
    names of every library a binary needs, its libraries' needs included.
    """
    plugin = [src for dest, src, _ in binaries if _posix(dest) == GTK_THEME_PLUGIN]
    gtk_needs = imports(plugin[0]) if plugin else set()
    top = {dest for dest, _, _ in binaries if "/" not in _posix(dest)}
    candidates = top & gtk_needs
    # What everything else needs (``imports`` goes all the way down, so one pass will do).
    others: set[str] = set()
    for dest, src, kind in binaries:
        elsewhere = dest not in candidates and _posix(dest) != GTK_THEME_PLUGIN
        if elsewhere and kind in ("BINARY", "EXTENSION"):
            others |= imports(src)
    return (candidates - others) | (top & SYSTEM_GLIB)


def _posix(dest: str) -> str:
    return dest.replace("\\", "/")


#: The small ffmpeg ``tools/build-ffmpeg.sh`` builds (Linux): H.264 MP4 in and
#: out, 3 MB, in place of the 76 MB one in the imageio-ffmpeg wheel. It takes
#: that one's name, which is where imageio-ffmpeg looks.
SMALL_FFMPEG = "build/ffmpeg-min/ffmpeg"
WHEEL_FFMPEG_PREFIX = "imageio_ffmpeg/binaries/ffmpeg-linux"


def with_small_ffmpeg(datas: list[tuple[str, str, str]], small: str) -> list[tuple[str, str, str]]:
    """``datas`` with the wheel's Linux ffmpeg swapped for ``small`` (same destination)."""
    return [
        (dest, small, kind) if _posix(dest).startswith(WHEEL_FFMPEG_PREFIX) else (dest, src, kind)
        for dest, src, kind in datas
    ]


def link_duplicate_libraries(internal: Path) -> int:
    """Replace same-named, same-content copies in the wheels' ``*.libs`` folders by links.

    auditwheel names a vendored library after its content, and numpy and scipy
    vendor the same libgfortran (2.7 MB); the loader takes whichever loads
    first for both. Return the bytes saved.
    """
    seen: dict[tuple[str, str], Path] = {}
    saved = 0
    for path in sorted(internal.glob("*.libs/*")):
        if path.is_symlink() or not path.is_file():
            continue
        key = (path.name, hashlib.sha256(path.read_bytes()).hexdigest())
        first = seen.setdefault(key, path)
        if first is not path:
            saved += path.stat().st_size
            path.unlink()
            path.symlink_to(Path("..") / first.parent.name / first.name)
    return saved


def keep_data(dest: str) -> bool:
    return not dest.replace("\\", "/").startswith(DATA_EXCLUDED_PREFIXES)


def keep_binary(dest: str) -> bool:
    return not dest.replace("\\", "/").startswith(BINARY_EXCLUDED_PREFIXES)
