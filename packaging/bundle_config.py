"""What goes into the PyInstaller bundle and what is left out (read by ``build.spec``).

Kept apart from the spec so a plain test can check it without running PyInstaller.
``python packaging/import_usage.py`` runs the app (window self-test, CLI,
every preview format) with a hook that records ``sys.modules`` in every
process, and fails if the app imported anything listed here as excluded.
"""

from __future__ import annotations

from pathlib import Path

#: The 3D stack the app used before its own OpenGL viewer (gui/viewer.py) and
#: software renderer (mesh/raster.py) replaced it: 280 MB of VTK plus pyvista and
#: matplotlib. Nothing imports them now; excluded so that a development
#: environment that still has them installed cannot carry them into the bundle.
REPLACED_3D_STACK = (
    "vtk",
    "vtkmodules",
    "pyvista",
    "pyvistaqt",
    "matplotlib",
    "mpl_toolkits",
)

#: Qt modules the app never imports (it uses Core, Gui, Widgets, OpenGL, OpenGLWidgets).
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
        "QtNetwork",
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
#: only inside ``try``/``if`` blocks.
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
    "werkzeug",
    "graphql",
    "harfile",
    "jsonschema_rs",
    "pyrate_limiter",
    "numpy.tests",
    "scipy.tests",
    "PIL.ImageTk",
    "PIL.AvifImagePlugin",  # the app takes JPEG and PNG; libavif alone is 5 MB
    "PIL._avif",
    "setuptools",
    "pkg_resources",
    "distutils",
)

#: Data files nobody reads: Qt's own UI translations (the app loads no QTranslator).
DATA_EXCLUDED_PREFIXES = ("PySide6/Qt/translations/",)

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


def excludes() -> list[str]:
    """Every module name to pass to ``Analysis(excludes=…)``."""
    return sorted({*REPLACED_3D_STACK, *QT_EXCLUDED, *DEV_EXCLUDED})


def keep_data(dest: str) -> bool:
    return not dest.replace("\\", "/").startswith(DATA_EXCLUDED_PREFIXES)


def keep_binary(dest: str) -> bool:
    return not dest.replace("\\", "/").startswith(BINARY_EXCLUDED_PREFIXES)
