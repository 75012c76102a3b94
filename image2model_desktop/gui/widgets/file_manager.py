"""Whether this computer opens folders with a file manager (Qt-free: a question for the desktop).

On a Linux machine without a file manager, "Open folder" started Chromium (issue
24): ``QDesktopServices.openUrl`` runs ``xdg-open``, whose generic mode, finding
no default application for ``inode/directory``, falls back to ``x-www-browser``,
``firefox``, ``chromium``… and shows the folder as a web page. So a folder is
handed to the desktop only when ``xdg-mime query default inode/directory``
names an application that is not a web browser (its desktop entry's
``Categories`` and ``MimeType``, freedesktop.org's Desktop Entry Specification);
otherwise the window shows the path to copy. macOS and Windows always have one.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

#: What a browser's desktop entry says about itself (one of them is enough).
BROWSER_CATEGORIES = frozenset({"WebBrowser"})
BROWSER_MIME_TYPES = frozenset({"x-scheme-handler/http", "x-scheme-handler/https"})


def folder_opener(env: Mapping[str, str] = os.environ) -> str | None:
    """The application that opens folders here (a desktop entry id), or None when only a
    web browser would (or nothing would). Runs ``xdg-mime`` (about 0.1 s)."""
    if sys.platform in ("darwin", "win32"):
        return "system"  # Finder, Explorer
    xdg_mime = shutil.which("xdg-mime", path=env.get("PATH"))
    if xdg_mime is None:
        return None
    try:
        answer = subprocess.run(
            [xdg_mime, "query", "default", "inode/directory"],
            capture_output=True,
            text=True,
            timeout=5,
            env=dict(env),
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.info("xdg-mime could not be asked what opens folders: %s", error)
        return None
    desktop_id = answer.stdout.strip()
    if answer.returncode != 0 or not desktop_id:
        return None
    entry = desktop_entry(desktop_id, env)
    if entry is None:
        log.info("What opens folders (%s) has no desktop entry here", desktop_id)
        return None
    if is_browser(entry):
        log.info("Folders would open in a web browser (%s): showing the path instead", desktop_id)
        return None
    return desktop_id


def desktop_entry(desktop_id: str, env: Mapping[str, str] = os.environ) -> Path | None:
    """Where the desktop entry ``desktop_id`` is, in the XDG data folders' order."""
    home = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    others = env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    # "kde4-dolphin.desktop" may live at kde4/dolphin.desktop (the spec's id rule).
    names = [desktop_id, desktop_id.replace("-", "/", 1)] if "-" in desktop_id else [desktop_id]
    for folder in [home, *others.split(":")]:
        for name in names:
            candidate = Path(folder) / "applications" / name
            if folder and candidate.is_file():
                return candidate
    return None


def is_browser(entry: Path) -> bool:
    """Whether the desktop entry at ``entry`` is a web browser's."""
    fields = _main_group(entry)
    categories = set(filter(None, fields.get("Categories", "").split(";")))
    mime_types = set(filter(None, fields.get("MimeType", "").split(";")))
    return bool(categories & BROWSER_CATEGORIES or mime_types & BROWSER_MIME_TYPES)


def _main_group(entry: Path) -> dict[str, str]:
    """The ``[Desktop Entry]`` group's keys (actions' groups come after it)."""
    fields: dict[str, str] = {}
    group = None
    try:
        lines = entry.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return fields
    for line in lines:
        line = line.strip()
        if line.startswith("["):
            group = line
        elif group == "[Desktop Entry]" and "=" in line:
            key, _, value = line.partition("=")
            fields.setdefault(key.strip(), value.strip())
    return fields
