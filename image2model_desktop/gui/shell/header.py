"""The strip across the top: the app's name, where the user is, and the global buttons."""

from __future__ import annotations

from enum import Enum

from image2model_desktop.gui.qt import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPixmap,
    QPushButton,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import repolish
from image2model_desktop.gui.widgets.keymap import KEYMAP
from image2model_desktop.resources import app_icon_path


class Phase(Enum):
    """The three steps of the original web app, now pages of one window."""

    #: Choosing photos and parameters.
    UPLOAD = "Upload"
    #: Following the batch file by file.
    PROCESSING = "Processing"
    #: Looking at and saving the models.
    RESULTS = "Results"


class Header(QFrame):
    newBatchClicked = Signal()
    settingsClicked = Signal()
    aboutClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        icon = QLabel()
        pixmap = QPixmap(str(app_icon_path(32)))
        if not pixmap.isNull():
            icon.setPixmap(pixmap)
        title = QLabel("Image2Model")
        title.setObjectName("appTitle")
        layout.addWidget(icon)
        layout.addWidget(title)
        layout.addSpacing(28)
        self._steps: dict[Phase, QLabel] = {}
        for number, phase in enumerate(Phase, start=1):
            if number > 1:
                arrow = QLabel("›")
                arrow.setObjectName("stepLabel")
                layout.addWidget(arrow)
            step = QLabel(f"{number}  {phase.value}")
            step.setObjectName("stepLabel")
            layout.addWidget(step)
            self._steps[phase] = step
        layout.addStretch(1)
        new_batch = QPushButton("New batch")
        new_batch.setObjectName("newBatchButton")
        new_batch.clicked.connect(self.newBatchClicked)
        settings = QPushButton("Settings")
        settings.setObjectName("settingsButton")
        settings.setAccessibleName("Settings")
        settings.clicked.connect(self.settingsClicked)
        about = QPushButton("About")
        about.setObjectName("aboutButton")
        about.clicked.connect(self.aboutClicked)
        for button, command in (
            (new_batch, "window:new-batch"),
            (settings, "window:settings"),
            (about, "window:about"),
        ):
            KEYMAP.bind_button(command, button, self)
            layout.addWidget(button)
        self.phase = Phase.UPLOAD

    def set_phase(self, phase: Phase) -> None:
        self.phase = phase
        for each, label in self._steps.items():
            label.setProperty("active", "true" if each == phase else "false")
            repolish(label)
