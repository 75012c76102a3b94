"""Run Python's garbage collector on the Qt thread only.

The cyclic collector runs in whichever thread happens to allocate. When that
is a worker thread (importing a library, reading a model), it can free Qt
widgets caught in reference cycles (slots that capture ``self``) off the Qt
thread, and Qt aborts or segfaults (measured here: a closed window collected
while the 3D stack was being imported in a thread). So automatic collection
is switched off and a timer collects on the Qt thread instead, young
generations often and the old one rarely (a full pass costs tens of ms).
"""

from __future__ import annotations

import gc

from image2model_desktop.gui.qt import QObject, QTimer

INTERVAL_MS = 500
#: Collect generation 1 every N ticks and generation 2 every M ticks.
GEN1_EVERY, GEN2_EVERY = 10, 120


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ticks = 0
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._collect)
        self._was_enabled = gc.isenabled()

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    @staticmethod
    def freeze() -> None:
        """Leave everything alive now (imported libraries, the window) out of later passes.

        Importing PyVista and VTK adds a few hundred thousand long-lived objects;
        with them in the young generations, the next generation-1 pass took about
        100 ms on the Qt thread in the middle of a batch (``bench/gui_lag.py``),
        and every full pass after that too. Frozen, they are never traversed again.
        """
        gc.freeze()

    @staticmethod
    def unfreeze() -> None:
        """Let the next collections see frozen objects again (a window closing)."""
        gc.unfreeze()

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def _collect(self) -> None:
        self._ticks += 1
        if self._ticks % GEN2_EVERY == 0:
            gc.collect(2)
        elif self._ticks % GEN1_EVERY == 0:
            gc.collect(1)
        else:
            gc.collect(0)
