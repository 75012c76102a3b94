"""Helpers for the API tests: photos, a gated engine, an SSE reader, raw HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
from image2model_desktop.core.errors import EngineError
from image2model_desktop.core.models import EngineName
from image2model_desktop.core.paths import LibraryPaths
from image2model_desktop.core.service import JobService
from image2model_desktop.core.settings import ApiServerSettings, Settings
from image2model_desktop.core.states import FileState
from image2model_desktop.core.store import Store
from image2model_desktop.engines import create_engine
from image2model_desktop.engines.stats import model_stats
from image2model_desktop.server import EmbeddedApiServer, create_app

WAIT = 30.0
API_KEY = "test-key-7Rq2xv9LmZ"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def photo_bytes(
    kind: str = "PNG", size: int = 64, colour: tuple[int, int, int] = (200, 60, 40)
) -> bytes:
    """A small real photo: a coloured disc on a light background."""
    image = Image.new("RGB", (size, size), (235, 235, 230))
    from PIL import ImageDraw

    ImageDraw.Draw(image).ellipse((size // 5, size // 5, size * 4 // 5, size * 4 // 5), colour)
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def upload_files(names: list[str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The ``files`` parts of a batch upload, JPEG or PNG by the name's extension."""
    parts = []
    for name in names:
        kind = "JPEG" if name.lower().endswith((".jpg", ".jpeg")) else "PNG"
        mime = "image/jpeg" if kind == "JPEG" else "image/png"
        # A colour from the name: two names are two photos to the library's reuse
        # (core.reuse), which would otherwise generate the second from the first.
        mark = zlib.crc32(name.encode())
        colour = (150 + mark % 100, 30 + (mark >> 8) % 60, 20 + (mark >> 16) % 60)
        parts.append(("files", (name, photo_bytes(kind, colour=colour), mime)))
    return parts


def write_box(path_str: str) -> None:
    import trimesh

    trimesh.creation.box(extents=(1.0, 2.0, 0.5)).export(path_str)


@dataclass
class GatedEngine(Engine):
    """An engine whose files wait at ``gate`` while generating; fails files on demand."""

    name: str = "offline"  # type: ignore[assignment]
    expected_seconds: float = 1000.0  # keep the time-based estimate from ticking
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    fail: set[str] = field(default_factory=set)

    async def run(self, run: FileRun) -> EngineOutput:
        await run.update(FileState.UPLOADING, fraction=0.5)
        await run.update(FileState.GENERATING, message="Progress: 10%", fraction=0.1)
        await self.gate.wait()
        if run.file.filename in self.fail:
            raise EngineError("The test engine refused this photo.", code="TEST_FAILURE")
        await run.update(FileState.GENERATING, message="Progress: 80%", fraction=0.8)
        await run.update(FileState.DOWNLOADING, fraction=0.5)
        out = run.output_path(".glb")
        await asyncio.get_running_loop().run_in_executor(None, write_box, str(out))
        return EngineOutput(model_path=out)


@dataclass
class SseEvent:
    event: str
    data: dict[str, Any]
    id: int | None
    retry: int | None = None


async def sse_events(response: httpx.Response) -> AsyncIterator[SseEvent]:
    """Parse a text/event-stream response as it arrives."""
    fields: dict[str, str] = {}
    data_lines: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data_lines:
                yield SseEvent(
                    fields.get("event", "message"),
                    json.loads("\n".join(data_lines)),
                    int(fields["id"]) if "id" in fields else None,
                    int(fields["retry"]) if "retry" in fields else None,
                )
            fields, data_lines = {}, []
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data_lines.append(value)
        elif name:
            fields[name] = value


async def follow(
    client: httpx.AsyncClient,
    task_id: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    stop_after: int | None = None,
) -> list[SseEvent]:
    """Collect a task's events until the stream closes (or ``stop_after`` events)."""
    events: list[SseEvent] = []
    url = f"/api/v1/status/tasks/{task_id}/stream"
    async with asyncio.timeout(WAIT):
        async with client.stream("GET", url, headers=headers, params=params) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"] == "text/event-stream"
            assert response.headers["cache-control"] == "no-cache"
            assert response.headers["x-accel-buffering"] == "no"
            async for event in sse_events(response):
                events.append(event)
                if stop_after is not None and len(events) >= stop_after:
                    break
    return events


def assert_stream_invariants(events: list[SseEvent]) -> None:
    """Ids never go down; task progress never goes down; retry comes first."""
    assert events and events[0].retry == 3000
    ids = [e.id for e in events if e.id is not None]
    assert ids == sorted(ids)
    progress = [e.data["progress"] for e in events if e.event == "task_progress"]
    assert progress == sorted(progress)
    per_file: dict[str, list[float]] = {}
    for e in events:
        if e.event == "file_update" and e.data["file"]["status"] not in ("failed", "cancelled"):
            per_file.setdefault(e.data["file"]["file_id"], []).append(e.data["file"]["progress"])
    for values in per_file.values():
        assert values == sorted(values)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def raw_get(port: int, target: str, headers: dict[str, str]) -> RawResponse:
    """Send ``GET target`` exactly as written (httpx would normalize dot segments)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        async with asyncio.timeout(WAIT):
            raw = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split()[1]), parsed, body)


async def completed_job(
    client: httpx.AsyncClient, library: Library, name: str = "model.png"
) -> str:
    """Upload one photo and wait until its model is made; return the job id."""
    r = await client.post("/api/v1/upload/", files=upload_files([name]), headers=AUTH)
    assert r.status_code == 200, r.text
    job_id: str = r.json()["job_id"]
    await asyncio.wait_for(library.service.wait_finished(job_id), WAIT)
    return job_id


class Library:
    """A job engine on this test's own data directory."""

    def __init__(self, root: Path, engine: Engine | None) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.paths = LibraryPaths(root)
        self.store = Store.open(self.paths.database, lock_path=self.paths.lock_file)

        def factory(name: EngineName) -> Engine:
            return engine if engine is not None else create_engine(name, data_dir=root)

        self.service = JobService(
            self.store,
            self.paths,
            Settings(engine="offline"),
            factory,
            has_fal_key=lambda: False,
            inspect_model=model_stats,
        )

    async def close(self) -> None:
        await self.service.aclose()
        self.store.close()


def in_process_client(library: Library, **settings: object) -> httpx.AsyncClient:
    app = create_app(
        library.service,
        api_key=API_KEY,
        settings=ApiServerSettings(**settings),  # type: ignore[arg-type]
        bound_host="127.0.0.1",
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
    client.app = app  # type: ignore[attr-defined]
    return client


async def start_live(library: Library, **options: object) -> EmbeddedApiServer:
    heartbeat = float(options.pop("heartbeat_interval", 15.0))  # type: ignore[arg-type]
    access_log = bool(options.pop("access_log", False))
    settings = ApiServerSettings(port=0, **options)  # type: ignore[arg-type]
    server = EmbeddedApiServer(
        library.service, settings, API_KEY, heartbeat_interval=heartbeat, access_log=access_log
    )
    await server.start()
    return server
