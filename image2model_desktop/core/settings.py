"""User settings, kept as JSON beside the library."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .fsutil import atomic_write_bytes
from .models import EngineChoice, JobParameters

log = logging.getLogger(__name__)


class ApiServerSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    #: Browser origins allowed by CORS; empty means none (never ``*``).
    cors_origins: list[str] = Field(default_factory=list)
    #: Uploads per client per minute.
    upload_rate_per_minute: int = Field(default=60, ge=1)
    #: Seconds a signed download link handed out by the API stays valid.
    download_link_seconds: int = Field(default=3600, ge=1, le=7 * 86400)
    #: Scheme, host and port (and path) the API's links start with; None: as the client reached it.
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class Settings(BaseModel):
    """The library's settings. One owner changes them: ``Runtime.apply_settings``."""

    model_config = ConfigDict(extra="ignore")

    #: The default engine: the one setting for it (``defaults.engine`` mirrors it).
    engine: EngineChoice = "auto"
    #: Files processed at once, per engine.
    concurrency: int = Field(default=4, ge=1, le=25)
    #: A file still unfinished after this many seconds fails as timed out.
    file_timeout_seconds: float = Field(default=600.0, gt=0)
    #: A batch's parameters when nobody chose; ``defaults.fal_retention`` is the
    #: setting "Delete my photos from FAL after" (1h, 1d, 7d, account).
    defaults: JobParameters = Field(default_factory=JobParameters)
    output_folder: str | None = None
    api: ApiServerSettings = Field(default_factory=ApiServerSettings)
    #: The window's colours: follow the OS, or always light or dark.
    theme: Literal["system", "light", "dark"] = "system"
    #: A folder the window watches: photos appearing there are queued as batches.
    watch_folder: str | None = None

    def job_defaults(self) -> JobParameters:
        """The parameters of a batch nobody chose anything for (with the default engine)."""
        return self.defaults.model_copy(update={"engine": self.engine})

    def with_one_engine(self, previous: Settings | None = None) -> Settings:
        """Make ``engine`` and ``defaults.engine`` one setting again.

        The window's dialog edits ``defaults.engine``, ``serve --engine`` edits
        ``engine``: whichever changed since ``previous`` wins. Without a
        previous state (a file written before they were one), a chosen default
        beats "auto".
        """
        engine = self.engine
        if previous is not None:
            if self.engine == previous.engine and self.defaults.engine != previous.defaults.engine:
                engine = self.defaults.engine
        elif engine == "auto":
            engine = self.defaults.engine
        if engine == self.engine and self.defaults.engine == engine:
            return self
        return self.model_copy(
            update={
                "engine": engine,
                "defaults": self.defaults.model_copy(update={"engine": engine}),
            }
        )

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings; a missing or broken file gives the defaults (and a log line)."""
        try:
            return cls.model_validate(
                json.loads(path.read_text(encoding="utf-8"))
            ).with_one_engine()
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("Settings file %s is unreadable (%s); using defaults", path, exc)
            return cls()

    def save(self, path: Path) -> None:
        atomic_write_bytes(path, self.model_dump_json(indent=2).encode("utf-8"))
