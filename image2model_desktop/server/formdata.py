"""Read a multipart/form-data body as it arrives, files straight to disk, limits enforced.

Starlette's ``request.form()`` spools each file completely (to memory, then
to a temporary file) before the endpoint can look at its size, so a 1 GB part
would be read in full before it could be refused. Here python-multipart's
push parser sees every chunk as it arrives: a file over the limit stops the
read at once, and no file is ever held in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from image2model_desktop.core.errors import FileTooLargeError, FormError, NotMultipartError

#: Text fields are parameters such as ``face_limit``: a few bytes each.
MAX_FIELD_BYTES = 4096
#: Parts of any kind in one body; far above 25 files and a few fields.
MAX_PARTS = 1000


@dataclass
class ReceivedFile:
    field: str
    #: As the client named it: display text only, never a path.
    filename: str
    path: Path
    size: int = 0


@dataclass
class ReceivedForm:
    files: list[ReceivedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    #: Files per field name, including those beyond ``max_files`` that were not kept.
    file_counts: dict[str, int] = field(default_factory=dict)

    def discard(self) -> None:
        for received in self.files:
            with contextlib.suppress(OSError):
                received.path.unlink()


def clean_display_name(raw: str) -> str:
    """Keep a client's file name as harmless display text (no control characters)."""
    text = "".join(ch for ch in raw if ch.isprintable()).strip()
    return text[:255] or "unnamed"


class _Collector:
    """python-multipart callbacks: route each part to a file on disk or a small field."""

    def __init__(
        self, staging: Path, file_fields: frozenset[str], max_file_bytes: int, max_files: int
    ) -> None:
        self.staging = staging
        self.file_fields = file_fields
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.form = ReceivedForm()
        self.parts = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._field: str | None = None
        self._file: ReceivedFile | None = None
        self._handle: IO[bytes] | None = None
        self._value = bytearray()
        #: Data received for the current file, written out after each network chunk.
        self.pending: list[tuple[IO[bytes], bytes]] = []
        self.to_close: list[IO[bytes]] = []

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise FormError("too_many_parts", f"More than {MAX_PARTS} parts in one request.")
        self._disposition = b""
        self._field = None
        self._file = None
        self._handle = None
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name")
        if name is None:
            raise FormError("malformed", "A part has no field name.")
        self._field = name.decode("utf-8", "replace")
        if self._field not in self.file_fields:
            return
        count = self.form.file_counts.get(self._field, 0) + 1
        self.form.file_counts[self._field] = count
        raw_name = options.get(b"filename", b"")
        received = ReceivedFile(
            field=self._field,
            filename=clean_display_name(raw_name.decode("utf-8", "replace")),
            path=self.staging / f"upload-{uuid.uuid4().hex}",
        )
        self._file = received
        if len(self.form.files) < self.max_files:
            # Opening is one quick syscall; the writes go to a thread (see ``flush``).
            self._handle = open(received.path, "xb")  # noqa: SIM115 - closed in receive_form
            self.to_close.append(self._handle)
            self.form.files.append(received)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        if self._file is not None:
            self._file.size += size
            if self._file.size > self.max_file_bytes:
                raise FileTooLargeError(self._file.filename)
            if self._handle is not None:
                self.pending.append((self._handle, data[start:end]))
        elif self._field in self.file_fields or self._field is None:
            return
        else:
            if len(self._value) + size > MAX_FIELD_BYTES:
                raise FormError("field_too_large", f"The field {self._field} is too long.")
            self._value += data[start:end]

    def on_part_end(self) -> None:
        if self._file is None and self._field is not None:
            self.form.fields.setdefault(self._field, self._value.decode("utf-8", "replace"))


def _write_chunks(chunks: list[tuple[IO[bytes], bytes]]) -> None:
    for handle, chunk in chunks:
        handle.write(chunk)


async def receive_form(
    content_type: str | None,
    body: AsyncIterator[bytes],
    *,
    staging: Path,
    file_fields: frozenset[str],
    max_file_bytes: int,
    max_files: int,
) -> ReceivedForm:
    """Parse ``body``; keep at most ``max_files`` files on disk (the rest are only counted).

    On any error every file written so far is deleted before the error propagates.
    """
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise NotMultipartError()
    await asyncio.to_thread(os.makedirs, staging, exist_ok=True)
    collector = _Collector(staging, file_fields, max_file_bytes, max_files)
    callbacks = {
        "on_part_begin": collector.on_part_begin,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
    }
    try:
        try:
            # python-multipart types callbacks as a TypedDict of exact signatures.
            parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
            async for chunk in body:
                parser.write(chunk)
                if collector.pending:
                    chunks, collector.pending = collector.pending, []
                    await asyncio.to_thread(_write_chunks, chunks)
            parser.finalize()
            # python-multipart does not check that the closing boundary came.
            if parser.state != MultipartState.END and collector.parts:
                raise FormError("malformed", "The multipart body ended before its last part.")
        except FormParserError as error:
            raise FormError("malformed", "The multipart body is malformed.") from error
        finally:
            for handle in collector.to_close:
                handle.close()
    except BaseException:
        collector.form.discard()
        raise
    return collector.form
