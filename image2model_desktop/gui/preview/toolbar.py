"""The preview's toolbar: every tool a ``QAction`` it owns, each change a signal.

Tools that do not fit a narrow pane (a 1024 px window) move behind the bar's own
» button, whose menu lists them with their checks and submenus: that works
because they are real actions (widgets added with ``addWidget`` have no menu
entry, and the » menu of a bar built that way opened empty). Every tool also has
a key (the keymap's ``preview:*`` commands, shown in its tooltip) that works
while the results page is shown, and Tab reaches every button on the bar and »
itself. A mode that is switched on (Measure, Section) is never left behind »:
it moves to the front of the bar until it is switched off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import pairwise

from image2model_desktop.gui.qt import (
    QAction,
    QActionGroup,
    QMenu,
    QProxyStyle,
    QResizeEvent,
    QShowEvent,
    QStyle,
    Qt,
    QTimer,
    QToolBar,
    QToolButton,
    QWidget,
    Signal,
)
from image2model_desktop.gui.widgets.keymap import KEYMAP

#: Width of the toolbar's » button: the style's 12 px left it as a blank sliver here.
EXTENSION_WIDTH = 34

LIGHTING_LABELS = {"soft": "Soft", "studio": "Studio", "flat": "Flat (as photographed)"}
UNITS = ("mm", "cm", "m", "in")
DEFAULT_UNIT = "cm"

#: (name, label, checkable): the tools in bar order; each name is a ``preview:`` command.
TOOLS = (
    ("reset", "Reset view", False),
    ("wireframe", "Wireframe", True),
    ("texture", "Texture", True),
    ("pbr", "PBR", True),
    ("lighting", "Lighting", False),
    ("dimensions", "Dimensions", True),
    ("thickness", "Thickness", True),
    ("overhang", "Overhangs", True),
    ("measure", "Measure", True),
    ("section", "Section", True),
    ("screenshot", "Screenshot", False),
    ("turntable", "Turntable…", False),
    ("units", "Units", False),
)
#: What a screen reader says for a tool whose label alone would not tell.
ACCESSIBLE_NAMES = {"units": "Units for dimensions and measurements"}
#: Tools that change what a click on the model does or show controls of their own.
MODES = ("measure", "section")
#: Tools that work on one model: off and disabled while two are compared.
SINGLE_MODEL = ("pbr", "dimensions", "thickness", "overhang", "measure", "section", "turntable")
#: The print check's colour maps: one at a time.
MAPS = ("thickness", "overhang")


class _WideExtension(QProxyStyle):
    """The platform style, with a » button wide enough to see and click."""

    def pixelMetric(self, metric: QStyle.PixelMetric, *args: object) -> int:
        if metric == QStyle.PixelMetric.PM_ToolBarExtensionExtent:
            return EXTENSION_WIDTH
        return int(super().pixelMetric(metric, *args))  # type: ignore[arg-type]  # PySide's overloads


class PreviewToolbar(QToolBar):
    """The 3D preview's tools; the pane listens to the signals and never to the buttons."""

    resetRequested = Signal()
    wireframeToggled = Signal(bool)
    textureToggled = Signal(bool)
    pbrToggled = Signal(bool)
    lightingChosen = Signal(str)  # a LIGHTING_LABELS key
    dimensionsToggled = Signal(bool)
    measureToggled = Signal(bool)
    sectionToggled = Signal(bool)
    screenshotRequested = Signal(bool)  # with a transparent background
    turntableRequested = Signal()
    unitChosen = Signal(str)  # one of UNITS
    mapChosen = Signal(str)  # one of MAPS, or "" for the model's own look

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewToolbar")
        self.setAccessibleName("3D preview tools")
        self._style = _WideExtension()
        self.setStyle(self._style)
        self._actions: dict[str, QAction] = {}
        self._choices: dict[str, dict[str, QAction]] = {}
        #: Modes moved to the front because they were switched on behind ».
        self._pinned: list[QAction] = []
        self._turntable_busy = False
        for name, label, checkable in TOOLS:
            action = QAction(label, self)
            action.setObjectName(f"{name}Tool")
            action.setCheckable(checkable)
            KEYMAP.bind_action(f"preview:{name}", action)
            self._actions[name] = action
        self._actions["texture"].setChecked(True)
        self._add_menu("lighting", LIGHTING_LABELS.items(), "soft", self._choose_lighting)
        self._add_menu(
            "screenshot",
            (("opaque", "Save view…"), ("transparent", "Save view with transparent background…")),
            None,
            lambda key: self.screenshotRequested.emit(key == "transparent"),
        )
        self._add_menu("units", ((u, u) for u in UNITS), DEFAULT_UNIT, self._choose_unit)
        self._show_unit(DEFAULT_UNIT)
        self._connect_actions()
        self._dress_extension()
        self._place(self._home())
        self.sync(model=False, textured=False, has_pbr=False, comparing=False)

    # -- building -----------------------------------------------------------------------

    def _add_menu(
        self,
        name: str,
        entries: Iterable[tuple[str, str]],
        checked: str | None,
        chosen: Callable[[str], None],
    ) -> None:
        """Give tool ``name`` a menu of ``entries`` (key, label); one stays checked if asked."""
        menu = QMenu(self)
        group = QActionGroup(menu) if checked is not None else None
        self._choices[name] = {}
        for key, label in entries:
            entry = menu.addAction(label)
            if group is not None:
                entry.setCheckable(True)
                entry.setChecked(key == checked)
                group.addAction(entry)
            entry.triggered.connect(lambda _=False, k=key, f=chosen: f(k))
            self._choices[name][key] = entry
        self._actions[name].setMenu(menu)

    def _connect_actions(self) -> None:
        actions = self._actions
        actions["reset"].triggered.connect(self.resetRequested)
        # ``triggered`` (a person's click, key or menu choice), not ``toggled``: switching
        # a tool off for a comparison (``sync``) is not a request to the view.
        actions["wireframe"].triggered.connect(self.wireframeToggled)
        actions["texture"].triggered.connect(self.textureToggled)
        actions["pbr"].triggered.connect(self.pbrToggled)
        actions["dimensions"].triggered.connect(self.dimensionsToggled)
        actions["measure"].triggered.connect(self.measureToggled)
        actions["section"].triggered.connect(self.sectionToggled)
        actions["turntable"].triggered.connect(self.turntableRequested)
        for name in MAPS:
            actions[name].triggered.connect(lambda on, n=name: self._choose_map(n, on))
        # A key cannot open a tool's menu: it moves to the next choice instead.
        actions["lighting"].triggered.connect(lambda: self._next_choice("lighting"))
        actions["units"].triggered.connect(lambda: self._next_choice("units"))
        actions["screenshot"].triggered.connect(lambda: self.screenshotRequested.emit(False))
        for name in MODES:
            actions[name].toggled.connect(self._arrange_soon)

    @staticmethod
    def _name(action: QAction) -> str:
        return action.objectName().removesuffix("Tool")

    def _home(self) -> list[QAction]:
        return [self._actions[name] for name, _, _ in TOOLS]

    def _place(self, order: list[QAction]) -> None:
        """Put the actions on the bar in ``order``; the bar makes a button for each."""
        for action in self.actions():
            self.removeAction(action)
        self.addActions(order)
        for action in order:
            button = self.widgetForAction(action)
            if not isinstance(button, QToolButton):
                continue
            # QToolBar makes its buttons unreachable with Tab (NoFocus): a keyboard user
            # could not get to any tool.
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            name = self._name(action)
            button.setAccessibleName(ACCESSIBLE_NAMES.get(name, action.text().rstrip("…")))
            if action.menu() is not None:
                # The button opens its menu; the action's own trigger is for the key.
                button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._order_tabs()

    def _order_tabs(self) -> None:
        """Tab goes through the tools in bar order, then to »."""
        # Qt makes » before any tool, so Tab reached it before the first one, not after
        # the last. Done once the bar is in its window: Qt leaves a widget where it is
        # when the next focusable one already is the one asked for.
        buttons = [self.widgetForAction(action) for action in self.actions()]
        chain = [b for b in buttons if b is not None] + [self.extension_button()]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def showEvent(self, event: QShowEvent) -> None:
        self._order_tabs()
        super().showEvent(event)

    def _dress_extension(self) -> None:
        more = self.extension_button()
        more.setText("»")
        more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        more.setToolTip("More tools")
        more.setAccessibleName("More tools")
        more.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    # -- what the pane asks -------------------------------------------------------------

    def action(self, name: str) -> QAction:
        """The tool ``name`` (one of TOOLS' names)."""
        return self._actions[name]

    def choice(self, name: str, key: str) -> QAction:
        """An entry of tool ``name``'s menu: a lighting preset, a unit, a kind of screenshot."""
        return self._choices[name][key]

    def extension_button(self) -> QToolButton:
        """The bar's » button (Qt makes it; the bar shows it when a tool does not fit)."""
        more = self.findChild(QToolButton, "qt_toolbar_ext_button")
        assert more is not None, "QToolBar always has its extension button"
        return more

    def on_bar(self, name: str) -> bool:
        """Whether tool ``name`` is on the bar now (False: it sits behind »)."""
        button = self.widgetForAction(self._actions[name])
        return button is not None and button.isVisibleTo(self)

    def is_checked(self, name: str) -> bool:
        return self._actions[name].isChecked()

    @property
    def unit(self) -> str:
        return next(k for k, a in self._choices["units"].items() if a.isChecked())

    def set_lighting(self, key: str) -> None:
        """Show ``key`` as the chosen lighting (the pane applies it)."""
        self._choices["lighting"][key].setChecked(True)

    def set_turntable_busy(self, busy: bool) -> None:
        """Turntable… waits while one is being rendered."""
        self._turntable_busy = busy
        self._actions["turntable"].setEnabled(not busy and self._actions["reset"].isEnabled())

    def sync(
        self,
        *,
        model: bool,
        textured: bool,
        has_pbr: bool,
        comparing: bool,
        maps: tuple[str, ...] = (),
    ) -> None:
        """Enable what applies to the shown model (none without one); ``maps``: checked ones."""
        for action in self._actions.values():
            action.setEnabled(model)
        self._actions["texture"].setEnabled(model and textured)
        self._actions["pbr"].setEnabled(model and has_pbr)
        for name in MAPS:
            action = self._actions[name]
            action.setEnabled(model and name in maps)
            if name not in maps:
                action.setChecked(False)
        self._actions["turntable"].setEnabled(model and not self._turntable_busy)
        if comparing:
            # These work on one model; side by side, the two would disagree.
            for name in SINGLE_MODEL:
                self._actions[name].setChecked(False)
                self._actions[name].setEnabled(False)

    # -- choices ------------------------------------------------------------------------

    def _choose_lighting(self, key: str) -> None:
        self.set_lighting(key)
        self.lightingChosen.emit(key)

    def _choose_map(self, name: str, on: bool) -> None:
        for other in MAPS:
            if other != name:
                self._actions[other].setChecked(False)
        self.mapChosen.emit(name if on else "")

    @property
    def map_shown(self) -> str:
        """The map switched on, or ""."""
        return next((n for n in MAPS if self._actions[n].isChecked()), "")

    def _choose_unit(self, unit: str) -> None:
        self._show_unit(unit)
        self.unitChosen.emit(unit)

    def _show_unit(self, unit: str) -> None:
        self._choices["units"][unit].setChecked(True)
        # The bar shows the unit alone; the » menu says what it is.
        self._actions["units"].setText(f"Units: {unit}")
        self._actions["units"].setIconText(unit)

    def _next_choice(self, name: str) -> None:
        keys = list(self._choices[name])
        current = next(k for k, a in self._choices[name].items() if a.isChecked())
        following = keys[(keys.index(current) + 1) % len(keys)]
        if name == "units":
            self._choose_unit(following)
        else:
            self._choose_lighting(following)

    # -- keeping a switched-on mode in sight ----------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_soon()

    def _arrange_soon(self) -> None:
        # After Qt has laid the bar out anew: only then is it known what sits behind ».
        QTimer.singleShot(0, self._arrange)

    def _arrange(self) -> None:
        modes = [self._actions[name] for name in MODES]
        pinned = [a for a in self._pinned if a.isChecked()]
        for action in modes:
            if action.isChecked() and action not in pinned and not self.on_bar(self._name(action)):
                pinned.append(action)
        if pinned == self._pinned:
            return
        self._pinned = pinned
        self._place(pinned + [a for a in self._home() if a not in pinned])
