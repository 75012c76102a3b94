"""Atomic file writes: a reader sees the old file or the whole new one, never half."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

#: Suffix of files being written; leftovers after a crash are swept on start.
PARTIAL_SUFFIX = ".part"


def partial_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}{PARTIAL_SUFFIX}")


@contextlib.contextmanager
def atomic_destination(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` on success."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(dest)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(dest: Path, data: bytes) -> None:
    with atomic_destination(dest) as tmp:
        tmp.write_bytes(data)


def atomic_copy(src: Path, dest: Path) -> None:
    with atomic_destination(dest) as tmp:
        shutil.copyfile(src, tmp)


def sweep_partials(root: Path) -> int:
    """Delete leftovers of interrupted writes below ``root``; return how many."""
    count = 0
    if not root.exists():
        return 0
    for leftover in root.rglob(f"*{PARTIAL_SUFFIX}"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            count += 1
    return count
