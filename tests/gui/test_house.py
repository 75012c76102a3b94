"""The window's house rules (docs/architecture.md, "The window"), read from the source.

gui/ is grouped by page; a few infrastructure modules stay flat; only the Qt
gateway imports the binding; no mixins; no import loop between the window's
modules (a function-level or TYPE_CHECKING import back counts); every key is
bound to one command.
"""

from __future__ import annotations

import ast
from pathlib import Path

from image2model_desktop.gui.qt import QKeySequence
from image2model_desktop.gui.widgets.keymap import KEYMAP

GUI = Path(__file__).resolve().parents[2] / "image2model_desktop" / "gui"
PACKAGE = GUI.parent
#: The infrastructure beside the page packages (at most eight).
FLAT = {"app", "qt", "qtloop", "bridge", "style", "background", "gc_guard", "selftest"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, wherever the import stands (functions, TYPE_CHECKING)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_gui_holds_page_packages_and_at_most_eight_flat_modules():
    flat = {p.stem for p in GUI.glob("*.py") if p.name != "__init__.py"}
    assert flat == FLAT
    packages = {p.name for p in GUI.iterdir() if (p / "__init__.py").exists()}
    assert {"shell", "upload", "processing", "results", "preview", "settings", "widgets"} == (
        packages
    )


def test_only_the_gateway_imports_the_qt_binding():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path != GUI / "qt.py" and any(n.split(".")[0] == "PySide6" for n in _imports(path))
    ]
    assert offenders == []


def test_no_mixins():
    """A class of the window has one base: a split that needs a second is no seam."""
    mixins = [
        f"{path.relative_to(PACKAGE)}: {node.name}"
        for path in GUI.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and (len(node.bases) > 1 or node.name.endswith("Mixin"))
    ]
    assert mixins == []


def test_no_import_loop_between_the_windows_modules():
    modules = {_module(path): path for path in GUI.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    # A package's __init__ only names it: importing ``gui.results.page`` is not a loop
    # through ``gui.results``.
    graph = {
        name: {m for m in deps if modules[m].name != "__init__.py"} for name, deps in graph.items()
    }
    loops: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                loops.append([*trail[trail.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert loops == []


def test_every_key_belongs_to_one_command(qapp):
    seen: dict[str, str] = {}
    clashes = []
    for command in KEYMAP.commands():
        key = command.shortcut.toString(QKeySequence.SequenceFormat.PortableText)
        if not key:
            continue
        if key in seen:
            clashes.append(f"{key}: {seen[key]} and {command.name}")
        seen[key] = command.name
    assert clashes == []
    assert KEYMAP.tooltip("results:save").startswith("Save the selected model (")
    assert KEYMAP.tooltip("upload:clear") == "Remove every photo from the list"
