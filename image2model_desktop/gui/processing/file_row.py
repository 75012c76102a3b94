"""One row of the processing list: a file's thumbnail, name, state, progress and actions."""

from __future__ import annotations

from image2model_desktop.core.models import FileItem
from image2model_desktop.core.states import FileState
from image2model_desktop.gui.processing.progress import ProgressStrip
from image2model_desktop.gui.qt import (
    QHBoxLayout,
    QLabel,
    QPixmap,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from image2model_desktop.gui.style import repolish
from image2model_desktop.gui.widgets.elided import ElidedLabel

THUMB = 48

STATE_WORDS = {
    FileState.PENDING: "Waiting",
    FileState.UPLOADING: "Uploading",
    FileState.QUEUED: "Queued",
    FileState.GENERATING: "Generating",
    FileState.DOWNLOADING: "Finishing",
    FileState.COMPLETED: "Done",
    FileState.FAILED: "Failed",
    FileState.CANCELLED: "Cancelled",
    # FAL may have taken (and billed) the request: neither failed nor done.
    FileState.UNCONFIRMED: "Sent, no answer",
}


def money_words(estimated: float | None, spent: float | None) -> str:
    """``spent $0.30 · estimated $0.30``, or what is known of the two ("" for a free engine)."""
    parts = []
    if spent is not None:
        parts.append(f"spent ${spent:.2f}")
    if estimated is not None:
        parts.append(f"estimated ${estimated:.2f}")
    return " · ".join(parts)


def place_words(place: int) -> str:
    """``next in line``, ``2nd in line``, ``23rd in line``: a waiting file's place."""
    if place == 1:
        return "next in line"
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix} in line"


class FileRow(QWidget):
    """Shows one ``FileItem``; ``update_file`` takes each new version from the bridge."""

    cancelClicked = Signal(str)  # file_id
    retryClicked = Signal(str)  # file_id
    againClicked = Signal(str)  # file_id: a new model of a finished file, paid anew
    resendClicked = Signal(str)  # file_id: sent without an answer; the person sends it again

    def __init__(self, item: FileItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.file_id = item.file_id
        self.setObjectName("fileRow")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(12)
        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(THUMB, THUMB)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setObjectName("rowThumbnail")
        middle = QVBoxLayout()
        middle.setSpacing(3)
        top = QHBoxLayout()
        # Cut short, not wrapped or widening: the row fits a 1024-px window whatever the name.
        self.name = ElidedLabel(item.filename, minimum=80)
        self.name.setObjectName("rowName")
        self.state = QLabel()
        self.state.setObjectName("fileState")
        self.queue = QLabel()
        self.queue.setObjectName("muted")
        self.money = QLabel()
        self.money.setObjectName("muted")
        self.money.setAccessibleName(f"Cost of {item.filename}")
        top.setSpacing(10)
        top.addWidget(self.name, 1)
        top.addWidget(self.queue)
        top.addWidget(self.money)
        top.addWidget(self.state)
        self.progress = ProgressStrip(8)
        self.message = QLabel()
        self.message.setObjectName("rowMessage")
        self.message.setWordWrap(False)
        self.message.setMinimumWidth(50)
        middle.addLayout(top)
        middle.addWidget(self.progress)
        middle.addWidget(self.message)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName(f"Cancel {item.filename}")
        self.cancel_button.clicked.connect(lambda: self.cancelClicked.emit(self.file_id))
        self.retry_button = QPushButton("Retry")
        self.retry_button.setAccessibleName(f"Retry {item.filename}")
        self.retry_button.clicked.connect(lambda: self.retryClicked.emit(self.file_id))
        self.again_button = QPushButton("Generate again")
        self.again_button.setAccessibleName(f"Generate {item.filename} again")
        self.again_button.setToolTip("Ask the engine for a new model with a new seed (paid anew)")
        self.again_button.clicked.connect(lambda: self.againClicked.emit(self.file_id))
        self.resend_button = QPushButton("Send again")
        self.resend_button.setAccessibleName(f"Send {item.filename} again")
        self.resend_button.setToolTip(
            "Send this photo to FAL again: FAL may have the first request, "
            "so it may be paid twice (you are asked first)"
        )
        self.resend_button.clicked.connect(lambda: self.resendClicked.emit(self.file_id))
        # A fixed-width action column keeps every progress bar the same length,
        # whichever buttons a row shows.
        actions = QWidget()
        actions.setFixedWidth(172)
        action_layout = QHBoxLayout(actions)
        action_layout.setContentsMargins(0, 0, 0, 0)
        action_layout.addStretch(1)
        action_layout.addWidget(self.retry_button)
        action_layout.addWidget(self.again_button)
        action_layout.addWidget(self.resend_button)
        action_layout.addWidget(self.cancel_button)
        layout.addWidget(self.thumbnail)
        layout.addLayout(middle, 1)
        layout.addWidget(actions)
        self.item = item
        self._shown_state: FileState | None = None
        self._place: int | None = None
        self.update_file(item)

    def set_thumbnail(self, png: bytes) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(png):
            self.thumbnail.setPixmap(
                pixmap.scaled(
                    THUMB,
                    THUMB,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def set_place(self, place: int | None) -> None:
        """A waiting file's place in line (1: next), from the page; None when not waiting."""
        if place != self._place:
            self._place = place
            self._show_queue(self.item)

    def _show_queue(self, item: FileItem) -> None:
        if item.state == FileState.QUEUED and item.queue_position is not None:
            # FAL counts its queue from 0 (fal-client's ``Queued.position``).
            text = f"FAL: {place_words(item.queue_position + 1)}"
        elif item.state == FileState.PENDING and self._place is not None:
            text = place_words(self._place)
        else:
            text = ""
        self.queue.setText(text)
        self.queue.setVisible(bool(text))

    def update_file(self, item: FileItem) -> None:
        self.item = item
        state = item.state
        if state != self._shown_state:
            # The colours come from the window's stylesheet, keyed on these
            # properties: a widget's own setStyleSheet costs a full style
            # resolution (measured: rows 3-4× slower to build and update).
            self._shown_state = state
            self.state.setText(STATE_WORDS.get(state, state.value))
            self.state.setProperty("state", state.value)
            repolish(self.state)
            failed = state == FileState.FAILED
            if bool(self.message.property("failed")) != failed:
                self.message.setProperty("failed", failed)
                repolish(self.message)
        self.progress.setValue(round(item.progress if not state.is_terminal else 100))
        self.progress.set_state(state.value)
        self._show_queue(item)
        money = money_words(item.estimated_usd, item.spent_usd)
        self.money.setText(money)
        self.money.setVisible(bool(money))
        ended_badly = state in (FileState.FAILED, FileState.UNCONFIRMED)
        text = item.error_message if ended_badly else item.message
        warning = None
        if state == FileState.UNCONFIRMED:
            # The sentence names the possible cost and what to check before sending again.
            warning = text
        if state == FileState.COMPLETED and item.output is not None:
            out = item.output
            # The state word already says "Done": the line says what was made, or the doubt.
            text = f"{out.face_count:,} faces in {out.processing_time:.1f} s"
            if out.reused_from is not None:
                text = f"{item.message}: {out.face_count:,} faces, $0"
            warning = out.warning
            if warning:
                text = f"Check this model: {warning}"
        if bool(self.message.property("warning")) != bool(warning):
            self.message.setProperty("warning", bool(warning))
            repolish(self.message)
        self.message.setWordWrap(bool(warning))
        self.message.setText(text or "")
        self.message.setToolTip(text or "")
        self.cancel_button.setVisible(not state.is_terminal)
        retryable = state in (FileState.FAILED, FileState.CANCELLED) and item.input_name
        self.retry_button.setVisible(bool(retryable))
        self.again_button.setVisible(state == FileState.COMPLETED and item.input_name is not None)
        self.resend_button.setVisible(
            state == FileState.UNCONFIRMED and item.input_name is not None
        )
