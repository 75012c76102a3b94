"""Hypothesis strategies of hostile photo bytes (a unique module name: folders have conftests)."""

from __future__ import annotations

import io

from hypothesis import strategies as st
from PIL import Image

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _real(kind: str) -> bytes:
    image = Image.new("RGB", (24, 16), (200, 80, 40))
    image.paste((20, 90, 200), (6, 4, 18, 12))
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


REAL_JPEG = _real("JPEG")
REAL_PNG = _real("PNG")


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """A real photo with a few bytes changed, then maybe cut short or extended."""
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(8, len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=64))


def hostile_bytes() -> st.SearchStrategy[bytes]:
    """Noise, noise behind a JPEG/PNG signature, and damaged real photos."""
    return st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=2048).map(lambda b: JPEG_MAGIC + b),
        st.binary(max_size=2048).map(lambda b: PNG_MAGIC + b),
        mutated(REAL_JPEG),
        mutated(REAL_PNG),
    )
