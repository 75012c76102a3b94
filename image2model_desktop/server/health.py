"""Liveness: public, cheap, and says which engine would run an upload."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from image2model_desktop import __version__
from image2model_desktop.core.errors import SetupError

from .context import ServerContext, get_context

router = APIRouter(tags=["health"])


def health_payload(context: ServerContext) -> dict[str, Any]:
    choice = context.service.settings.engine
    try:
        engine: str = context.service.resolve_engine(choice)
    except SetupError:
        engine = f"{choice} (not configured)"
    return {
        "status": "healthy",
        "service": "image2model-desktop",
        "version": __version__,
        "engine": engine,
        "timestamp": time.time(),
    }


@router.get("/health/", summary="Health check")
async def health(context: Annotated[ServerContext, Depends(get_context)]) -> dict[str, Any]:
    return health_payload(context)
