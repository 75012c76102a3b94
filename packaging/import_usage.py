"""Measure what the app imports at run time, and check the bundle excludes none of it.

    python packaging/import_usage.py

Runs, from the source tree, with a hook that writes ``sys.modules`` at exit in
every process (the GUI and its spawned workers):
1. ``image2model --self-test`` under Xvfb (window, offline engine, the 3D
   preview's QtInteractor, the grid picture drawn off screen in a worker);
2. ``image2model generate`` with the offline engine (its rendered picture);
3. ``image2model turntable`` to GIF and to MP4, and ``turntable --all`` (a
   contact sheet);
4. reading (the preview's loader) and rendering (the off-screen pictures) a
   model saved as GLB, OBJ, STL and PLY: every format the app can show;
5. the preview's features on a real ``ModelView`` under Xvfb: every lighting
   preset (the light kit), PBR on a model with metal/roughness maps,
   dimension rulers, a picked point and a measured line, the section plane,
   a transparent screenshot.

Prints the top-level packages and the ``vtkmodules`` extension modules
imported, and exits 1 if one of them (or any submodule) is in
``bundle_config.excludes()``: the frozen app would fail there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from bundle_config import VTK_KEEP, excludes  # noqa: E402

HOOK = """
import atexit, os, sys
def _dump():
    folder = os.environ["IMPORT_USAGE_DIR"]
    with open(os.path.join(folder, f"{os.getpid()}.txt"), "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
    with open("/proc/self/maps") as maps:
        libraries = sorted({line.split()[-1] for line in maps if ".so" in line})
    with open(os.path.join(folder, f"{os.getpid()}.maps"), "w") as f:
        f.write("\\n".join(libraries))
atexit.register(_dump)
"""

EXERCISE = """
import sys, tempfile, zipfile
from pathlib import Path
from image2model_desktop.mesh.scene import load_scene
from image2model_desktop.mesh.export import export_with_options
from image2model_desktop.mesh.options import ExportOptions
from image2model_desktop.mesh.render import render_preview

glb = Path(sys.argv[1])
out = Path(tempfile.mkdtemp())
models = [glb]
for suffix in (".obj.zip", ".stl", ".ply"):
    path = export_with_options(glb, out / f"model{suffix}", ExportOptions()).path
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            archive.extractall(out / "obj")
        path = next((out / "obj").rglob("*.obj"))
    models.append(path)
for path in models:
    loaded = load_scene(path)
    render_preview(path, out / f"{path.suffix[1:]}.png", 128)
    print(f"  read and rendered {path.suffix}: {loaded.faces} faces")
"""

PREVIEW = """
import sys
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from image2model_desktop.gui.qt import QApplication

app = QApplication([])
from image2model_desktop.gui.preview.view3d import ModelView
from image2model_desktop.mesh import stage

glb, out = Path(sys.argv[1]), Path(sys.argv[2])
scene = trimesh.load(glb)
for geometry in scene.geometry.values():  # metal/roughness maps: the PBR switch applies
    orm = np.zeros((16, 16, 3), np.uint8)
    orm[..., 1], orm[..., 2] = 60, 255
    geometry.visual.material.metallicRoughnessTexture = Image.fromarray(orm)
scene.export(out / "metal.glb")
view = ModelView()
view.resize(640, 480)
view.show()
app.processEvents()
for path in (glb, out / "metal.glb"):
    model = stage.build_view_model(path)
    view.show_model(model, stage.make_actors(model))
    for preset in stage.Lighting:
        view.set_lighting(preset)
    view.set_pbr(model.has_pbr)
    view.set_wireframe(True)
    view.set_wireframe(False)
    view.show_dimensions("mm")
    point = view.pick(view.plotter.width() // 2, view.plotter.height() // 2)
    assert point is not None, "the pick missed the model"
    print("  " + path.name, view.measure_points([point, point + 0.01], "mm"), end=" ")
    view.set_section(0, 0.5)
    view.set_dark(True)
    print(view.screenshot(transparent=True).shape)
view.release()
"""

#: Imported only when installed, and excluded on purpose: pyvista.typing.mypy_plugin
#: imports mypy (and with it librt, mypy_extensions) when ``find_spec("mypy")``
#: finds it, as in a development environment. The bundle runs without them.
ONLY_WHEN_INSTALLED = ("mypy", "mypy_extensions", "librt")

XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]


def report_unloaded(loaded: set[str]) -> None:
    """List the built bundle's shared libraries that no process of the runs above loaded."""
    internal = ROOT / "dist" / "Image2Model" / "_internal"
    if not internal.is_dir():
        print("\n(no dist/Image2Model: build it to list the libraries it carries but never loads)")
        return
    # A wheel's library keeps its path below site-packages; a system library lands at
    # the top under its soname, while /proc/<pid>/maps names the file the soname links to.
    names = {Path(p).name for p in loaded} | {soname(p) for p in loaded if "site-packages" not in p}
    unloaded = []
    for path in internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(internal).as_posix()
        if "/" in relative:
            used = any(p.endswith("/" + relative) for p in loaded)
        else:
            used = path.name in names
        if not used:
            unloaded.append((path.stat().st_size, relative))
    unloaded.sort(reverse=True)
    total = sum(size for size, _ in unloaded)
    print(f"\nbundled shared libraries no process loaded: {len(unloaded)}, {total / 2**20:.0f} MB")
    for size, relative in unloaded[:40]:
        print(f"  {size / 2**20:6.1f} MB  {relative}")


def soname(path: str) -> str:
    result = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if "(SONAME)" in line:
            return line.split("[", 1)[1].rstrip("]")
    return Path(path).name


def main() -> int:
    python = Path(sys.executable)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "hook").mkdir()
        (work / "hook" / "sitecustomize.py").write_text(HOOK)
        (work / "dumps").mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(work / "hook"), str(ROOT)]),
            "IMPORT_USAGE_DIR": str(work / "dumps"),
            "IMAGE2MODEL_DATA_DIR": str(work / "library"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        cli = [str(python), "-m", "image2model_desktop"]
        runs = [
            ("self-test", [*XVFB, *cli, "--self-test"]),
            (
                "generate",
                [
                    *cli,
                    "generate",
                    str(ROOT / "resources" / "samples" / "mug.jpg"),
                    "--engine",
                    "offline",
                    "--out",
                    str(work / "models"),
                ],
            ),
        ]
        for name, command in runs:
            print(f"{name}…", flush=True)
            subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=300)
        glb = next((work / "models").glob("*.glb"))
        small = ["--frames", "6", "--size", "96x96"]
        later = [
            ("turntable GIF", [*cli, "turntable", str(glb), str(work / "t.gif"), *small]),
            ("turntable MP4", [*cli, "turntable", str(glb), str(work / "t.mp4"), *small]),
            (
                "contact sheet",
                [*cli, "turntable", "--all", str(work / "models"), str(work / "sheet.png")],
            ),
            ("every preview format", [*XVFB, str(python), "-c", EXERCISE, str(glb)]),
            ("the preview's features", [*XVFB, str(python), "-c", PREVIEW, str(glb), str(work)]),
        ]
        for name, command in later:
            print(f"{name}…", flush=True)
            subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=300)
        used: set[str] = set()
        for dump in (work / "dumps").glob("*.txt"):
            used.update(dump.read_text().split())
        loaded: set[str] = set()
        for dump in (work / "dumps").glob("*.maps"):
            loaded.update(dump.read_text().split())
    stdlib = set(sys.stdlib_module_names)
    tops = sorted({n.split(".")[0] for n in used} - stdlib - {"sitecustomize"})
    print(f"\ntop-level packages imported besides the standard library ({len(tops)}):")
    print("  " + " ".join(t for t in tops if not t.startswith("_")))
    vtk = sorted({n.split(".")[1] for n in used if n.startswith("vtkmodules.vtk")})
    print(f"\nvtkmodules extension modules imported ({len(vtk)}):")
    print("  " + " ".join(vtk))
    print(f"in VTK_KEEP but not imported this time: {sorted(VTK_KEEP - set(vtk)) or 'none'}")
    report_unloaded(loaded)
    dropped = [e for e in excludes() if e not in ONLY_WHEN_INSTALLED]
    hits = sorted(n for n in used if any(n == e or n.startswith(e + ".") for e in dropped))
    if hits:
        print(f"EXCLUDED from the bundle but imported (the bundle would fail): {hits}")
        return 1
    print("The bundle excludes nothing the app imported.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
