"""Where the library lives on disk."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "image2model-desktop"


def data_dir() -> Path:
    """Return the data directory (``IMAGE2MODEL_DATA_DIR`` overrides the OS default)."""
    override = os.environ.get("IMAGE2MODEL_DATA_DIR")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


class LibraryPaths:
    """The layout of one data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def database(self) -> Path:
        return self.root / "library.sqlite3"

    @property
    def lock_file(self) -> Path:
        return self.root / "library.lock"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def staging(self) -> Path:
        """Uploads and re-encoded copies before they join a job."""
        return self.root / "staging"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def job_dir(self, job_id: str) -> Path:
        return self.root / "jobs" / job_id

    def inputs(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "inputs"

    def outputs(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "outputs"
