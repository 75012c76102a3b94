"""How fast photos are checked by content: the hostile corpus refused, the good one accepted.

A bomb (a PNG or JPEG whose header claims 900 megapixels) must be refused from
its header in milliseconds, not after decoding; tests check *that* it is refused
for its size (tests/core/test_images.py), this script prints *how fast*.

Run: ``.venv/bin/python bench/validate.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import contextlib

from hostile import build_good_corpus, build_hostile_corpus

from image2model_desktop.core.errors import InvalidImageError
from image2model_desktop.core.images import validate_image


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        hostile = build_hostile_corpus(Path(folder) / "hostile")
        good = build_good_corpus(Path(folder) / "good")
        print(f"corpora built: {time.perf_counter() - started:.2f} s")
        slowest = (0.0, "")
        for case in hostile:
            started = time.perf_counter()
            with contextlib.suppress(InvalidImageError):
                validate_image(case.path, case.display_name)
            spent = time.perf_counter() - started
            slowest = max(slowest, (spent, case.path.name))
            if case.path.stem == "bomb":
                print(f"{case.path.name}: refused in {spent * 1000:.1f} ms")
        print(f"slowest hostile case: {slowest[1]} {slowest[0] * 1000:.1f} ms")
        started = time.perf_counter()
        for path in good:
            validate_image(path, path.name)
        print(f"{len(good)} good photos accepted: {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
