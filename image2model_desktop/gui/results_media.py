"""Turntables and contact sheets from the results page (a mixin of ``ResultsPage``).

The frames are drawn in the process pool a chunk at a time (``mesh.turntable``),
so the page shows progress and the window stays responsive.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from image2model_desktop.core.workers import run_in_process
from image2model_desktop.gui.background import spawn
from image2model_desktop.gui.qt import QFileDialog, QProgressBar, QWidget

if TYPE_CHECKING:
    from image2model_desktop.core.models import FileItem, Job
    from image2model_desktop.gui.preview.pane import PreviewPane
    from image2model_desktop.gui.widgets.notice import Notice

log = logging.getLogger(__name__)


class ModelMedia:
    """What the results page makes from its models besides files: orbits and sheets."""

    # Provided by ResultsPage:
    job: Job | None
    notice: Notice
    preview: PreviewPane
    task_progress: QProgressBar
    _last_folder: Path | None

    @property
    def outputs(self) -> Path | None:
        raise NotImplementedError

    def completed(self) -> list[FileItem]:
        raise NotImplementedError

    def _start_folder(self) -> Path:
        raise NotImplementedError

    async def _contact_sheet(self, folder: Path) -> Path | None:
        """Write one PNG picturing every model of the batch beside them (None if it failed)."""
        from image2model_desktop.mesh.turntable import contact_sheet

        done = self.completed()
        if self.outputs is None or not done:
            return None
        models = [self.outputs / item.output.model_filename for item in done if item.output]
        target = folder / "contact-sheet.png"
        try:
            return await run_in_process(
                contact_sheet, models, target, [item.filename for item in done]
            )
        except Exception:
            log.warning("No contact sheet for the batch", exc_info=True)
            return None

    def export_turntable(self, model: str) -> None:
        """Ask where to save a turntable of ``model`` (GIF or MP4), then render it."""
        source = Path(model)
        target = self.ask_turntable_path(self._start_folder() / f"{source.stem}.gif")
        if target is None:
            return
        spawn(self.render_turntable(source, target), on_error=self._turntable_failed)

    async def render_turntable(self, source: Path, target: Path) -> Path:
        """Render in the process pool, a chunk of frames at a time, with a progress bar."""
        import tempfile

        from image2model_desktop.mesh import turntable

        frames = turntable.DEFAULT_FRAMES
        size = turntable.DEFAULT_SIZE
        if target.suffix.lower() == ".mp4":
            size = turntable.even(size)
        turntable.check_request(target, frames, size)
        self.preview.set_turntable_busy(True)
        self.task_progress.setRange(0, frames)
        self.task_progress.setValue(0)
        self.task_progress.show()
        self.notice.show_message(f"Rendering a turntable of {source.stem}…", "info")
        chunk = max(1, frames // 12)
        try:
            with tempfile.TemporaryDirectory(prefix="image2model-turntable-") as folder:
                for first in range(0, frames, chunk):
                    stop = min(frames, first + chunk)
                    await run_in_process(
                        turntable.render_frames, source, Path(folder), first, stop, frames, size
                    )
                    self.task_progress.setValue(stop)
                await run_in_process(
                    turntable.encode, Path(folder), frames, target, turntable.DEFAULT_FPS
                )
        finally:
            self.task_progress.hide()
            self.preview.set_turntable_busy(False)
        self._last_folder = target.parent
        self.notice.show_message(
            f"Saved {target.name} ({frames} frames) in {target.parent}.", "success"
        )
        return target

    def _turntable_failed(self, error: BaseException) -> None:
        from image2model_desktop.mesh.turntable import TurntableError

        if isinstance(error, TurntableError):
            self.notice.show_message(str(error), "error")
            return
        log.error("The turntable failed", exc_info=error)
        reason = getattr(error, "strerror", None) or "the frames could not be rendered"
        self.notice.show_message(
            f"The turntable could not be saved ({reason}); pick another folder and try again.",
            "error",
        )

    def ask_turntable_path(self, suggested: Path) -> Path | None:
        """Ask where to save the turntable, starting where the last one went (tests replace it)."""
        from image2model_desktop.gui.widgets import file_dialogs

        start = Path(file_dialogs.last_folder("turntable")) / suggested.name
        name, chosen = QFileDialog.getSaveFileName(
            self if isinstance(self, QWidget) else None,
            "Export turntable",
            str(start),
            "GIF animation (*.gif);;MP4 video (*.mp4)",
        )
        if not name:
            return None
        path = Path(name)
        file_dialogs.remember("turntable", path.parent)
        if path.suffix.lower() not in (".gif", ".mp4"):
            path = path.with_suffix(".mp4" if "mp4" in chosen else ".gif")
        return path
