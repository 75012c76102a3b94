"""A smaller ICU data library for the bundle's Qt (used by ``build.spec`` on Linux).

PySide6's Qt links ICU, whose data library (``libicudata.so.73``, 31 MB) holds
every CLDR locale's display names, units, currencies, transliterators,
spell-out rules, word-break dictionaries and legacy character sets. Qt calls
only ICU's collation (``ucol_*``: QCollator, e.g. sorting in Qt's own file
dialog), time zone names (``ucal_*``), character set converters (``ucnv_*``:
QStringConverter for legacy encodings, which the app never asks for) and the
core Unicode properties: measured with ``nm -D --undefined-only`` on every
``libQt6*.so`` (``test_bundle_layout.py`` checks that list). Qt's QLocale has
its own CLDR data. So this rebuilds the library without the data nothing
reads: the same soname and symbol (``icudt73_dat``), the collation, time zone,
Unicode and root data kept. About 12 MB instead of 31.

Needs ICU's own tools (Debian: icu-devtools, for ``icupkg`` and ``genccode``)
and a C compiler; without them the wheel's library ships unchanged.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

#: Item folders of the ICU data that Qt never reads (see the module docstring).
UNUSED_FOLDERS = ("unit/", "curr/", "lang/", "region/", "translit/", "rbnf/", "brkitr/")
#: Root items Qt never reads: character names, StringPrep profiles, and each
#: locale's main bundle (number, date and calendar formats: Qt formats with its
#: own CLDR data; collation and zone names live in coll/ and zone/).
UNUSED_ROOT = re.compile(r"^(unames\.icu|.*\.spp|[a-z]{2,3}(_[A-Za-z0-9]+)*\.res)$")
#: Legacy character set tables above this size go: the East Asian multi-byte
#: ones (4.4 MB). The single-byte ones (Windows and ISO code pages, 0.5 MB in
#: all) stay, so Qt still decodes windows-1252 and the like; UTF-8/16/32,
#: ASCII and Latin-1 are in ICU's code.
LARGE_CHARSET_BYTES = 16 * 1024
#: Root items that look like a locale's bundle but are ICU's own index.
KEEP_ROOT = frozenset({"res_index.res", "root.res", "pool.res"})


def data_symbol(library: Path) -> tuple[str, int, int]:
    """The data symbol's name and its (file offset, size) in ``library``."""
    symbols = subprocess.run(
        ["readelf", "-sW", str(library)], capture_output=True, text=True, check=True
    ).stdout
    for line in symbols.splitlines():
        parts = line.split()
        if len(parts) == 8 and parts[7].startswith("icudt") and parts[7].endswith("_dat"):
            address, size = int(parts[1], 16), int(parts[2], 0)
            return parts[7], _file_offset(library, address), size
    raise ValueError(f"{library} has no icudt*_dat symbol")


def _file_offset(library: Path, address: int) -> int:
    """Map a virtual address to its file offset through the PT_LOAD segments."""
    with library.open("rb") as handle:
        header = handle.read(64)
        phoff = struct.unpack_from("<Q", header, 32)[0]
        phentsize, phnum = struct.unpack_from("<HH", header, 54)
        handle.seek(phoff)
        table = handle.read(phentsize * phnum)
    for index in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from(
            "<IIQQQQ", table, index * phentsize
        )
        if p_type == 1 and vaddr <= address < vaddr + filesz:
            return offset + address - vaddr
    raise ValueError(f"address {address:#x} is in no loaded segment of {library}")


def unused_items(sizes: dict[str, int]) -> list[str]:
    """The items of an ICU data package (name -> bytes) that Qt never reads."""
    return sorted(
        item
        for item, size in sizes.items()
        if item.startswith(UNUSED_FOLDERS)
        or (item.endswith(".cnv") and size > LARGE_CHARSET_BYTES)
        or ("/" not in item and item not in KEEP_ROOT and UNUSED_ROOT.match(item))
    )


def tools_available() -> bool:
    return all(shutil.which(tool) for tool in ("icupkg", "genccode", "cc", "readelf"))


def trimmed_library(library: Path, cache: Path) -> Path:
    """A copy of ``library`` (libicudata) without the unused data, built once into ``cache``."""
    digest = hashlib.sha1(library.read_bytes()).hexdigest()[:16]
    target = cache / digest / library.name
    if target.exists():
        return target
    symbol, offset, size = data_symbol(library)
    package = symbol.removesuffix("_dat") + "l"  # icudt73 -> icudt73l (little-endian data)
    with tempfile.TemporaryDirectory(prefix="icu-") as scratch:
        work = Path(scratch)
        with library.open("rb") as handle:
            handle.seek(offset)
            (work / "in").mkdir()
            (work / "in" / f"{package}.dat").write_bytes(handle.read(size))
        items = work / "items"
        items.mkdir()
        subprocess.run(
            ["icupkg", "-x", "*", "-d", str(items), str(work / "in" / f"{package}.dat")],
            check=True,
            capture_output=True,
        )
        sizes = {
            path.relative_to(items).as_posix(): path.stat().st_size
            for path in items.rglob("*")
            if path.is_file()
        }
        remove = set(unused_items(sizes))
        (work / "out").mkdir()
        while True:
            (work / "remove.txt").write_text("\n".join(sorted(remove)) + "\n")
            result = subprocess.run(
                [
                    "icupkg",
                    "-r",
                    str(work / "remove.txt"),
                    str(work / "in" / f"{package}.dat"),
                    str(work / "out" / f"{package}.dat"),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            # A small table can extend a large one: it goes too ("Item A depends on
            # missing item B").
            orphans = set(re.findall(r"Item (\S+) depends on missing item", result.stderr))
            if result.returncode == 0 or not orphans - remove:
                break
            remove |= orphans
        result.check_returncode()
        subprocess.run(
            [
                "genccode",
                "-a",
                "gcc",
                "-e",
                symbol.removesuffix("_dat"),
                "-d",
                str(work),
                str(work / "out" / f"{package}.dat"),
            ],
            check=True,
            capture_output=True,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "cc",
                "-shared",
                "-nostdlib",
                f"-Wl,-soname,{library.name}",
                "-o",
                str(target),
                str(work / f"{package}_dat.S"),
            ],
            check=True,
            capture_output=True,
        )
    return target
