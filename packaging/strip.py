"""Strip symbol tables from the bundle's Linux libraries, safely (used by ``build.spec``).

Some wheels ship their libraries with full symbol tables (VTK's did: 37 MB in
``libvtkCommonCore.so`` alone, when the app still used it). PyInstaller's own
``strip=True`` strips every binary in place, and that breaks libraries that
auditwheel rewrote with patchelf: GNU strip mis-lays their segments and the
loader refuses them ("ELF load command address/offset not page-aligned",
measured on numpy's OpenBLAS). So here each library is stripped into a cache, its program headers
are checked the way the loader checks them, and only a copy that passes (and
is smaller) replaces the original in the bundle; anything else ships as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

_PT_LOAD = 1


def load_segments(path: Path) -> list[tuple[int, int, int]] | None:
    """Return ``(offset, vaddr, align)`` of each PT_LOAD segment, or None if not a 64-bit ELF."""
    with path.open("rb") as handle:
        header = handle.read(64)
        if len(header) < 64 or header[:4] != b"\x7fELF" or header[4] != 2:
            return None
        endian = "<" if header[5] == 1 else ">"
        phoff = struct.unpack_from(endian + "Q", header, 32)[0]
        phentsize, phnum = struct.unpack_from(endian + "HH", header, 54)
        handle.seek(phoff)
        table = handle.read(phentsize * phnum)
    segments = []
    for index in range(phnum):
        p_type, _flags, offset, vaddr = struct.unpack_from(
            endian + "IIQQ", table, index * phentsize
        )
        align = struct.unpack_from(endian + "Q", table, index * phentsize + 48)[0]
        if p_type == _PT_LOAD:
            segments.append((offset, vaddr, align))
    return segments


def loadable(path: Path, original: Path) -> bool:
    """Tell whether ``path`` keeps the loadable layout the dynamic loader demands."""
    before, after = load_segments(original), load_segments(path)
    if not before or not after or len(before) != len(after):
        return False
    return all(
        align >= 4096 and (vaddr - offset) % align == 0 and offset <= vaddr
        for offset, vaddr, align in after
    )


def stripped_copy(source: Path, cache: Path) -> Path:
    """Return a stripped copy of ``source`` from ``cache``, or ``source`` if stripping is unsafe."""
    digest = hashlib.sha1(f"{source.resolve()}:{source.stat().st_mtime_ns}".encode()).hexdigest()
    target = cache / digest[:16] / source.name
    if target.exists():
        return target
    if load_segments(source) is None:
        return source
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(target.suffix + ".tmp")
    shutil.copyfile(source, scratch)
    result = subprocess.run(
        ["strip", "--strip-unneeded", str(scratch)], capture_output=True, check=False
    )
    if (
        result.returncode != 0
        or scratch.stat().st_size >= source.stat().st_size
        or not loadable(scratch, source)
    ):
        scratch.unlink()
        return source
    scratch.rename(target)
    return target


def strip_binaries(binaries: list[tuple[str, str, str]], cache: Path) -> tuple[list, int]:
    """Swap each ``(dest, source, kind)`` binary for a safely stripped copy; return bytes saved."""
    if shutil.which("strip") is None:
        return binaries, 0
    out, saved = [], 0
    for dest, source, kind in binaries:
        path = Path(source)
        if kind in ("BINARY", "EXTENSION") and path.is_file():
            copy = stripped_copy(path, cache)
            saved += path.stat().st_size - copy.stat().st_size
            out.append((dest, str(copy), kind))
        else:
            out.append((dest, source, kind))
    return out, saved
