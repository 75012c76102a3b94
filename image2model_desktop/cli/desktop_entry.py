"""Install the desktop entry and icons for the current user (Linux, XDG dirs).

``image2model --install-desktop-entry`` writes
``$XDG_DATA_HOME/applications/image2model.desktop`` (Exec pointing at this very
launcher, so a venv or a bundle works without PATH) and the icons under
``$XDG_DATA_HOME/icons/hicolor``; the file manager then lists Image2Model under
"Open with" for JPEG and PNG photos. Re-running it replaces both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from image2model_desktop.core.fsutil import atomic_write_bytes
from image2model_desktop.resources import resource_path

ENTRY_NAME = "image2model.desktop"
ICON_NAME = "image2model"
_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def xdg_data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    # The spec: a relative or empty value is ignored.
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def launcher_command() -> list[str]:
    """The command that starts this installation's window."""
    frozen = getattr(sys, "frozen", False)
    if frozen:
        return [sys.executable]
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "image2model" and script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "image2model_desktop"]


def _quote(arg: str) -> str:
    """Quote one Exec argument as the Desktop Entry spec asks."""
    if not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def entry_text(command: list[str]) -> str:
    """The shipped entry with Exec (and TryExec) pointing at ``command``."""
    lines = []
    template = resource_path(ENTRY_NAME).read_text(encoding="utf-8")
    for line in template.splitlines():
        if line.startswith("Exec="):
            exec_line = " ".join(_quote(a) for a in command)
            line = f"Exec={exec_line} %F"
            lines.append(f"TryExec={command[0]}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(data_home: Path | None = None) -> list[Path]:
    """Write the entry and the icons; return what was written."""
    home = data_home or xdg_data_home()
    written: list[Path] = []
    entry = home / "applications" / ENTRY_NAME
    entry.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(entry, entry_text(launcher_command()).encode())
    entry.chmod(0o644)
    written.append(entry)
    icons = home / "icons" / "hicolor"
    for size in _ICON_SIZES:
        source = resource_path("icons", f"image2model-{size}.png")
        if source.exists():
            written.append(_copy(source, icons / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"))
    svg = resource_path("icons", "image2model.svg")
    if svg.exists():
        written.append(_copy(svg, icons / "scalable" / "apps" / f"{ICON_NAME}.svg"))
    _refresh_caches(home)
    return written


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o644)
    return target


def _refresh_caches(home: Path) -> None:
    # Desktops read the MIME cache to fill "Open with"; the tools may be missing (fine).
    for tool, args in (
        ("update-desktop-database", [str(home / "applications")]),
        ("gtk-update-icon-cache", ["-q", "-t", str(home / "icons" / "hicolor")]),
    ):
        path = shutil.which(tool)
        if path is not None:
            subprocess.run([path, *args], capture_output=True, check=False, timeout=30)
