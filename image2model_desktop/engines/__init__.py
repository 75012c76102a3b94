"""Generators: one package per engine family. ``create_engine`` picks one by name."""

from __future__ import annotations

from pathlib import Path

from image2model_desktop.core.credentials import load_fal_key
from image2model_desktop.core.engine import Engine
from image2model_desktop.core.errors import SetupError
from image2model_desktop.core.models import EngineName
from image2model_desktop.core.parameters import EngineParameters

from .fal.policy import FAL_PARAMETERS
from .offline import PARAMETERS as OFFLINE_PARAMETERS

#: What each engine accepts, declared by the engine; read without building one.
ENGINE_PARAMETERS: dict[EngineName, EngineParameters] = {
    "offline": OFFLINE_PARAMETERS,
    "fal": FAL_PARAMETERS,
}


def create_engine(name: EngineName, *, data_dir: Path) -> Engine:
    """Build the engine called ``name``; raise SetupError if it cannot run here."""
    if name == "offline":
        from .offline.engine import OfflineEngine

        return OfflineEngine()
    if name == "fal":
        key = load_fal_key(data_dir)
        if not key:
            raise SetupError(
                "No FAL key is set. Run `image2model config set-key` (or set FAL_KEY), "
                "or use the offline engine."
            )
        from .fal.client import FalHosts
        from .fal.engine import FalEngine

        return FalEngine(key=key, hosts=FalHosts.from_env(), data_dir=data_dir)
    raise SetupError(f"Unknown engine {name!r}; use offline or fal.")
