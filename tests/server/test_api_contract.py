"""API.md in process: shapes, the error envelope, auth, host check, CORS, upload refusals."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from hostile import build_hostile_corpus

from image2model_desktop.core.images import MAX_FILE_BYTES
from image2model_desktop.server import close_app

from .api_helpers import API_KEY, AUTH, WAIT, Library, in_process_client, photo_bytes, upload_files

pytestmark = pytest.mark.asyncio
UNKNOWN = str(uuid.uuid4())


def assert_envelope(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_code", "message", "status_code", "details", "detail"}
    assert body["error"] is True and body["status_code"] == status
    assert body["error_code"] == (code or f"HTTP_{status}")
    assert isinstance(body["details"], dict)
    assert body["detail"] == body["message"] and body["message"]
    return body


async def upload(client: httpx.AsyncClient, names: list[str], **data: str) -> httpx.Response:
    return await client.post("/api/v1/upload/", files=upload_files(names), data=data, headers=AUTH)


# -- the envelope ---------------------------------------------------------------------


async def test_routing_errors_use_the_envelope(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get("/api/v1/nothing-here"), 404)
    assert_envelope(await client.delete("/api/v1/health/"), 405)
    body = assert_envelope(
        await client.get("/api/v1/jobs?limit=0", headers=AUTH), 422, "VALIDATION_ERROR"
    )
    [error] = body["details"]["validation_errors"]
    assert error["field"] == "query.limit" and set(error) == {"field", "message", "type"}


async def test_health_openapi_and_docs(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/health/", "/health"):
        body = (await client.get(path)).json()
        assert body["status"] == "healthy" and body["service"] == "image2model-desktop"
        assert body["engine"] == "offline" and body["version"]
        # The original's ISO 8601 timestamp.
        assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    spec = (await client.get("/api/v1/openapi.json")).json()
    for path in (
        "/api/v1/upload/",
        "/api/v1/upload/image",
        "/api/v1/status/tasks/{task_id}/stream",
        "/api/v1/status/tasks/{task_id}/status",
        "/api/v1/status/jobs/{job_id}/progress",
        "/api/v1/status/tasks/{task_id}/cancel",
        "/api/v1/download/{job_id}/all",
        "/api/v1/download/{job_id}/{filename}",
        "/api/v1/download/direct/{filename}",
        "/api/v1/download/{job_id}/model",
        "/api/v1/health/liveness",
        "/api/v1/health/readiness",
        "/api/v1/health/detailed",
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}/retry",
        "/api/v1/health/",
    ):
        assert path in spec["paths"], path
    assert (await client.get("/docs")).status_code == 200


# -- auth -------------------------------------------------------------------------------

KEYED = [
    ("POST", "/api/v1/upload/"),
    ("POST", "/api/v1/upload/image"),
    ("GET", f"/api/v1/download/{UNKNOWN}/all"),
    ("GET", f"/api/v1/download/{UNKNOWN}/a.glb"),
    ("GET", "/api/v1/download/direct/a.glb"),
    ("GET", f"/api/v1/status/jobs/{UNKNOWN}/progress"),
    ("GET", "/api/v1/jobs"),
    ("POST", f"/api/v1/status/tasks/{UNKNOWN}/cancel"),
    ("POST", f"/api/v1/jobs/{UNKNOWN}/retry"),
]


@pytest.mark.parametrize(("method", "path"), KEYED)
async def test_key_required(client: httpx.AsyncClient, method: str, path: str) -> None:
    cases = [
        ({}, "Not authenticated"),
        ({"Authorization": f"Basic {API_KEY}"}, "Invalid authentication credentials"),
        ({"Authorization": "Bearer wrong-key"}, "Invalid API key"),
        ({"Authorization": f"Bearer {API_KEY}x"}, "Invalid API key"),
    ]
    for headers, message in cases:
        body = assert_envelope(await client.request(method, path, headers=headers), 403)
        assert body["message"] == message
    # The scheme is case-insensitive; with the right key the request gets past auth.
    ok = await client.request(method, path, headers={"Authorization": f"bearer {API_KEY}"})
    assert ok.status_code != 403


async def test_status_is_public_but_checks_a_given_key(client: httpx.AsyncClient) -> None:
    path = f"/api/v1/status/tasks/{UNKNOWN}/status"
    assert_envelope(await client.get(path), 404)
    assert_envelope(await client.get(path, params={"api_key": API_KEY}), 404)
    assert_envelope(await client.get(path, params={"api_key": "nope"}), 403)
    progress = f"/api/v1/status/jobs/{UNKNOWN}/progress"
    assert_envelope(await client.get(progress, params={"api_key": API_KEY}), 404)


# -- browser guards -----------------------------------------------------------------------


async def test_host_header_check(library: Library) -> None:
    async with in_process_client(library) as c:
        for host in ("evil.example", "127.0.0.1.evil.example", "192.168.1.5:8000", ""):
            r = await c.get("/api/v1/health/", headers={"Host": host})
            assert_envelope(r, 400)
        for host in ("127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000", "127.0.0.2"):
            assert (await c.get("/api/v1/health/", headers={"Host": host})).status_code == 200
    close_app(c.app)  # type: ignore[attr-defined]


async def test_cors_only_for_configured_origins(library: Library) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    async with in_process_client(library) as c:
        r = await c.get("/api/v1/health/", headers={"Origin": "http://app.example"})
        assert "access-control-allow-origin" not in r.headers
    close_app(c.app)  # type: ignore[attr-defined]
    origins = ["http://app.example", "*"]
    async with in_process_client(library, cors_origins=origins) as c:
        r = await c.options(
            "/api/v1/upload/", headers={"Origin": "http://app.example", **preflight}
        )
        assert r.headers["access-control-allow-origin"] == "http://app.example"
        r = await c.get("/api/v1/health/", headers={"Origin": "http://other.example"})
        assert "access-control-allow-origin" not in r.headers
    close_app(c.app)  # type: ignore[attr-defined]


# -- uploads --------------------------------------------------------------------------------


def staged(library: Library) -> list[Path]:
    folder = library.paths.staging / "api-uploads"
    return list(folder.iterdir()) if folder.exists() else []


async def test_upload_shape_and_listing(client: httpx.AsyncClient, library: Library) -> None:
    r = await upload(client, ["chair.jpg", "lamp.png"], face_limit="3000")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "uploaded" and body["total_files"] == 2
    assert body["message"] == "Files uploaded successfully, processing started"
    assert body["batch_id"] == body["job_id"] != body["task_id"]
    assert body["face_limit"] == 3000
    first = body["uploaded_files"][0]
    assert set(first) == {"file_id", "filename", "file_size", "content_type", "status", "task_id"}
    assert first["filename"] == "chair.jpg" and first["content_type"] == "image/jpeg"
    assert first["status"] == "uploaded" and first["task_id"] is None
    await asyncio.wait_for(library.service.wait_finished(body["job_id"]), WAIT)
    jobs = (await client.get("/api/v1/jobs", headers=AUTH)).json()
    assert jobs["total"] == 1 and jobs["jobs"][0]["job_id"] == body["job_id"]
    assert [f["status"] for f in jobs["jobs"][0]["files"]] == ["completed", "completed"]
    progress = await client.get(f"/api/v1/status/jobs/{body['job_id']}/progress", headers=AUTH)
    assert progress.json()["completed_files"] == 2
    status = (await client.get(f"/api/v1/status/tasks/{body['task_id']}/status")).json()
    assert status["state"] == "COMPLETED" and status["status"] == "completed"
    assert status["result"]["successful_files"] == 2 and len(status["files"]) == 2
    original = await client.get(f"/api/v1/status/tasks/{body['task_id']}")
    assert original.json()["state"] == "COMPLETED"
    listing = (await client.get(f"/api/v1/download/{body['job_id']}/all", headers=AUTH)).json()
    assert [f["filename"] for f in listing["files"]] == ["chair.glb", "lamp.glb"]
    # Absolute and signed: a browser follows them without the key.
    for url, name in zip(listing["download_urls"], ["chair.glb", "lamp.glb"], strict=True):
        assert url.startswith(f"http://127.0.0.1/api/v1/download/{body['job_id']}/{name}?")
        assert "expires=" in url and "sig=" in url
    assert [f["model_url"] for f in listing["files"]] == listing["download_urls"]
    assert listing["files"][0]["mime_type"] == "model/gltf-binary"
    assert listing["files"][0]["source_filename"] == "chair.jpg"
    assert staged(library) == []


async def test_single_image_upload(client: httpx.AsyncClient) -> None:
    files = {"file": ("one.png", photo_bytes(), "image/png")}
    r = await client.post("/api/v1/upload/image", files=files, headers=AUTH)
    assert r.status_code == 200 and r.json()["total_files"] == 1
    two = [("file", ("a.png", photo_bytes(), "image/png"))] * 2
    r = await client.post("/api/v1/upload/image", files=two, headers=AUTH)
    assert assert_envelope(r, 400)["message"] == "Too many files. Maximum allowed: 1, received: 2"


async def test_upload_refusals(client: httpx.AsyncClient, library: Library) -> None:
    r = await client.post("/api/v1/upload/", data={"face_limit": "10"}, headers=AUTH)
    body = assert_envelope(r, 422, "VALIDATION_ERROR")
    assert body["details"]["validation_errors"][0]["field"] == "body.files"
    r = await client.post("/api/v1/upload/", json={"files": []}, headers=AUTH)
    assert_envelope(r, 422, "VALIDATION_ERROR")
    r = await upload(client, [f"p{i}.png" for i in range(26)])
    assert assert_envelope(r, 400)["message"] == (
        "Too many files. Maximum allowed: 25, received: 26"
    )
    for value in ("0", "-5"):
        assert_envelope(await upload(client, ["a.png"], face_limit=value), 400)
    assert_envelope(await upload(client, ["a.png"], face_limit="many"), 400, "HTTP_400")
    assert_envelope(await upload(client, ["a.png"], texture="ultra"), 422, "VALIDATION_ERROR")
    assert_envelope(await upload(client, ["a.png"], seed="-1"), 422, "VALIDATION_ERROR")
    fal = assert_envelope(await upload(client, ["a.png"], engine="fal"), 400)
    assert "FAL key" in fal["message"]
    ok = await upload(client, ["a.png"], face_limit="")
    assert ok.status_code == 200 and ok.json()["face_limit"] is None
    assert staged(library) == []


async def test_bad_files_refuse_the_whole_batch(
    client: httpx.AsyncClient, library: Library, tmp_path: Path
) -> None:
    # Files over the size limit are refused while reading (413), tested below.
    cases = [
        c
        for c in build_hostile_corpus(tmp_path / "hostile")
        if c.path.stat().st_size <= MAX_FILE_BYTES
    ]
    files = [("files", ("good.png", photo_bytes(), "image/png"))]
    files += [("files", (c.display_name, c.path.read_bytes(), "image/jpeg")) for c in cases]
    files = files[:25]
    r = await client.post("/api/v1/upload/", files=files, headers=AUTH)
    body = assert_envelope(r, 400, "FILE_VALIDATION_ERROR")
    errors = body["details"]["errors"]
    assert len(errors) == len(files) - 1
    assert all(set(e) == {"filename", "error"} for e in errors)
    expected = {c.display_name: c.expect_reason_contains for c in cases}
    for error in errors:
        assert expected[error["filename"]] in error["error"].lower()
    assert str(tmp_path) not in r.text
    assert staged(library) == [] and library.store.count_jobs() == 0


async def test_file_over_the_limit_is_413(client: httpx.AsyncClient, library: Library) -> None:
    big = photo_bytes() + b"\0" * MAX_FILE_BYTES
    files = [
        ("files", ("ok.png", photo_bytes(), "image/png")),
        ("files", ("big.png", big, "image/png")),
    ]
    r = await client.post("/api/v1/upload/", files=files, headers=AUTH)
    body = assert_envelope(r, 413, "FILE_TOO_LARGE")
    assert body["details"]["filename"] == "big.png"
    exactly = photo_bytes()
    exactly += b"\0" * (MAX_FILE_BYTES - len(exactly))
    r = await client.post(
        "/api/v1/upload/", files=[("files", ("edge.png", exactly, "image/png"))], headers=AUTH
    )
    assert r.status_code == 200, r.text  # exactly 10 MiB is allowed (trailing bytes are fine)
    headers = {
        **AUTH,
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(300 * 1024 * 1024),
    }
    r = await client.post("/api/v1/upload/", content=b"", headers=headers)
    assert_envelope(r, 413, "FILE_TOO_LARGE")
    assert staged(library) == []


async def test_empty_and_malformed_bodies(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/upload/", files=[("files", ("e.png", b"", "image/png"))], headers=AUTH
    )
    body = assert_envelope(r, 400, "FILE_VALIDATION_ERROR")
    assert body["details"]["errors"][0]["error"] == "the file is empty"
    truncated = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\nabc'
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=b"}
    assert_envelope(await client.post("/api/v1/upload/", content=truncated, headers=headers), 400)


async def test_upload_rate_limit(library: Library) -> None:
    async with in_process_client(library, upload_rate_per_minute=2) as c:
        for _ in range(2):
            assert (await upload(c, ["a.png"])).status_code == 200
        r = await upload(c, ["a.png"])
        assert_envelope(r, 429)
        assert int(r.headers["retry-after"]) >= 1
    close_app(c.app)  # type: ignore[attr-defined]


# -- status and jobs ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["stream", "status"])
async def test_task_id_rules(client: httpx.AsyncClient, suffix: str) -> None:
    for bad in ("123", "not-a-uuid", UNKNOWN + "0", "../" + UNKNOWN):
        r = await client.get(f"/api/v1/status/tasks/{bad}/{suffix}")
        if r.status_code == 404:  # a slash in the id never reaches the route
            assert "/" in bad
            continue
        body = assert_envelope(r, 400)
        assert body["message"] == "Invalid task ID format. Expected UUID format."
    assert_envelope(await client.get(f"/api/v1/status/tasks/{UNKNOWN}/{suffix}"), 404)
    r = await client.get(f"/api/v1/status/tasks/{UNKNOWN}/stream", params={"timeout": 0})
    if suffix == "stream":
        assert_envelope(r, 422, "VALIDATION_ERROR")


async def test_unknown_ids(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.post(f"/api/v1/status/tasks/{UNKNOWN}/cancel", headers=AUTH), 404)
    assert_envelope(await client.post(f"/api/v1/jobs/{UNKNOWN}/retry", headers=AUTH), 404)
    assert_envelope(await client.get(f"/api/v1/status/jobs/{UNKNOWN}/progress", headers=AUTH), 404)
    assert_envelope(await client.get(f"/api/v1/download/{UNKNOWN}/all", headers=AUTH), 404)
    # The original's other ids are simply unknown; anything else is refused.
    assert_envelope(await client.get("/api/v1/download/not-a-job/all", headers=AUTH), 404)
    assert_envelope(await client.get("/api/v1/download/not.a.job/all", headers=AUTH), 400)


async def test_finished_task_stream_is_snapshot_then_end(
    client: httpx.AsyncClient, library: Library
) -> None:
    body = (await upload(client, ["a.png", "b.jpg"])).json()
    await asyncio.wait_for(library.service.wait_finished(body["job_id"]), WAIT)
    r = await client.get(f"/api/v1/status/tasks/{body['task_id']}/stream")
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
    text = r.text
    assert text.startswith("retry: 3000\nid: ")
    names = [line[7:] for line in text.splitlines() if line.startswith("event: ")]
    assert names == ["task_progress", "file_update", "file_update", "task_completed"]
    r = await client.post(f"/api/v1/jobs/{body['job_id']}/retry", headers=AUTH)
    assert_envelope(r, 409)
