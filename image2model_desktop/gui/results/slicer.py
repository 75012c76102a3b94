"""Open a saved print file in an installed slicer (PrusaSlicer, OrcaSlicer, Bambu Studio, Cura).

Finding is ``mesh.printing.slicers.find_slicers`` (PATH, Flatpak, app folders,
AppImages: a few ``which`` and folder checks, milliseconds); opening starts the
slicer as a process of its own session, so it outlives the window and never
shares its Ctrl-C.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from image2model_desktop.mesh.printing.slicers import Slicer, SlicerSearch, find_slicers

log = logging.getLogger(__name__)


def search() -> SlicerSearch:
    """The slicers installed here (tests point PATH and HOME at their own)."""
    return find_slicers()


def open_in(slicer: Slicer, model: Path) -> str:
    """Start ``slicer`` on ``model``; return the sentence to show (it also says failures)."""
    command = slicer.open_command(model)
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        log.warning("Could not start %s: %s", command, error)
        return (
            f"{slicer.name} could not be started ({error.strerror or error}); "
            f"open {model.name} from {slicer.name} instead."
        )
    return f"Opening {model.name} in {slicer.name}."
