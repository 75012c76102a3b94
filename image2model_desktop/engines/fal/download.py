"""Checked, streamed downloads of FAL's results into the job's outputs folder.

A body is streamed to a partial file next to its destination, synced, checked
(declared size, GLB magic) and only then renamed into place, so a finished
model on disk is always whole.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from image2model_desktop.core.errors import (
    OutputError,
    TransientError,
)
from image2model_desktop.core.fsutil import partial_path

from .errors import classify_http
from .timeouts import FalTimeouts

GLB_MAGIC = b"glTF"


class Downloader:
    """One pooled HTTP client for a FAL engine's downloads (made at first use)."""

    def __init__(self, timeouts: FalTimeouts) -> None:
        self._timeout = httpx.Timeout(timeouts.download_read, connect=timeouts.download_connect)
        self._http: httpx.AsyncClient | None = None

    async def fetch(self, url: str, dest: Path, *, expected_size: object, glb: bool) -> None:
        """Download ``url`` to ``dest``; raise a typed error (transient ones are retryable)."""
        tmp = partial_path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            async with self._client().stream("GET", url) as response:
                if response.status_code != 200:
                    raise classify_http(response.status_code, None, None, file_server=True)
                size = await stream_to(response, tmp)
            if isinstance(expected_size, int) and expected_size > 0 and size != expected_size:
                raise TransientError(
                    f"The download was cut short ({size} of {expected_size} bytes)."
                )
            if glb and not has_glb_magic(tmp):
                raise TransientError("The downloaded model is not a GLB file.")
            os.replace(tmp, dest)
        except httpx.TransportError as exc:
            raise TransientError(f"The download failed ({type(exc).__name__}).") from exc
        except OSError as exc:
            raise OutputError(
                f"The model could not be saved ({exc.strerror or exc}). Free some disk space "
                "or check the folder's permissions, then retry."
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)

    async def aclose(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=True)
        return self._http


async def stream_to(response: httpx.Response, path: Path) -> int:
    """Write the body to ``path`` off the loop, sync it, and return its size."""
    size = 0
    loop = asyncio.get_running_loop()
    with open(path, "wb") as handle:
        async for chunk in response.aiter_bytes(1 << 16):
            size += len(chunk)
            await loop.run_in_executor(None, handle.write, chunk)
        await loop.run_in_executor(None, os.fsync, handle.fileno())
    return size


def has_glb_magic(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == GLB_MAGIC
