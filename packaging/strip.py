"""Strip symbol tables from the bundle's Linux libraries, safely (used by ``build.spec``).

Some wheels ship their libraries with full symbol tables (VTK's did: 37 MB in
``libvtkCommonCore.so`` alone, when the app still used it). PyInstaller's own
``strip=True`` strips every binary in place, and that breaks libraries that
auditwheel rewrote with patchelf: GNU strip mis-lays their segments and the
loader refuses them ("ELF load command address/offset not page-aligned",
measured on numpy's OpenBLAS). So here each library is stripped into a cache, its program headers
are checked the way the loader checks them, and only a copy that passes (and
is smaller) replaces the original in the bundle; anything else ships as it was.

The same copies lose any search path (RUNPATH) that names a folder of the
build machine: see :func:`build_search_path`.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

_PT_LOAD = 1
_PT_DYNAMIC = 2
_DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 5, 15, 29


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


def build_search_path(path: Path) -> tuple[int, bytes] | None:
    """The file offset and text of a RUNPATH/RPATH that names a folder of the build machine.

    pyenv's Python builds its extension modules with ``RUNPATH`` set to its own
    ``lib`` folder (``/root/.pyenv/versions/3.11.7/lib`` here): on a user's
    machine the loader would search that path, and lintian rejects it.
    ``$ORIGIN``-relative paths (the wheels' own) are fine.
    """
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    loads, dynamic = [], None
    for index in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + index * phentsize
        )
        if p_type == _PT_LOAD:
            loads.append((offset, vaddr, filesz))
        elif p_type == _PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:
        return None
    entries = {}
    for at in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, at)
        if tag == 0:
            break
        entries[tag] = value
    search = entries.get(_DT_RUNPATH, entries.get(_DT_RPATH))
    if search is None or _DT_STRTAB not in entries:
        return None
    table = entries[_DT_STRTAB]
    strtab = next((off + table - va for off, va, size in loads if va <= table < va + size), None)
    if strtab is None:
        return None
    start = strtab + search
    text = data[start : data.index(b"\0", start)]
    if all(part.startswith(b"$ORIGIN") for part in text.split(b":") if part):
        return None
    return start, text


def without_build_search_path(path: Path) -> bool:
    """Overwrite a build machine RUNPATH/RPATH in place with ``$ORIGIN``; tell if one was there."""
    found = build_search_path(path)
    if found is None:
        return False
    start, text = found
    replacement = b"$ORIGIN" if len(text) >= len(b"$ORIGIN") else b""
    with path.open("r+b") as handle:
        handle.seek(start)
        handle.write(replacement.ljust(len(text), b"\0"))
    return True


def stripped_copy(source: Path, cache: Path) -> Path:
    """Return a stripped copy of ``source`` from ``cache``, or ``source`` if stripping is unsafe."""
    digest = hashlib.sha1(f"{source.resolve()}:{source.stat().st_mtime_ns}".encode()).hexdigest()
    target = cache / digest[:16] / source.name
    if target.exists():
        return target
    if load_segments(source) is None:
        return source
    if build_search_path(source) is not None:
        # The search path is fixed in a copy (the original belongs to the Python install).
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        without_build_search_path(target)
        source = target
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
