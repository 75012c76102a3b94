"""The offline engine: a photo becomes a textured solid on this computer (no key, no network).

``engine`` runs the work in the process pool, ``model`` builds the solid from the
subject that ``subject`` finds; ``parameters`` declares what the engine accepts.
"""

from __future__ import annotations

from .parameters import PARAMETERS

__all__ = ["PARAMETERS"]
