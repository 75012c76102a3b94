"""FAL's platform API (``https://api.fal.ai/v1``): prices, what a request was billed, balance.

Shapes, from FAL's published OpenAPI ("Platform APIs", version v1, read 2026-12-07
through the project's search tool):

* ``GET /models/pricing?endpoint_id=a,b`` (1–50 ids; any API key) →
  ``{"prices": [{"endpoint_id", "unit_price", "unit", "currency"}], "next_cursor",
  "has_more"}`` — https://docs.fal.ai/platform-apis/v1/models/pricing
* ``GET /models/billing-events?request_id=…&start=…`` (1–50 ids; ``start``
  defaults to 24 hours ago; "Admin API key") → ``{"billing_events": [{"request_id",
  "endpoint_id", "timestamp", "output_units", "unit_price", "percent_discount",
  "cost_estimate_nano_usd"}], "next_cursor", "has_more"}`` —
  https://fal.ai/docs/platform-apis/v1/models/billing-events
* ``GET /account/billing?expand=credits`` ("Admin API key") → ``{"username",
  "credits": {"current_balance", "currency"}}`` —
  https://fal.ai/docs/platform-apis/v1/account/billing

Every call is a plain GET: safe to repeat, so failures are simply raised and the
callers retry quietly (``core.costs``) or fall back (the price table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from image2model_desktop.core.errors import PlatformRefused

from .client import FalHosts, platform_url
from .timeouts import FalTimeouts

#: What FAL's billing events count in: nano-USD (``cost_estimate_nano_usd``).
_NANO = 1_000_000_000


@dataclass(frozen=True)
class FalPrice:
    """One endpoint's price as FAL answers it: ``unit_price`` USD per ``unit``."""

    endpoint_id: str
    unit_price: float
    unit: str
    currency: str


class FalPlatform:
    """The platform API for one key, on its own pooled HTTP client (made at first use)."""

    def __init__(self, key: str, timeouts: FalTimeouts, hosts: FalHosts | None = None) -> None:
        self._key = key
        self._hosts = hosts
        self._timeout = httpx.Timeout(timeouts.platform_read, connect=timeouts.platform_connect)
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:  # never show the key
        return "FalPlatform()"

    async def prices(self, endpoint_ids: Sequence[str]) -> dict[str, FalPrice]:
        """FAL's current price of each endpoint it knows, by endpoint id."""
        found: dict[str, FalPrice] = {}
        for start in range(0, len(endpoint_ids), 50):
            ids = ",".join(endpoint_ids[start : start + 50])
            body = await self._get("/models/pricing", {"endpoint_id": ids})
            for entry in _items(body, "prices"):
                try:
                    price = FalPrice(
                        str(entry["endpoint_id"]),
                        float(entry["unit_price"]),
                        str(entry.get("unit") or ""),
                        str(entry.get("currency") or "USD"),
                    )
                except (KeyError, TypeError, ValueError):
                    continue
                found[price.endpoint_id] = price
        return found

    async def billed_usd(self, request_id: str, since: datetime) -> float | None:
        """What FAL billed for ``request_id`` (USD), or None while no event exists for it."""
        params = {"request_id": request_id, "start": _iso(since), "limit": "10"}
        body = await self._get("/models/billing-events", params)
        known = [
            cost
            for event in _items(body, "billing_events")
            if str(event.get("request_id")) == request_id
            and (cost := _event_usd(event)) is not None
        ]
        return round(sum(known), 6) if known else None

    async def balance(self) -> tuple[float, str]:
        """The account's credit left and its currency."""
        body = await self._get("/account/billing", {"expand": "credits"})
        credits = body.get("credits") if isinstance(body, Mapping) else None
        if not isinstance(credits, Mapping) or "current_balance" not in credits:
            raise ValueError("no credits in the answer")
        return float(credits["current_balance"]), str(credits.get("currency") or "USD")

    async def aclose(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def _get(self, path: str, params: Mapping[str, str]) -> Any:
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers={"Authorization": f"Key {self._key}"}, timeout=self._timeout
            )
        response = await self._http.get(platform_url(self._hosts) + path, params=params)
        if response.status_code in (401, 403):
            raise PlatformRefused(response.status_code)
        response.raise_for_status()
        return response.json()


def _items(body: Any, key: str) -> list[Mapping[str, Any]]:
    entries = body.get(key) if isinstance(body, Mapping) else None
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []


def _event_usd(event: Mapping[str, Any]) -> float | None:
    """One billing event's cost in USD: ``cost_estimate_nano_usd`` (FAL's total)."""
    nano = event.get("cost_estimate_nano_usd")
    if isinstance(nano, int | float) and not isinstance(nano, bool):
        return float(nano) / _NANO
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
