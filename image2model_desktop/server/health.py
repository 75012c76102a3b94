"""Health: the short check, and the original backend's liveness/readiness/detailed probes.

The probes keep the original's field names (``status``, ``components`` of
``{name, status, response_time_ms, details}``, ``failed_components``,
``uptime_seconds``, ISO timestamps) over this app's own parts: the library
store, free space in the data folder, and the engines.
"""

from __future__ import annotations

import platform
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from image2model_desktop import __version__
from image2model_desktop.core.errors import ApiError, SetupError

from .context import ServerContext, get_context

router = APIRouter(tags=["health"])
Context = Annotated[ServerContext, Depends(get_context)]

SERVICE = "image2model-desktop"
#: Below this much free space a model may not fit: the data folder is "unhealthy".
MIN_FREE_BYTES = 1 << 30
_STARTED = time.time()


def _iso_now() -> str:
    return datetime.now(UTC).isoformat()


def health_payload(context: ServerContext) -> dict[str, Any]:
    choice = context.service.settings.engine
    try:
        engine: str = context.service.resolve_engine(choice)
    except SetupError:
        engine = f"{choice} (not configured)"
    return {
        "status": "healthy",
        "service": SERVICE,
        "version": __version__,
        "engine": engine,
        "timestamp": _iso_now(),
    }


def _timed(name: str, probe: Callable[[], tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        status, details = probe()
    except Exception as error:  # a probe reports what failed; it never fails the endpoint
        status, details = "unhealthy", {"error": type(error).__name__}
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return {"name": name, "status": status, "response_time_ms": elapsed, "details": details}


def _components(context: ServerContext) -> list[dict[str, Any]]:
    service = context.service

    def library_store() -> tuple[str, dict[str, Any]]:
        return "healthy", {"jobs": service.count_jobs()}

    def disk_space() -> tuple[str, dict[str, Any]]:
        usage = shutil.disk_usage(service.paths.root)
        details = {
            "free_gb": round(usage.free / (1 << 30), 2),
            "total_gb": round(usage.total / (1 << 30), 2),
            "usage_percent": round(usage.used / usage.total * 100, 2) if usage.total else 0.0,
        }
        return ("healthy" if usage.free >= MIN_FREE_BYTES else "unhealthy"), details

    def fal_api() -> tuple[str, dict[str, Any]]:
        try:
            service.resolve_engine("fal")
        except SetupError:
            return "not_configured", {"key_configured": False}
        return "healthy", {"key_configured": True}

    def offline_engine() -> tuple[str, dict[str, Any]]:
        # Runs on this computer with what the app ships: nothing to reach or configure.
        return "healthy", {"ready": True}

    return [
        _timed("library_store", library_store),
        _timed("disk_space", disk_space),
        _timed("fal_api", fal_api),
        _timed("offline_engine", offline_engine),
    ]


def _engine_problem(context: ServerContext) -> str | None:
    try:
        context.service.resolve_engine(context.service.settings.engine)
    except SetupError as error:
        return error.user_message
    return None


@router.get("/health/", summary="Health check")
async def health(context: Context) -> dict[str, Any]:
    return health_payload(context)


@router.get("/health/liveness", summary="Liveness probe: the process answers")
async def liveness() -> dict[str, Any]:
    return {"status": "alive", "timestamp": _iso_now()}


@router.get(
    "/health/readiness",
    summary="Readiness probe: the library is open and an engine can take work (else 503)",
    responses={503: {"description": "Not ready; the message says why"}},
)
async def readiness(context: Context) -> dict[str, Any]:
    components = _components(context)
    failed = [c["name"] for c in components if c["status"] == "unhealthy"]
    reasons = [f"{name} is unhealthy" for name in failed]
    engine_problem = _engine_problem(context)
    if engine_problem is not None:
        failed.append("engine")
        reasons.append(engine_problem.rstrip("."))
    if failed:
        raise ApiError(
            503,
            f"Not ready: {'; '.join(reasons)}.",
            details={"status": "not_ready", "failed_components": failed},
        )
    return {
        "status": "ready",
        "timestamp": _iso_now(),
        "components": [{"name": c["name"], "status": c["status"]} for c in components],
    }


@router.get(
    "/health/detailed",
    summary="Every component's state, as the original's probe (503 when one is unhealthy)",
    responses={503: {"description": "A component is unhealthy; details has the report"}},
)
async def detailed(context: Context) -> dict[str, Any]:
    components = _components(context)
    unhealthy = [c["name"] for c in components if c["status"] == "unhealthy"]
    report = {
        "status": "unhealthy" if unhealthy else "healthy",
        "service": SERVICE,
        "version": __version__,
        "timestamp": _iso_now(),
        "system": {"platform": platform.system(), "python_version": platform.python_version()},
        "components": components,
        "uptime_seconds": round(time.time() - _STARTED, 1),
    }
    if unhealthy:
        raise ApiError(503, f"Unhealthy: {', '.join(unhealthy)}.", details=report)
    return report
