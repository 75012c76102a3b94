"""Measure what the app imports at run time, and check the bundle excludes none of it.

    python packaging/import_usage.py

Runs, from the source tree, with a hook that writes ``sys.modules`` at exit in
every process (the GUI and its spawned workers):
1. ``image2model --self-test`` under Xvfb (window, offline engine, 3D preview,
   the grid picture rendered off screen in a worker);
2. ``image2model generate`` with the offline engine;
3. reading (the preview's loader) and rendering (the thumbnail renderer) a model
   saved as GLB, OBJ, STL and PLY: every format the app can show.

Prints the top-level packages imported, and exits 1 if one of them (or any
submodule) is in ``bundle_config.excludes()``: the frozen app would fail there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from bundle_config import excludes  # noqa: E402

HOOK = """
import atexit, os, sys
def _dump():
    with open(os.path.join(os.environ["IMPORT_USAGE_DIR"], f"{os.getpid()}.txt"), "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
atexit.register(_dump)
"""

EXERCISE = """
import sys, tempfile, zipfile
from pathlib import Path
from image2model_desktop.mesh.scene import load_scene
from image2model_desktop.mesh.export import export_model
from image2model_desktop.mesh.render import render_preview

glb = Path(sys.argv[1])
out = Path(tempfile.mkdtemp())
models = [glb]
for fmt in ("obj", "stl", "ply"):
    path = export_model(glb, out / f"model.{fmt}", fmt)
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

XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]


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
        print("every preview format…", flush=True)
        subprocess.run(
            [*XVFB, str(python), "-c", EXERCISE, str(glb)], env=env, cwd=ROOT, check=True
        )
        used: set[str] = set()
        for dump in (work / "dumps").glob("*.txt"):
            used.update(dump.read_text().split())
    stdlib = set(sys.stdlib_module_names)
    tops = sorted({n.split(".")[0] for n in used} - stdlib - {"sitecustomize"})
    print(f"\ntop-level packages imported besides the standard library ({len(tops)}):")
    print("  " + " ".join(t for t in tops if not t.startswith("_")))
    dropped = excludes()
    hits = sorted(n for n in used if any(n == e or n.startswith(e + ".") for e in dropped))
    if hits:
        print(f"EXCLUDED from the bundle but imported (the bundle would fail): {hits}")
        return 1
    print("The bundle excludes nothing the app imported.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
