"""Browser-facing guards: the Host header check (DNS rebinding) and CORS.

A web page on any site can make a victim's browser talk to 127.0.0.1 by
pointing its own domain at it (DNS rebinding); the request then carries that
domain in ``Host``. Only loopback names and the host we bound are accepted.
"""

from __future__ import annotations

import ipaddress
import json
import logging

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import envelope

log = logging.getLogger(__name__)

_LOOPBACK_NAMES = frozenset({"localhost"})


def host_of(header: str) -> str:
    """Return the host part of a ``Host`` header, lowercased, without port or brackets."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else ""
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HostCheckMiddleware:
    """Answer 400 to requests whose ``Host`` is neither loopback nor the bound host."""

    def __init__(self, app: ASGIApp, bound_host: str) -> None:
        self.app = app
        self.bound_host = host_of(bound_host)

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        host = host_of(header)
        return bool(host) and (host == self.bound_host or is_loopback(host))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"host":
                header = value.decode("latin-1")
                break
        if self.allows(header):
            await self.app(scope, receive, send)
            return
        log.warning("Refused a request for another host (possible DNS rebinding)")
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps(
            envelope(
                400,
                "Invalid Host header: address the API as 127.0.0.1 or localhost "
                "(or the host it was started on).",
            )
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def allowed_origins(configured: list[str]) -> list[str]:
    """Return the configured origins, minus any wildcard (never ``*``)."""
    origins = []
    for origin in configured:
        origin = origin.strip().rstrip("/")
        if not origin:
            continue
        if "*" in origin:
            log.warning("Ignoring the CORS origin %r: wildcards are never allowed", origin)
            continue
        origins.append(origin)
    return origins


def install_browser_guards(app: FastAPI, *, bound_host: str, cors_origins: list[str]) -> None:
    """Add CORS (only for listed origins) inside the Host check, which runs first."""
    origins = allowed_origins(cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            max_age=600,
        )
    # Added last, so it is the outermost layer: refused hosts never reach CORS or routing.
    app.add_middleware(HostCheckMiddleware, bound_host=bound_host)
