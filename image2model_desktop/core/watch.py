"""Watch a folder: photos that appear there, once complete, become batches.

A polling loop, not file-system events (watchfiles, inotify): the rule for
"complete" needs a timer per file whatever notices it (the size and time
unchanged for ``debounce`` seconds, then a full decode succeeds), events miss
files on network shares and in some containers, and listing one folder twice a
second costs nothing. Files already there when watching starts are left alone:
only new arrivals are queued. Qt-free: the CLI's ``watch`` and the window share it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from image2model_desktop.core.errors import InvalidImageError
from image2model_desktop.core.fsutil import atomic_copy
from image2model_desktop.core.images import MAX_FILES_PER_BATCH, validate_image
from image2model_desktop.core.models import Job

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
#: Seconds a file's size and time must stay the same before it is read.
DEBOUNCE_SECONDS = 1.5
#: How often the folder is listed.
POLL_SECONDS = 0.5
#: A stable file that still does not decode after this long is queued anyway:
#: the batch then refuses it with its one sentence instead of it waiting forever.
GIVE_UP_SECONDS = 20.0


@dataclass
class _Seen:
    signature: tuple[int, int]
    since: float


class FolderWatcher:
    """Say which new photos in ``folder`` are complete; call ``poll`` every so often."""

    def __init__(
        self,
        folder: Path,
        *,
        debounce: float = DEBOUNCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self._debounce = debounce
        self._clock = clock
        self._pending: dict[Path, _Seen] = {}
        #: Files handed out (or there at the start), with the signature they had.
        self._done: dict[Path, tuple[int, int]] = dict(self._listing())

    def poll(self) -> list[Path]:
        """Return the photos that became complete since the last call (oldest first)."""
        now = self._clock()
        ready: list[tuple[float, Path]] = []
        listing = dict(self._listing())
        for path in list(self._pending):
            if path not in listing:
                del self._pending[path]
        for path, signature in listing.items():
            if self._done.get(path) == signature:
                continue
            seen = self._pending.get(path)
            if seen is None or seen.signature != signature:
                self._pending[path] = _Seen(signature, now)
                continue
            stable_for = now - seen.since
            if stable_for < self._debounce:
                continue
            if not _decodes(path) and stable_for < GIVE_UP_SECONDS:
                continue
            del self._pending[path]
            self._done[path] = signature
            ready.append((signature[1], path))
        return [path for _, path in sorted(ready)]

    def _listing(self) -> list[tuple[Path, tuple[int, int]]]:
        found = []
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.lower().endswith(PHOTO_SUFFIXES):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:
                continue
            found.append((Path(entry.path), (stat.st_size, stat.st_mtime_ns)))
        return found


def _decodes(path: Path) -> bool:
    try:
        validate_image(path, path.name)
    except (InvalidImageError, OSError):
        return False
    return True


def batches(photos: list[Path]) -> list[list[Path]]:
    """Split ``photos`` into batches the service accepts."""
    return [photos[i : i + MAX_FILES_PER_BATCH] for i in range(0, len(photos), MAX_FILES_PER_BATCH)]


def copy_models(job: Job, outputs: Path, out: Path) -> tuple[list[Path], list[str]]:
    """Copy each finished model (and its picture) into ``out``; return copies and problems."""
    copied: list[Path] = []
    problems: list[str] = []
    for item in job.files:
        if item.output is None:
            continue
        for name in filter(None, (item.output.model_filename, item.output.preview_filename)):
            target = free_name(out / name)
            try:
                atomic_copy(outputs / name, target)
            except OSError as error:
                problems.append(
                    f"Could not copy {name} to {out} ({error.strerror}); "
                    f"it is still in the library at {outputs}."
                )
                continue
            copied.append(target)
    return copied, problems


def free_name(path: Path) -> Path:
    """``path``, or ``stem_2.ext``, ``stem_3.ext``… whichever does not exist yet."""
    counter = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}_{counter}{path.suffix}")
        counter += 1
    return candidate
