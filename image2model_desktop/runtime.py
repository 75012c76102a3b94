"""Open the library and build the job engine: the wiring every front end shares."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from image2model_desktop.core.credentials import load_fal_key
from image2model_desktop.core.engine import Engine
from image2model_desktop.core.models import EngineName
from image2model_desktop.core.paths import LibraryPaths, data_dir
from image2model_desktop.core.service import EngineFactory, JobService
from image2model_desktop.core.settings import Settings
from image2model_desktop.core.store import Store
from image2model_desktop.engines import ENGINE_PARAMETERS, create_engine
from image2model_desktop.engines.stats import model_stats

#: Told ``(old, new)`` after a settings change is applied and saved.
SettingsListener = Callable[[Settings, Settings], None]


@dataclass
class Runtime:
    """An open library and its job service: what a front end holds while it runs."""

    paths: LibraryPaths
    settings: Settings
    store: Store
    service: JobService
    _listeners: list[SettingsListener] = field(default_factory=list)

    def subscribe_settings(self, listener: SettingsListener) -> Callable[[], None]:
        """Call ``listener(old, new)`` after every applied change; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def apply_settings(self, settings: Settings, *, save: bool = True) -> Settings:
        """The one owner of settings: hand them to the service, keep them, save them,
        then tell every subscriber (window, API server).

        Returns the settings as taken (``engine`` and ``defaults.engine`` made one).
        A save that fails raises ``OSError`` after the change is applied and published:
        the settings hold until the app quits, and the caller says they were not saved.
        """
        old = self.settings
        settings = self.service.configure(settings)
        self.settings = settings
        try:
            if save:
                settings.save(self.paths.settings_file)
        finally:
            for listener in list(self._listeners):
                listener(old, settings)
        return settings

    async def aclose(self) -> None:
        await self.service.aclose()
        self.store.close()


def open_runtime(
    root: Path | None = None,
    *,
    hold_on_balance: bool = True,
    engine_factory: EngineFactory | None = None,
    has_fal_key: Callable[[], bool] | None = None,
) -> Runtime:
    """Open the library at ``root`` (default: the data directory) and build the service.

    ``engine_factory`` replaces the real engines (tests give their own); the
    rest of the wiring is the application's own.
    """
    paths = LibraryPaths(root or data_dir())
    paths.root.mkdir(parents=True, exist_ok=True)
    setup_file_logging(paths.log_dir)
    settings = Settings.load(paths.settings_file)
    store = Store.open(paths.database, lock_path=paths.lock_file)

    def create(name: EngineName) -> Engine:
        return create_engine(name, data_dir=paths.root)

    service = JobService(
        store,
        paths,
        settings,
        engine_factory or create,
        has_fal_key=has_fal_key or (lambda: load_fal_key(paths.root) is not None),
        hold_on_balance=hold_on_balance,
        parameters=ENGINE_PARAMETERS,
        inspect_model=model_stats,
    )
    return Runtime(paths, service.settings, store, service)


_HANDLER_NAME = "image2model-file"
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_file_logging(log_dir: Path) -> None:
    """Log to a rotating file in the data directory (once per process)."""
    root = logging.getLogger()
    if any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / "image2model.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    handler.set_name(_HANDLER_NAME)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "trimesh", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
