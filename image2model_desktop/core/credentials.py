"""The FAL key: from ``FAL_KEY``, else the OS keyring, else a private file.

The key is a secret: it is never logged, printed or put in an error message.
Headless Linux often has no keyring service; then the key is kept in a file
readable by the user only (mode 0600) in the data directory, and the app says
where it went.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .fsutil import atomic_destination

log = logging.getLogger(__name__)

KEYRING_SERVICE = "image2model-desktop"
KEYRING_USER = "fal"
_FALLBACK_NAME = "fal_key"


class KeyLocation:
    KEYRING = "the system keyring"
    FILE = "a private file in the data folder"
    ENV = "the FAL_KEY environment variable"


def _fallback(data_dir: Path) -> Path:
    return data_dir / _FALLBACK_NAME


def load_fal_key(data_dir: Path) -> str | None:
    """Return the FAL key, or None when none is configured."""
    env = os.environ.get("FAL_KEY", "").strip()
    if env:
        return env
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        if stored:
            return stored.strip()
    except Exception as exc:  # any backend failure means "no keyring here"
        log.debug("No usable keyring (%s)", type(exc).__name__)
    try:
        text = _fallback(data_dir).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def key_source(data_dir: Path) -> str | None:
    """Say where the key comes from (for Settings and ``config``), never the key."""
    if os.environ.get("FAL_KEY", "").strip():
        return KeyLocation.ENV
    try:
        import keyring

        if keyring.get_password(KEYRING_SERVICE, KEYRING_USER):
            return KeyLocation.KEYRING
    except Exception as exc:
        log.debug("No usable keyring (%s)", type(exc).__name__)
    return KeyLocation.FILE if _fallback(data_dir).exists() else None


def store_fal_key(data_dir: Path, key: str) -> str:
    """Save ``key``; return where it was put (a KeyLocation)."""
    key = key.strip()
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key)
        _fallback(data_dir).unlink(missing_ok=True)
        return KeyLocation.KEYRING
    except Exception as exc:
        log.info("Keyring unavailable (%s); keeping the key in a private file", type(exc).__name__)
    with atomic_destination(_fallback(data_dir)) as tmp:
        # Created 0600 from the first byte: never readable by others, even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.encode("utf-8"))
    return KeyLocation.FILE


def clear_fal_key(data_dir: Path) -> None:
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception as exc:
        log.debug("Keyring delete skipped (%s)", type(exc).__name__)
    _fallback(data_dir).unlink(missing_ok=True)


def mask(key: str | None) -> str:
    """Return a display form that proves a key is set without showing it."""
    return "•" * 12 if key else ""
