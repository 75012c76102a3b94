"""Every command of the window: its name, key and description, written down once.

The model is napari's action manager: commands are registered with a name
(``page:command``), a shortcut and a description; a button or an action bound to
one gets its tooltip from here, "description (key)", and its key. A page binds
the commands it shows; nothing else spells a shortcut or a tooltip, so the table
below is the whole keyboard map (and a test checks that no key is used twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from image2model_desktop.gui.qt import (
    QAbstractButton,
    QAction,
    QKeySequence,
    QShortcut,
    QWidget,
)

Key = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class Command:
    """One thing the person can ask for, whichever button, menu or key asks."""

    name: str
    description: str
    key: Key = ""

    @property
    def shortcut(self) -> QKeySequence:
        return QKeySequence(self.key)


class Keymap:
    """The registry: commands by name, and the tooltips and shortcuts made from them."""

    def __init__(self, commands: tuple[Command, ...] = ()) -> None:
        self._commands: dict[str, Command] = {}
        for command in commands:
            self.register(command)

    def register(self, command: Command) -> Command:
        if command.name in self._commands:
            raise ValueError(f"the command {command.name} is registered twice")
        self._commands[command.name] = command
        return command

    def command(self, name: str) -> Command:
        return self._commands[name]

    def commands(self) -> list[Command]:
        return list(self._commands.values())

    def tooltip(self, name: str) -> str:
        """ "Save the selected model (Ctrl+S)": the description with its key, if it has one."""
        command = self._commands[name]
        keys = command.shortcut.toString(QKeySequence.SequenceFormat.NativeText)
        return f"{command.description} ({keys})" if keys else command.description

    def bind_button(self, name: str, button: QAbstractButton, scope: QWidget) -> QShortcut | None:
        """Give ``button`` its tooltip; its key clicks it while it is enabled and shown.

        The key works anywhere in the window while ``scope`` (the button's page) is
        shown: a ``QShortcut`` on it.
        """
        button.setToolTip(self.tooltip(name))
        shortcut = self._commands[name].shortcut
        if shortcut.isEmpty():
            return None
        made = QShortcut(shortcut, scope)

        def click() -> None:
            if button.isEnabled() and button.isVisible():
                button.click()

        made.activated.connect(click)
        return made

    def bind_action(self, name: str, action: QAction) -> None:
        """Give ``action`` its key and tooltip (the key works while its widget is shown)."""
        action.setShortcut(self._commands[name].shortcut)
        action.setToolTip(self.tooltip(name))

    def bind_key(self, name: str, window: QWidget, slot: Callable[[], object]) -> QShortcut:
        """Run ``slot`` on the command's key anywhere in ``window``."""
        made = QShortcut(self._commands[name].shortcut, window)
        made.activated.connect(slot)
        return made


KEYMAP = Keymap(
    (
        # The window (shell/): keys that work on every page.
        Command("window:new-batch", "Start a new batch of photos", "Ctrl+N"),
        Command("window:settings", "FAL key, defaults, colours, local API", "Ctrl+,"),
        Command("window:about", "Versions and licences", "F1"),
        Command("window:open", "Add photos to the next batch", QKeySequence.StandardKey.Open),
        Command("window:paste", "Add the photos on the clipboard", QKeySequence.StandardKey.Paste),
        Command("window:delete", "Remove the selected photos or batch", "Del"),
        # Ctrl+Q explicitly: StandardKey.Quit is empty on Windows.
        Command("window:quit", "Quit Image2Model", "Ctrl+Q"),
        # upload/
        Command("upload:clear", "Remove every photo from the list"),
        Command("upload:generate", "Make a model of each photo", "Ctrl+Return"),
        # processing/
        Command("processing:cancel-all", "Stop the files not finished yet"),
        Command("processing:retry-failed", "Try the failed files again", "Ctrl+R"),
        Command("processing:results", "See the finished models"),
        # results/
        Command("results:details", "Each file's progress and messages"),
        Command("results:open-folder", "Show the models in the file manager"),
        Command("results:save-all", "Save every model, in one format", "Ctrl+Shift+S"),
        Command("results:save", "Save the selected model", QKeySequence.StandardKey.Save),
        Command(
            "results:print-check",
            "Check the selected model for 3D printing: walls, holes, overhangs, size",
            "Ctrl+Shift+P",
        ),
        # preview/: single keys, active while the results page (and so the toolbar) shows.
        Command("preview:reset", "Frame the whole model again", "R"),
        Command("preview:wireframe", "Show the mesh's edges", "W"),
        Command("preview:texture", "Show or hide the photo texture", "T"),
        Command(
            "preview:pbr",
            "Physically based materials (metal, roughness) when the model has them",
            "P",
        ),
        Command("preview:lighting", "Choose how the model is lit; the key tries the next", "L"),
        Command("preview:dimensions", "Show the model's size along each side", "D"),
        Command(
            "preview:thickness",
            "Colour the walls by thickness (after a print check); thin walls in red",
            "K",
        ),
        Command(
            "preview:overhang",
            "Colour the surfaces that need support (after a print check) in red",
            "O",
        ),
        Command("preview:measure", "Click two points on the model to measure between them", "M"),
        Command("preview:section", "Cut the model open with a plane", "S"),
        Command("preview:screenshot", "Save this view as a PNG", "F12"),
        Command("preview:turntable", "Export a turning animation (GIF or MP4)", "Ctrl+T"),
        Command(
            "preview:units", "Units for dimensions and measurements; the key tries the next", "U"
        ),
    )
)
