"""Build the FastAPI app of the local API over a running job engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from image2model_desktop import __version__
from image2model_desktop.core.settings import ApiServerSettings

from . import downloads, health, jobs, printcheck, status, uploads, versions
from .context import API_PREFIX, ServerContext
from .errors import install_error_handlers
from .hub import TaskEventHub
from .links import LinkSigner, link_secret
from .ratelimit import RateLimiter
from .security import install_browser_guards

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

_DESCRIPTION = (
    "The original Image2Model web backend's API, served by the desktop app's engine. "
    "Send the key printed by `image2model serve` as `Authorization: Bearer <key>`."
)


def create_app(
    service: JobService,
    *,
    api_key: str,
    settings: ApiServerSettings,
    bound_host: str,
    heartbeat_interval: float = 15.0,
) -> FastAPI:
    """Return the API app; it follows ``service``'s events until ``app.state.context.hub`` closes.

    Call ``close_app(app)`` when the app is dropped, so its hub stops listening.
    """
    if not api_key:
        raise ValueError("the API needs a non-empty key")
    app = FastAPI(
        title="Image2Model Desktop local API",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.context = ServerContext(
        service=service,
        api_key=api_key,
        settings=settings,
        bound_host=bound_host,
        hub=TaskEventHub(service),
        upload_limiter=RateLimiter(settings.upload_rate_per_minute),
        signer=LinkSigner(link_secret(service.paths.root), settings.download_link_seconds),
        heartbeat_interval=heartbeat_interval,
    )
    install_error_handlers(app)
    for router in (
        uploads.router,
        status.router,
        downloads.router,
        jobs.router,
        versions.router,
        printcheck.router,
        health.router,
    ):
        app.include_router(router, prefix=API_PREFIX)

    @app.get("/health", tags=["health"], summary="Health check (short path)")
    async def health_short() -> dict[str, Any]:
        context = app.state.context
        assert isinstance(context, ServerContext)
        return health.health_payload(context)

    install_browser_guards(app, bound_host=bound_host, cors_origins=settings.cors_origins)
    return app


def close_app(app: FastAPI) -> None:
    """End the app's event streams and detach it from the engine's bus."""
    context = app.state.context
    assert isinstance(context, ServerContext)
    context.hub.close()
