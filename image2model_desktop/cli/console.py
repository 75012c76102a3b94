"""Live progress of a batch on a terminal, or plain lines when output is piped."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from image2model_desktop.core.events import Event, FileUpdated
from image2model_desktop.core.models import FileItem, Job
from image2model_desktop.core.states import FileState

_BAR = 24


class ProgressDisplay:
    """Show each file of a job: a redrawn block on a TTY, one line per change otherwise."""

    def __init__(self, job: Job, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._live = self._stream.isatty()
        self._job_id = job.job_id
        self._files: dict[str, FileItem] = {f.file_id: f for f in job.files}
        self._last_state: dict[str, FileState] = {}
        self._drawn_lines = 0
        for item in job.files:
            if item.state.is_terminal:
                self._line(item)

    def on_event(self, event: Event) -> None:
        if not isinstance(event, FileUpdated) or event.job_id != self._job_id:
            return
        item = event.file
        self._files[item.file_id] = item
        if self._live:
            self._redraw()
        elif self._last_state.get(item.file_id) != item.state and item.state != FileState.PENDING:
            self._line(item)

    def close(self) -> None:
        if self._live:
            self._redraw()
            self._drawn_lines = 0

    def _line(self, item: FileItem) -> None:
        self._last_state[item.file_id] = item.state
        done = sum(1 for f in self._files.values() if f.state.is_terminal)
        text = f"[{done}/{len(self._files)}] {item.filename}: {describe(item)}"
        print(text, file=self._stream, flush=True)

    def _redraw(self) -> None:
        width = shutil.get_terminal_size((100, 24)).columns
        height = shutil.get_terminal_size((100, 24)).lines
        items = sorted(self._files.values(), key=lambda f: f.position)
        # Past the terminal's height, show the busy and latest files only.
        if len(items) > height - 2:
            items = [f for f in items if not f.state.is_terminal][: height - 2]
        out = self._stream
        if self._drawn_lines:
            out.write(f"\x1b[{self._drawn_lines}F")
        for item in items:
            filled = round(_BAR * item.progress / 100)
            bar = "█" * filled + "·" * (_BAR - filled)
            name = item.filename[:28].ljust(28)
            line = f"{name} {bar} {item.progress:5.1f}%  {describe(item)}"
            out.write("\x1b[2K" + line[: width - 1] + "\n")
        for _ in range(max(0, self._drawn_lines - len(items))):
            out.write("\x1b[2K\n")
        self._drawn_lines = max(len(items), self._drawn_lines)
        out.flush()


def describe(item: FileItem) -> str:
    """A short human description of a file's state."""
    if item.state == FileState.FAILED:
        return f"failed — {item.error_message or 'unknown error'}"
    if item.state == FileState.UNCONFIRMED:
        return f"sent, no answer — {item.error_message}"
    if item.state == FileState.COMPLETED and item.output is not None:
        done = f"done ({item.output.face_count:,} faces)"
        return f"{done} — warning: {item.output.warning}" if item.output.warning else done
    if item.state == FileState.QUEUED and item.queue_position is not None:
        return f"queued (position {item.queue_position})"
    if item.state in (FileState.GENERATING, FileState.UPLOADING, FileState.DOWNLOADING) and (
        item.message
    ):
        return f"{_word(item.state)} — {item.message}"
    return _word(item.state)


def _word(state: FileState) -> str:
    # "downloading" is FAL's step only; for every engine it is the model being checked and saved.
    return "finishing" if state == FileState.DOWNLOADING else state.value
