"""Signed absolute download links, which a browser's plain ``<a href download>`` can follow.

The original backend handed out CDN links that worked without a header; ours
point at this server and carry their own proof instead of the key::

    http://127.0.0.1:8000/api/v1/download/<job>/<name>?expires=<unix s>&sig=<hex>

``sig`` is HMAC-SHA256 over the job id, the file name and ``expires`` with a
per-library secret (a 0600 file in the data folder, made on first use). A
link therefore opens exactly one file of one job until it expires; changing
any part of it, or moving its ``sig`` to another file, breaks the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request

from image2model_desktop.core.errors import ApiError

#: Where every path of the API lives (the original backend's prefix).
API_PREFIX = "/api/v1"

log = logging.getLogger(__name__)

SECRET_FILE = "api-link-secret"
_SECRET_BYTES = 32
EXPIRED_MESSAGE = "This download link has expired; list the job's files again for fresh links."
INVALID_MESSAGE = (
    "This download link is not valid for this file (it was changed or belongs to another "
    "file); list the job's files again for fresh links."
)
# A Host header that passed the host check may still carry junk after the port
# ("localhost:8000/x", "localhost:1@evil"): links are built from a strict parse only.
_AUTHORITY = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
_DIGITS = re.compile(r"^[0-9]{1,12}$")
_HEX_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


def link_secret(root: Path) -> bytes:
    """Return the library's link secret, creating it (mode 0600) on first use."""
    path = root / SECRET_FILE
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        secret = b""
    if len(secret) == _SECRET_BYTES:
        return secret
    tmp = root / f".{SECRET_FILE}.{os.getpid()}.tmp"
    # 0600 from the first byte: the secret is never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(_SECRET_BYTES))
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if secret:
            # Damaged (not written by us: we only ever link a complete file in place).
            log.warning("The download link secret was damaged; made a new one")
            os.replace(tmp, path)
        else:
            # Atomic create-if-absent: two servers starting at once agree on one secret.
            os.link(tmp, path)
    except FileExistsError:
        pass
    except OSError:
        # A file system without hard links: still atomic, only the race above is lost.
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


class LinkSigner:
    """Sign and check ``(job id, file name, expiry)`` with the library's secret."""

    def __init__(
        self, secret: bytes, lifetime_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock

    def _signature(self, job_id: str, filename: str, expires: int) -> str:
        message = f"{job_id}\n{filename}\n{expires}".encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, job_id: str, filename: str) -> tuple[int, str]:
        """Return ``(expires, sig)`` for a link valid for the configured lifetime."""
        expires = int(self._clock()) + self.lifetime_seconds
        return expires, self._signature(job_id, filename, expires)

    def check(self, job_id: str, filename: str, expires: str | None, sig: str | None) -> None:
        """Raise the 403 of the contract unless the link is intact and unexpired."""
        if (
            expires is None
            or sig is None
            or not _DIGITS.match(expires)
            or not _HEX_SIGNATURE.match(sig)
            or not hmac.compare_digest(sig, self._signature(job_id, filename, int(expires)))
        ):
            raise ApiError(403, INVALID_MESSAGE)
        if int(expires) < self._clock():
            raise ApiError(403, EXPIRED_MESSAGE)


def base_url(request: Request, public_base_url: str | None) -> str:
    """Scheme, host and port as the client reached us (or the configured public base)."""
    if public_base_url:
        return public_base_url.rstrip("/")
    scheme = request.url.scheme
    header = request.headers.get("host", "").strip()
    if _AUTHORITY.match(header):
        return f"{scheme}://{header.lower()}"
    host, port = request.scope.get("server") or ("127.0.0.1", None)
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


class Links:
    """Signed absolute links for one response; call it as ``links(job_id, file_name)``."""

    def __init__(self, base: str, signer: LinkSigner) -> None:
        self.base = base
        self.signer = signer

    def __call__(self, job_id: str, filename: str) -> str:
        expires, sig = self.signer.sign(job_id, filename)
        path = f"{API_PREFIX}/download/{job_id}/{quote(filename, safe='')}"
        return f"{self.base}{path}?expires={expires}&sig={sig}"

    def add_to_result(self, entry: dict[str, Any], job_id: str) -> dict[str, Any]:
        """Return a copy of one ``results[i]`` of a batch summary with its links added."""
        model = entry.get("model_filename")
        if not isinstance(model, str):
            return entry
        linked = {**entry, "download_url": self(job_id, model)}
        rendered = entry.get("rendered_image")
        if isinstance(rendered, dict) and isinstance(rendered.get("filename"), str):
            linked["rendered_image"] = {**rendered, "url": self(job_id, rendered["filename"])}
        return linked

    def add_to_event(self, data: dict[str, Any]) -> dict[str, Any]:
        """Return a copy of a terminal event's data with links in its ``result``."""
        result = data.get("result")
        if not isinstance(result, dict):
            return data
        job_id = str(result.get("job_id", ""))
        results = [self.add_to_result(entry, job_id) for entry in result.get("results", [])]
        return {**data, "result": {**result, "results": results}}
