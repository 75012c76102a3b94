"""What a FAL request costs before it is sent: FAL's own price when known, else the table.

FAL's platform API answers one price per endpoint: ``unit_price`` USD per
``unit`` (``platform.FalPlatform.prices``). The registry's table says, per model,
which unit it counts (Tripo's credits, a Rodin generation…) and how many units
each texture choice takes. FAL's answer replaces the table's unit price only when
its unit is the one the table counts: a price in another unit cannot be turned
into a price per model, and a wrong estimate is worse than a dated one.

The answers are kept in the library's data folder (``fal-prices.json``, with the
moment they were read), so a later run without network still shows them, saying
from when. Every price carries its source: "FAL, today", "FAL, 2026-12-03" or
"table of 2026-12-01".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from image2model_desktop.core.errors import PlatformRefused
from image2model_desktop.core.fsutil import atomic_write_bytes

from .client import FalHosts
from .platform import FalPlatform, FalPrice
from .postprocess import POST_ENDPOINTS, PostEndpoint
from .registry import GENERATORS, TABLE_DATE, Generator, Texture
from .timeouts import FalTimeouts

log = logging.getLogger(__name__)

PRICES_FILE = "fal-prices.json"
#: FAL's prices are read again when the kept ones are older than this.
REFRESH_SECONDS = 6 * 3600.0


@dataclass(frozen=True)
class Quote:
    """One model's price for one texture choice, and where it comes from."""

    usd: float | None
    source: str


class PriceBook:
    """The table's prices, overlaid with FAL's latest answer (kept on disk when a path is given)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._fal: dict[str, FalPrice] = {}
        self._fetched: float | None = None
        if path is not None:
            self._load(path)

    @property
    def fetched(self) -> float | None:
        """When FAL's prices were read (seconds since the epoch), None if never."""
        return self._fetched

    def quote(
        self,
        generator: Generator,
        texture: Texture,
        endpoint: str | None = None,
        *,
        quad: bool = False,
    ) -> Quote:
        """One model of ``generator`` at ``endpoint`` (default: the single-photo one)."""
        price = generator.price
        if price is None:
            return Quote(None, f"FAL publishes no price for {generator.label}")
        fal = self._fal.get(endpoint or generator.endpoint)
        if fal is not None and _unit(fal.unit) == price.unit and fal.currency.upper() == "USD":
            usd = generator.estimate_usd(texture, fal.unit_price, quad=quad)
            return Quote(usd, self._fal_source())
        return Quote(generator.estimate_usd(texture, quad=quad), f"table of {TABLE_DATE}")

    def quote_post(self, service: PostEndpoint) -> Quote:
        """One remesh or retexture request: FAL's price per generation, else the table's."""
        fal = self._fal.get(service.endpoint)
        if fal is not None and _unit(fal.unit) == "generation" and fal.currency.upper() == "USD":
            return Quote(round(fal.unit_price, 4), self._fal_source())
        if service.unit_usd is None:
            return Quote(None, f"FAL publishes no price for {service.label}")
        return Quote(service.unit_usd, f"table of {TABLE_DATE}")

    def stale(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self._fetched is None or now - self._fetched > REFRESH_SECONDS

    async def refresh(self, platform: FalPlatform, endpoints: Sequence[str] | None = None) -> int:
        """Read FAL's current prices (raises what the platform call raised); return how many."""
        wanted = list(endpoints) if endpoints is not None else _every_endpoint()
        prices = await platform.prices(wanted)
        self._fal.update(prices)
        self._fetched = time.time()
        if self._path is not None:
            self._save(self._path)
        return len(prices)

    def _fal_source(self) -> str:
        if self._fetched is None:
            return "FAL"
        day = datetime.fromtimestamp(self._fetched, UTC).date()
        return "FAL, today" if day == datetime.now(UTC).date() else f"FAL, {day.isoformat()}"

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            fetched = float(data["fetched"])
            prices = {
                endpoint: FalPrice(
                    endpoint,
                    float(entry["unit_price"]),
                    str(entry["unit"]),
                    str(entry["currency"]),
                )
                for endpoint, entry in dict(data["prices"]).items()
            }
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("The kept FAL prices (%s) are unreadable (%s); using the table", path, exc)
            return
        self._fal, self._fetched = prices, fetched

    def _save(self, path: Path) -> None:
        data = {
            "fetched": self._fetched,
            "prices": {
                endpoint: {"unit_price": p.unit_price, "unit": p.unit, "currency": p.currency}
                for endpoint, p in sorted(self._fal.items())
            },
        }
        try:
            atomic_write_bytes(path, json.dumps(data, indent=2).encode("utf-8"))
        except OSError as exc:  # the prices still serve this run
            log.warning("FAL's prices could not be kept in %s: %s", path, exc)


def _unit(text: str) -> str:
    """FAL's unit words as the table counts them: "credits" → "credit"."""
    return text.strip().lower().removesuffix("s")


def _every_endpoint() -> list[str]:
    generators = [endpoint for g in GENERATORS.values() for endpoint in g.endpoints]
    return generators + [service.endpoint for service in POST_ENDPOINTS.values()]


async def current_price_book(
    key: str | None, data_dir: Path, hosts: FalHosts | None = None
) -> tuple[PriceBook, str | None]:
    """The price book with FAL's prices read now (when a key is given).

    Returns the book and, when FAL could not be asked, a sentence saying so
    (the book then holds the last kept prices, or the table).
    """
    book = PriceBook(data_dir / PRICES_FILE)
    if not key:
        return book, "No FAL key is set, so the prices are the shipped table's."
    platform = FalPlatform(key, FalTimeouts(), hosts)
    try:
        await book.refresh(platform)
    except PlatformRefused as refused:
        return book, f"FAL refused this key its prices ({refused}); showing the last known ones."
    except Exception as exc:
        log.info("FAL's prices not read: %r", exc)
        return book, "FAL's prices could not be read now; showing the last known ones."
    finally:
        await platform.aclose()
    return book, None
