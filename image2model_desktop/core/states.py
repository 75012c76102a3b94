"""The file state machine and the progress each state stands for.

FAL reports queue positions and log lines, not percentages, so progress is
derived from the state: each state owns a band of the 0–100 scale and a file
only ever moves forward through the bands. The endings (failed, cancelled,
unconfirmed) have no band: a file keeps the progress it had when it ended, and
its batch counts it as done.
"""

from __future__ import annotations

from enum import StrEnum


class FileState(StrEnum):
    """Where one photo is on its way to a model. The one source of truth."""

    #: Accepted into a batch; waiting for a free worker.
    PENDING = "pending"
    #: The photo is being sent to the engine (FAL's CDN; a no-op offline).
    UPLOADING = "uploading"
    #: The engine accepted the request and it waits in the engine's queue.
    QUEUED = "queued"
    #: The engine is building the model.
    GENERATING = "generating"
    #: The model and its preview are being saved into the library.
    DOWNLOADING = "downloading"
    #: The model is in the library. Terminal.
    COMPLETED = "completed"
    #: The file ended with an error the user can read. Terminal.
    FAILED = "failed"
    #: The user (or a batch cancel) stopped it. Terminal.
    CANCELLED = "cancelled"
    #: The request was sent to the engine and no answer came (the connection
    #: broke after the body left): the engine may have taken, and billed, it.
    #: Nothing is sent again on its own; the file waits here, ended for its
    #: batch, until the person resends it (``JobService.resend``). Terminal for
    #: the machine; only an explicit resend leaves it, as a retry leaves failed.
    UNCONFIRMED = "unconfirmed"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {FileState.COMPLETED, FileState.FAILED, FileState.CANCELLED, FileState.UNCONFIRMED}
)
#: Endings any live state may move to (the others are reached by the forward path).
_ENDINGS = frozenset({FileState.FAILED, FileState.CANCELLED, FileState.UNCONFIRMED})

#: The order of the forward path; a file never moves to an earlier step.
_ORDER: dict[FileState, int] = {
    FileState.PENDING: 0,
    FileState.UPLOADING: 1,
    FileState.QUEUED: 2,
    FileState.GENERATING: 3,
    FileState.DOWNLOADING: 4,
    FileState.COMPLETED: 5,
}

#: (start, end) of each state's progress band, in percent.
PROGRESS_BANDS: dict[FileState, tuple[float, float]] = {
    FileState.PENDING: (0.0, 0.0),
    FileState.UPLOADING: (0.0, 15.0),
    FileState.QUEUED: (15.0, 20.0),
    FileState.GENERATING: (20.0, 90.0),
    FileState.DOWNLOADING: (90.0, 99.0),
    FileState.COMPLETED: (100.0, 100.0),
}


def can_transition(old: FileState, new: FileState) -> bool:
    """Tell whether ``old → new`` is a legal move.

    Forward moves along the path are legal (steps may be skipped: the offline
    engine has no queue), as are moves to failed/cancelled/unconfirmed from any
    state that is not terminal. Staying in the same active state is legal (new log line,
    queue position). Terminal states are final; a retry resets a file to
    pending explicitly (see ``reset_for_retry``), never through this check.
    """
    if old.is_terminal:
        return False
    if new in _ENDINGS:
        return True
    if old == new:
        return True
    return _ORDER[new] > _ORDER[old]


def band_progress(state: FileState, fraction: float = 0.0) -> float:
    """Progress for ``state`` with ``fraction`` (0–1) of its band done."""
    start, end = PROGRESS_BANDS.get(state, (0.0, 0.0))
    fraction = min(max(fraction, 0.0), 1.0)
    return round(start + (end - start) * fraction, 1)
