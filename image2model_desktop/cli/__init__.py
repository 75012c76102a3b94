"""The command line: entry and dispatch (``entry``), one module per command, console progress.

``image2model`` (the console script) and ``python -m image2model_desktop`` both
start at ``main``.
"""

from __future__ import annotations

from .entry import gui_main, main

__all__ = ["gui_main", "main"]
