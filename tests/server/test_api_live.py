"""The API over a real socket (uvicorn on 127.0.0.1, port 0): SSE, big bodies, the lifecycle."""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from testkit import until

from image2model_desktop.core.errors import SetupError
from image2model_desktop.server import EmbeddedApiServer

from .api_helpers import (
    API_KEY,
    AUTH,
    WAIT,
    GatedEngine,
    Library,
    SseEvent,
    assert_stream_invariants,
    follow,
    sse_events,
    start_live,
    upload_files,
)

pytestmark = pytest.mark.asyncio


async def upload(client: httpx.AsyncClient, names: list[str], **data: str) -> dict:
    r = await client.post("/api/v1/upload/", files=upload_files(names), data=data, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


async def test_follow_three_files_then_download(live_client: httpx.AsyncClient) -> None:
    """The original front end's flow, against the offline engine."""
    body = await upload(live_client, ["chair.jpg", "lamp.png", "chair.png"])
    events = await follow(live_client, body["task_id"], params={"api_key": API_KEY})
    assert_stream_invariants(events)
    names = [e.event for e in events]
    assert names[-1] == "task_completed" and "heartbeat" not in names
    assert names[0] == "task_progress" and names[1:4] == ["file_update"] * 3
    final = events[-1].data
    assert final["status"] == "completed" and final["progress"] == 100
    assert final["task_id"] == body["task_id"] and final["job_id"] == body["job_id"]
    result = final["result"]
    assert result["status"] == "completed" and result["successful_files"] == 3
    assert [r["model_filename"] for r in result["results"]] == [
        "chair.glb",
        "lamp.glb",
        "chair_2.glb",
    ]
    assert final["task_name"] and final["summary"] == {
        "total": 3,
        "successful": 3,
        "failed": 0,
        "cancelled": 0,
        "total_files": 3,
        "successful_files": 3,
        "failed_files": 0,
    }
    completed = {
        e.data["file"]["file_id"]
        for e in events
        if e.event == "file_update" and e.data["file"]["status"] == "completed"
    }
    assert len(completed) == 3
    for e in events:
        if e.event == "file_update":
            # The file's state is nested: the only top-level status is the task's.
            assert set(e.data) == {"task_id", "job_id", "file"}
            assert set(e.data["file"]) >= {"file_id", "filename", "status", "progress", "message"}
    listing = (await live_client.get(f"/api/v1/download/{body['job_id']}/all", headers=AUTH)).json()
    assert listing["total_files"] == 3
    for entry, url in zip(listing["files"], listing["download_urls"], strict=True):
        r = await live_client.get(url, headers=AUTH)
        assert r.status_code == 200 and r.content[:4] == b"glTF"
        assert len(r.content) == entry["size"]
        assert r.headers["content-type"] == "model/gltf-binary"
        assert r.headers["content-disposition"] == f'attachment; filename="{entry["filename"]}"'
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"] == "default-src 'none'"
        assert r.headers["cache-control"] == "private, max-age=3600"


async def test_reconnect_with_last_event_id(
    live_gated_client: httpx.AsyncClient, gated: GatedEngine, gated_library: Library
) -> None:
    body = await upload(live_gated_client, ["a.png", "b.png"])
    task_id = body["task_id"]
    # Wait until both files are at the gate, then read the snapshot and drop the stream.
    await until(
        lambda: all(
            f.state == "generating" for f in gated_library.service.get_job(body["job_id"]).files
        ),
        timeout=WAIT,
        what="every file generating",
    )
    first = await follow(live_gated_client, task_id, stop_after=3)
    seen = first[-1].id
    assert seen is not None
    gated.gate.set()
    await asyncio.wait_for(gated_library.service.wait_finished(body["job_id"]), WAIT)
    missed = await follow(live_gated_client, task_id, headers={"Last-Event-ID": str(seen)})
    assert missed[0].retry == 3000
    assert all(e.id is not None and e.id > seen for e in missed)
    statuses = [e.data["file"]["status"] for e in missed if e.event == "file_update"]
    # A replay, not a snapshot: the steps after the gate, in order, for both files.
    assert statuses.count("downloading") == 2 and statuses.count("completed") == 2
    assert missed[-1].event == "task_completed"
    assert_stream_invariants(missed)
    # Reconnecting after the end repeats only the terminal event.
    again = await follow(live_gated_client, task_id, headers={"Last-Event-ID": str(missed[-1].id)})
    assert [e.event for e in again] == ["task_completed"]
    assert again[0].id == missed[-1].id
    # An id the server cannot replay from gets the snapshot.
    fresh = await follow(live_gated_client, task_id, headers={"Last-Event-ID": "not-a-number"})
    assert [e.event for e in fresh][-1] == "task_completed" and len(fresh) == 4


async def test_heartbeat_and_timeout(live_gated_client: httpx.AsyncClient) -> None:
    body = await upload(live_gated_client, ["a.png"])
    url = f"/api/v1/status/tasks/{body['task_id']}/stream"
    events: list[SseEvent] = []
    async with live_gated_client.stream("GET", url, params={"timeout": 1}) as response:
        async for event in sse_events(response):
            events.append(event)
    names = [e.event for e in events]
    assert "heartbeat" in names and names[-1] == "connection_timeout"
    beat = events[names.index("heartbeat")]
    assert beat.id is None and beat.data["status"] == "heartbeat"
    assert beat.data["task_id"] == body["task_id"]
    assert events[-1].data["status"] == "timeout"


async def test_failed_and_cancelled_tasks(
    live_gated_client: httpx.AsyncClient, gated: GatedEngine, gated_library: Library
) -> None:
    gated.fail = {"bad.png", "worse.png"}
    failing = await upload(live_gated_client, ["bad.png", "worse.png"])
    gated.gate.set()
    events = await follow(live_gated_client, failing["task_id"])
    assert events[-1].event == "task_failed"
    assert events[-1].data["status"] == "failed"
    assert "test engine refused" in events[-1].data["error"]
    assert events[-1].data["result"]["failed_files"] == 2
    errors = [
        e.data["file"].get("error")
        for e in events
        if e.event == "file_update" and e.data["file"]["status"] == "failed"
    ]
    assert errors and all(errors)
    # Retry runs the failed files under a new task id.
    gated.fail = set()
    r = await live_gated_client.post(f"/api/v1/jobs/{failing['job_id']}/retry", headers=AUTH)
    assert r.status_code == 200 and r.json()["retried_files"] == 2
    retried = await follow(live_gated_client, r.json()["task_id"])
    assert retried[-1].event == "task_completed"
    assert_stream_invariants(retried)
    # Cancelling a waiting batch ends it as task_failed / cancelled.
    gated.gate.clear()
    waiting = await upload(live_gated_client, ["c.png", "d.png"])
    stream = asyncio.ensure_future(follow(live_gated_client, waiting["task_id"]))
    r = await live_gated_client.post(
        f"/api/v1/status/tasks/{waiting['task_id']}/cancel", headers=AUTH
    )
    assert r.status_code == 202 and r.json()["cancelled_files"] == 2
    events = await stream
    assert events[-1].event == "task_failed" and events[-1].data["status"] == "cancelled"
    assert events[-1].data["result"]["status"] == "cancelled"


async def test_twenty_streams_and_four_uploads(live_client: httpx.AsyncClient) -> None:
    bodies = await asyncio.gather(
        *(upload(live_client, [f"u{i}a.png", f"u{i}b.jpg"]) for i in range(4))
    )
    streams = [follow(live_client, body["task_id"]) for body in bodies for _ in range(5)]
    results = await asyncio.gather(*streams)
    assert len(results) == 20
    for events in results:
        assert events[-1].event == "task_completed"
        assert events[-1].data["result"]["successful_files"] == 2
        assert_stream_invariants(events)


async def test_a_gigabyte_body_is_refused_while_reading(live_client: httpx.AsyncClient) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            b'--b\r\nContent-Disposition: form-data; name="files"; filename="huge.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff"
        )
        chunk = b"\0" * (1 << 20)
        for _ in range(1024):
            sent += len(chunk)
            yield chunk
        yield b"\r\n--b--\r\n"

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=b"}
    r = await live_client.post("/api/v1/upload/", content=body(), headers=headers)
    assert r.status_code == 413 and r.json()["error_code"] == "FILE_TOO_LARGE"
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 200, f"peak memory grew by {grown_mib:.0f} MiB"


async def test_key_never_in_logs(library: Library, caplog: pytest.LogCaptureFixture) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(logging.DEBUG)
    watched = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error", "")]
    for logger in watched:
        logger.addHandler(keep)
    access = logging.getLogger("uvicorn.access")
    old_level = access.level
    access.setLevel(logging.INFO)
    caplog.set_level(logging.DEBUG)
    server = await start_live(library, access_log=True)
    try:
        async with httpx.AsyncClient(base_url=server.url) as c:
            task = (await upload(c, ["a.png"]))["task_id"]
            await follow(c, task, params={"api_key": API_KEY})
            await c.get(f"/api/v1/status/tasks/{task}/status?api_key={API_KEY}&x=1")
            await c.get("/api/v1/jobs", params={"api_key": API_KEY})
            await c.get("/api/v1/jobs", headers={"Authorization": f"Bearer {API_KEY}"})
            await c.get("/api/v1/jobs", headers={"Authorization": f"Bearer {API_KEY}zz"})
    finally:
        await server.stop()
        for logger in watched:
            logger.removeHandler(keep)
        access.setLevel(old_level)
    # The test's own client (httpx) logs its URLs; only the server's side is checked.
    server_side = [
        r for r in records + caplog.records if not r.name.startswith(("httpx", "httpcore"))
    ]
    lines = [r.getMessage() for r in server_side]
    assert any("api_key=***" in line for line in lines), "the access log was not exercised"
    assert not any(API_KEY in line for line in lines)


async def test_embedded_lifecycle(library: Library) -> None:
    server = EmbeddedApiServer(library.service, start_settings(), API_KEY)
    assert not server.running
    port = await server.start()
    assert server.running and port > 0 and server.url == f"http://127.0.0.1:{port}"
    assert await server.start() == port  # already running: same port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        clash = EmbeddedApiServer(library.service, start_settings(taken.getsockname()[1]), API_KEY)
        with pytest.raises(SetupError, match="cannot listen"):
            await clash.start()
    async with httpx.AsyncClient(base_url=server.url) as c:
        body = await upload(c, ["a.png"])
        # A stream left open must not hold the stop.
        open_stream = c.stream("GET", f"/api/v1/status/tasks/{body['task_id']}/stream")
        await open_stream.__aenter__()
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await server.stop()
            assert loop.time() - started < 5
        finally:
            await open_stream.__aexit__(None, None, None)
    assert not server.running
    # Switched on again, on a new port, still the same engine and library.
    await server.start()
    async with httpx.AsyncClient(base_url=server.url) as c:
        jobs = (await c.get("/api/v1/jobs", headers=AUTH)).json()
        assert jobs["total"] == 1
    await server.stop()


def start_settings(port: int = 0):  # type: ignore[no-untyped-def]
    from image2model_desktop.core.settings import ApiServerSettings

    return ApiServerSettings(port=port)
