"""The core, engines and mesh import no Qt and no web framework (docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "image2model_desktop"
LOWER_LAYERS = ("core", "engines", "mesh")
FORBIDDEN = ("PySide6", "qasync", "pyvistaqt", "fastapi", "starlette", "uvicorn")
UPWARD = ("image2model_desktop.gui", "image2model_desktop.server", "image2model_desktop.cli")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_lower_layer_file_imports_qt_or_web_or_front_ends() -> None:
    offenders = []
    for layer in LOWER_LAYERS:
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                if name.split(".")[0] in FORBIDDEN or name.startswith(UPWARD):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_importing_lower_layers_loads_no_qt_or_web_module() -> None:
    modules = [
        f"image2model_desktop.{p.relative_to(PACKAGE).with_suffix('').as_posix().replace('/', '.')}"
        for layer in LOWER_LAYERS
        for p in sorted((PACKAGE / layer).rglob("*.py"))
        if p.name != "__init__.py"
    ]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
