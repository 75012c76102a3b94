"""The asyncio loop on the Qt thread: qasync's, with its last turn kept inside the loop.

qasync's ``run_until_complete`` ends with one more ``processEvents()`` after
``run_forever`` has already told asyncio that no loop is running. A task stepped
in that turn (one spawned just before the awaited future finished) then fails
at its first ``asyncio.get_running_loop()``, ``asyncio.timeout()`` or executor
call with "no running event loop": in the test suite a model shown right as a
wait ended never appeared. Here the loop stays the running loop for that turn.
"""

from __future__ import annotations

import asyncio
from typing import Any

import qasync

from image2model_desktop.gui.qt import QApplication


class QtEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync ships no type hints
    """``qasync.QEventLoop`` whose final ``run_until_complete`` turn sees itself running."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._completing = False

    def run_forever(self) -> Any:
        try:
            return super().run_forever()
        finally:
            if self._completing:
                # qasync cleared the running loop; its last processEvents() comes next.
                asyncio.events._set_running_loop(self)

    def run_until_complete(self, future: Any) -> Any:
        self._completing = True
        try:
            return super().run_until_complete(future)
        finally:
            self._completing = False
            asyncio.events._set_running_loop(None)
