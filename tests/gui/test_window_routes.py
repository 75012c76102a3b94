"""The main window routes between pages and never reaches into a page's child widgets.

Read from the window's source (every class of ours in ``MainWindow``'s MRO): each
widget the window makes (``self.<part> = SomeWidget(...)``) may be used only as
``self.<part>.<member>``, where ``member`` is a public method or signal its own class
defines, or a QWidget call about the widget as a whole (show, setFocus…), never a
way into its children (findChild, layout…), and never one step further.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

from image2model_desktop.gui.qt import QObject, QWidget, Signal
from image2model_desktop.gui.shell.window import MainWindow

#: QObject/QWidget calls that reach into a widget's children instead of the widget.
INTROSPECTION = frozenset(
    {
        "findChild",
        "findChildren",
        "children",
        "layout",
        "childAt",
        "focusWidget",
        "nextInFocusChain",
        "previousInFocusChain",
        "itemWidget",
    }
)


@dataclass(frozen=True)
class Reach:
    file: str
    line: int
    chain: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.chain}"


def _chain(node: ast.AST) -> list[str] | None:
    """``self.a.b.c`` as ["self", "a", "b", "c"]; None when it does not start at a name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _outermost_chains(tree: ast.AST) -> list[tuple[int, list[str]]]:
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            chain = _chain(node)
            if chain is not None:
                found.append((node.lineno, chain))
    return found


OURS = "image2model_desktop."


def _own_classes(cls: type, package: str = OURS) -> list[type]:
    return [c for c in cls.__mro__ if c.__module__.startswith(package)]


def _widget_parts(cls: type, package: str = OURS) -> dict[str, type]:
    """``self.<name> = Widget(...)`` in the window's classes: name → widget class."""
    parts: dict[str, type] = {}
    for own in _own_classes(cls, package):
        namespace = vars(inspect.getmodule(own))
        tree = ast.parse(textwrap.dedent(inspect.getsource(own)))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
                continue
            made = _chain(node.value.func)
            if made is None:
                continue
            value = namespace.get(made[0])
            for step in made[1:]:
                value = getattr(value, step, None)
            if not (isinstance(value, type) and issubclass(value, QWidget)):
                continue
            for target in node.targets:
                chain = _chain(target)
                if chain is not None and len(chain) == 2 and chain[0] == "self":
                    parts[chain[1]] = value
    return parts


def _allowed(widget: type, member: str, package: str) -> bool:
    if member.startswith("_") or member in INTROSPECTION:
        return False
    for klass in widget.__mro__:
        if member not in vars(klass):
            continue
        value = vars(klass)[member]
        if klass.__module__.startswith(package):
            return inspect.isfunction(value) or isinstance(value, Signal)
        # Qt's own API of the widget as a whole (show, setFocus, isVisible…).
        return issubclass(klass, QObject) and callable(value)
    return False  # an instance attribute: a child widget or the page's own state


def _allowed_chain(widget: type, members: list[str], package: str) -> bool:
    """``member`` alone, or a signal's own ``connect``/``disconnect``/``emit``."""
    if not _allowed(widget, members[0], package):
        return False
    if len(members) == 1:
        return True
    signal = isinstance(getattr(widget, members[0], None), Signal)
    return len(members) == 2 and signal and members[1] in ("connect", "disconnect", "emit")


def reaches_into_pages(window: type, package: str = OURS) -> list[Reach]:
    parts = _widget_parts(window, package)
    offences: list[Reach] = []
    for own in _own_classes(window, package):
        source = textwrap.dedent(inspect.getsource(own))
        first = inspect.getsourcelines(own)[1]
        where = Path(inspect.getsourcefile(own) or "?").name
        tree = ast.parse(source)
        for line, chain in _outermost_chains(tree):
            if len(chain) < 3 or chain[0] != "self" or chain[1] not in parts:
                continue
            if not _allowed_chain(parts[chain[1]], chain[2:], package):
                offences.append(Reach(where, first + line - 1, ".".join(chain)))
        for node in ast.walk(tree):
            # An alias (``grid = self.results``) would let a reach pass unseen.
            if isinstance(node, ast.Assign):
                chain = _chain(node.value)
                if chain and len(chain) == 2 and chain[0] == "self" and chain[1] in parts:
                    targets = [_chain(t) for t in node.targets]
                    if any(t is None or t[0] != "self" for t in targets):
                        offences.append(
                            Reach(where, first + node.lineno - 1, f"alias of {'.'.join(chain)}")
                        )
    return offences


def test_the_window_makes_pages_and_the_check_sees_them():
    parts = _widget_parts(MainWindow)
    assert {"upload", "processing", "results", "library", "header"} <= set(parts)


def test_the_window_touches_no_child_widget_of_a_page():
    offences = reaches_into_pages(MainWindow)
    assert offences == [], "\n".join(map(str, offences))


SAMPLE = """
from image2model_desktop.gui.qt import QLabel, QWidget


class Page(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.label = QLabel()

    def show_text(self, text: str) -> None:
        self.label.setText(text)


class Window(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self.page.show_text("fine")
        self.page.show()
        self.page.label.setText("reaches in")
        self.page.findChild(QLabel)
        page = self.page
        page.label.clear()
"""


def test_the_check_catches_a_reach_and_an_alias(tmp_path, monkeypatch):
    (tmp_path / "routes_sample.py").write_text(SAMPLE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import routes_sample

    found = [reach.chain for reach in reaches_into_pages(routes_sample.Window, "routes_sample")]
    assert found == ["self.page.label.setText", "self.page.findChild", "alias of self.page"]
