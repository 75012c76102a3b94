"""Signed absolute links, the original's id rules and health probes (API.md, issue 12)."""

from __future__ import annotations

import asyncio
import stat
import time
import uuid
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from image2model_desktop.server import EmbeddedApiServer, close_app
from image2model_desktop.server.context import ServerContext
from image2model_desktop.server.links import (
    EXPIRED_MESSAGE,
    INVALID_MESSAGE,
    SECRET_FILE,
    LinkSigner,
    link_secret,
)

from .api_helpers import (
    API_KEY,
    AUTH,
    WAIT,
    Library,
    completed_job,
    follow,
    in_process_client,
    raw_get,
    start_live,
    upload_files,
)
from .test_api_contract import assert_envelope
from .test_api_traversal import NAMES, SECRET, plant

pytestmark = pytest.mark.asyncio


async def listing(client: httpx.AsyncClient, job_id: str) -> dict:
    r = await client.get(f"/api/v1/download/{job_id}/all", headers=AUTH)
    assert r.status_code == 200, r.text
    body: dict = r.json()
    return body


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str | None) -> str:
    """The same link with some query values replaced (None drops one)."""
    split = urlsplit(url)
    query = {**query_of(url), **changes}
    kept = {k: v for k, v in query.items() if v is not None}
    return urlunsplit(split._replace(query=urlencode(kept)))


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def one_char_changed(text: str, index: int) -> str:
    new = "0" if text[index] != "0" else "1"
    return text[:index] + new + text[index + 1 :]


async def test_signed_links_are_absolute_and_need_no_key(
    client: httpx.AsyncClient, library: Library
) -> None:
    job_id = await completed_job(client, library, "chair.png")
    body = await listing(client, job_id)
    (url,) = body["download_urls"]
    entry = body["files"][0]
    assert entry["model_url"] == url
    assert url.startswith(f"http://127.0.0.1/api/v1/download/{job_id}/chair.glb?expires=")
    expires = int(query_of(url)["expires"])
    assert 3590 <= expires - time.time() <= 3600  # the default lifetime: one hour
    r = await client.get(url)  # no header, no api_key: the link is the permission
    assert r.status_code == 200 and r.content[:4] == b"glTF"
    assert r.headers["content-disposition"] == 'attachment; filename="chair.glb"'
    if entry["rendered_image"] is not None:
        picture = await client.get(entry["rendered_image"]["url"])
        assert picture.status_code == 200
        assert picture.headers["content-type"] == entry["rendered_image"]["content_type"]
    # Unsigned paths still need the key, as a header or as ?api_key=.
    path = urlsplit(url).path
    assert assert_envelope(await client.get(path), 403)["message"] == "Not authenticated"
    assert (await client.get(path, headers=AUTH)).status_code == 200
    assert (await client.get(path, params={"api_key": API_KEY})).status_code == 200
    wrong = await client.get(path, params={"api_key": "nope"})
    assert assert_envelope(wrong, 403)["message"] == "Invalid API key"


async def test_links_follow_the_address_the_client_used(library: Library) -> None:
    job_id = await completed_job_in_process(library)
    async with in_process_client(library) as c:
        for host in ("localhost:8123", "127.0.0.1:9000", "[::1]:8000"):
            r = await c.get(f"/api/v1/download/{job_id}/all", headers={**AUTH, "Host": host})
            assert r.json()["download_urls"][0].startswith(f"http://{host}/api/v1/download/")
        # Junk after a trusted host never reaches a link.
        r = await c.get(
            f"/api/v1/download/{job_id}/all", headers={**AUTH, "Host": "localhost:1@evil.test"}
        )
        assert r.json()["download_urls"][0].startswith("http://127.0.0.1/api/v1/download/")
    close_app(c.app)  # type: ignore[attr-defined]
    async with in_process_client(library, public_base_url="https://models.example:8443/") as c:
        url = (await listing(c, job_id))["download_urls"][0]
        assert url.startswith(f"https://models.example:8443/api/v1/download/{job_id}/")
    close_app(c.app)  # type: ignore[attr-defined]


async def completed_job_in_process(library: Library) -> str:
    async with in_process_client(library) as c:
        job_id = await completed_job(c, library, "lamp.png")
    close_app(c.app)  # type: ignore[attr-defined]
    return job_id


async def test_tampered_or_moved_links_are_refused(
    client: httpx.AsyncClient, library: Library
) -> None:
    first = await completed_job(client, library, "chair.png")
    second = await completed_job(client, library, "chair.jpg")  # also makes chair.glb
    body = await listing(client, first)
    url = body["download_urls"][0]
    sig, expires = query_of(url)["sig"], query_of(url)["expires"]
    path = urlsplit(url).path
    preview = body["files"][0]["rendered_image"]
    bad = {
        "signature, first char": with_query(url, sig=one_char_changed(sig, 0)),
        "signature, middle char": with_query(url, sig=one_char_changed(sig, 31)),
        "signature, last char": with_query(url, sig=one_char_changed(sig, 63)),
        "signature in upper case": with_query(url, sig=sig.upper()),
        "expiry, one digit": with_query(url, expires=one_char_changed(expires, len(expires) - 1)),
        "expiry pushed far out": with_query(url, expires=str(int(expires) + 10**6)),
        "expiry not a number": with_query(url, expires="soon"),
        "no signature": with_query(url, sig=None),
        "no expiry": with_query(url, expires=None),
        "moved to another job": with_path(url, path.replace(first, second)),
        "moved to another name": with_path(url, path.replace("chair.glb", "chair_2.glb")),
    }
    if preview is not None:
        bad["moved to the picture"] = with_path(url, urlsplit(preview["url"]).path)
    for case, link in bad.items():
        r = await client.get(link)
        assert r.status_code == 403, (case, r.status_code, r.text)
        assert assert_envelope(r, 403)["message"] == INVALID_MESSAGE, case
        # The key does not rescue a broken link: a link is judged by itself.
        assert (await client.get(link, headers=AUTH)).status_code == 403, case
    assert (await client.get(url)).status_code == 200  # the untouched link still works


async def test_expired_links_say_so(library: Library) -> None:
    now = [time.time()]
    async with in_process_client(library, download_link_seconds=60) as c:
        context = c.app.state.context  # type: ignore[attr-defined]
        # The signer's clock is the test's: "later" is a number, not a wait.
        context.signer = LinkSigner(link_secret(library.service.paths.root), 60, lambda: now[0])
        job_id = await completed_job(c, library, "chair.png")
        url = (await listing(c, job_id))["download_urls"][0]
        assert (await c.get(url)).status_code == 200
        now[0] = int(query_of(url)["expires"]) - 0.5
        assert (await c.get(url)).status_code == 200  # still inside its lifetime
        now[0] += 1.0
        body = assert_envelope(await c.get(url), 403)
        assert body["message"] == EXPIRED_MESSAGE
        # Listing again hands out fresh links.
        fresh = (await listing(c, job_id))["download_urls"][0]
        assert (await c.get(fresh)).status_code == 200
    close_app(c.app)  # type: ignore[attr-defined]


async def test_signed_links_never_leave_the_job_folder(
    live: EmbeddedApiServer, live_client: httpx.AsyncClient, library: Library, tmp_path
) -> None:
    job_id = await completed_job(live_client, library)
    plant(library, job_id, tmp_path)
    assert live.port is not None and live.app is not None
    context = live.app.state.context
    assert isinstance(context, ServerContext)
    failures = []
    for name, expected in NAMES.items():
        # A valid signature for exactly the name the server will see: the same checks
        # as with the key still refuse it.
        expires, sig = context.signer.sign(job_id, unquote(name))
        target = f"/api/v1/download/{job_id}/{name}?expires={expires}&sig={sig}"
        r = await raw_get(live.port, target, {})
        assert SECRET not in r.body and b"root:" not in r.body, name
        if r.status != expected:
            failures.append((name, r.status, r.body[:120]))
    assert not failures, failures
    expires, sig = context.signer.sign(job_id, "secret.glb")
    for target in (
        f"/api/v1/download/../{job_id}/secret.glb",
        f"/api/v1/download/{job_id}/..%2fsecret.glb",
        f"/api/v1/download/{job_id}%2f..%2f/secret.glb",
    ):
        r = await raw_get(live.port, f"{target}?expires={expires}&sig={sig}", {})
        assert r.status in (400, 403, 404) and SECRET not in r.body, target


async def test_id_rules_of_the_original(client: httpx.AsyncClient, library: Library) -> None:
    r = await client.post("/api/v1/upload/", files=upload_files(["a.png"]), headers=AUTH)
    body = r.json()
    task_id, job_id = body["task_id"], body["job_id"]
    await asyncio.wait_for(library.service.wait_finished(job_id), WAIT)
    # Any letter case, normalised to lower case.
    status = await client.get(f"/api/v1/status/tasks/{task_id.upper()}/status")
    assert status.status_code == 200 and status.json()["task_id"] == task_id
    events = await follow(client, task_id.upper())
    assert events[-1].event == "task_completed" and events[-1].data["task_id"] == task_id
    files = await client.get(f"/api/v1/download/{job_id.upper()}/all", headers=AUTH)
    assert files.status_code == 200 and files.json()["job_id"] == job_id
    progress = await client.get(f"/api/v1/status/jobs/{job_id.upper()}/progress", headers=AUTH)
    assert progress.status_code == 200
    url = files.json()["download_urls"][0]
    upper = with_path(url, urlsplit(url).path.replace(job_id, job_id.upper()))
    assert (await client.get(upper)).status_code == 200  # signed over the normalised id
    # Any UUID version: unknown, not malformed.
    for other in (uuid.uuid1(), uuid.uuid5(uuid.NAMESPACE_DNS, "x"), uuid.UUID(int=0)):
        assert_envelope(await client.get(f"/api/v1/status/tasks/{other}/status"), 404)
        assert_envelope(await client.get(f"/api/v1/download/{other}/all", headers=AUTH), 404)
    # The original's other job ids are simply not found.
    for path in (
        "/api/v1/download/test-job-id/all",
        "/api/v1/download/test-job-id/a.glb",
        "/api/v1/download/job_42/model",
        "/api/v1/status/jobs/test-job-id/progress",
    ):
        body = assert_envelope(await client.get(path, headers=AUTH), 404)
        assert body["message"] == "Job not found.", path
    assert_envelope(await client.post("/api/v1/jobs/test-job-id/retry", headers=AUTH), 404)
    # Outside the original's characters or length: refused.
    for bad in ("a.b", "x" * 101):
        assert_envelope(await client.get(f"/api/v1/download/{bad}/all", headers=AUTH), 400)
    # Task ids stay UUID-shaped, as the original required.
    r = await client.get("/api/v1/status/tasks/test-task-id/status")
    assert assert_envelope(r, 400)["message"] == "Invalid task ID format. Expected UUID format."


async def test_first_model_redirect(client: httpx.AsyncClient, library: Library) -> None:
    job_id = await completed_job(client, library, "vase.png")
    r = await client.get(f"/api/v1/download/{job_id}/model", headers=AUTH)
    assert r.status_code == 302
    model = await client.get(r.headers["location"])
    assert model.status_code == 200 and model.content[:4] == b"glTF"
    assert_envelope(await client.get(f"/api/v1/download/{job_id}/model"), 403)


async def test_health_probes(client: httpx.AsyncClient, library: Library) -> None:
    live = await client.get("/api/v1/health/liveness")
    assert live.status_code == 200 and live.json()["status"] == "alive"
    ready = await client.get("/api/v1/health/readiness")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    names = [c["name"] for c in ready.json()["components"]]
    assert names == ["library_store", "disk_space", "fal_api", "offline_engine"]
    detailed = (await client.get("/api/v1/health/detailed")).json()
    assert detailed["status"] == "healthy" and detailed["service"] == "image2model-desktop"
    components = {c["name"]: c for c in detailed["components"]}
    assert components["fal_api"]["status"] == "not_configured"
    assert components["fal_api"]["details"] == {"key_configured": False}
    assert components["offline_engine"]["status"] == "healthy"
    assert components["disk_space"]["details"]["free_gb"] > 0
    assert components["library_store"]["details"] == {"jobs": 0}
    assert all(c["response_time_ms"] >= 0 for c in detailed["components"])
    # An engine that cannot take work makes the app not ready, with the reason.
    saved = library.service.settings
    library.service.configure(saved.model_copy(update={"engine": "fal"}))
    try:
        body = assert_envelope(await client.get("/api/v1/health/readiness"), 503)
    finally:
        library.service.configure(saved)
    assert body["details"] == {"status": "not_ready", "failed_components": ["engine"]}
    assert "FAL key" in body["message"]
    assert (await client.get("/api/v1/health/liveness")).status_code == 200


async def test_link_secret_is_private_and_stable(library: Library) -> None:
    root = library.paths.root
    first = link_secret(root)
    path = root / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert link_secret(root) == first and len(first) == 32
    # A damaged secret (a crash while writing) is replaced; old links stop working.
    path.write_bytes(first[:5])
    replaced = link_secret(root)
    assert len(replaced) == 32 and replaced != first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_links_inside_sse_and_status_are_signed(
    live_client: httpx.AsyncClient, live: EmbeddedApiServer
) -> None:
    r = await live_client.post("/api/v1/upload/", files=upload_files(["a.png"]), headers=AUTH)
    task_id = r.json()["task_id"]
    events = await follow(live_client, task_id)
    (result,) = events[-1].data["result"]["results"]
    assert result["download_url"].startswith(f"{live.url}/api/v1/download/")
    assert (await live_client.get(result["download_url"])).status_code == 200
    status = (await live_client.get(f"/api/v1/status/tasks/{task_id}/status")).json()
    (entry,) = status["result"]["results"]
    assert (await live_client.get(entry["download_url"])).status_code == 200
    jobs = (await live_client.get("/api/v1/jobs", headers=AUTH)).json()
    assert (await live_client.get(jobs["jobs"][0]["files"][0]["download_url"])).status_code == 200


async def test_a_raw_data_reader_stops_at_the_task_end(
    live_client: httpx.AsyncClient, library: Library
) -> None:
    """Scripts for the original read ``data:`` lines and stop at the first "completed"."""
    body = (
        await live_client.post(
            "/api/v1/upload/", files=upload_files(["a.png", "b.png", "c.png"]), headers=AUTH
        )
    ).json()
    import json

    seen: list[dict] = []
    url = f"/api/v1/status/tasks/{body['task_id']}/stream"
    async with asyncio.timeout(WAIT), live_client.stream("GET", url) as response:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                data = json.loads(line[5:])
                seen.append(data)
                if data.get("status") in ("completed", "failed"):
                    break
    final = seen[-1]
    assert final["task_id"] == body["task_id"] and final["result"]["successful_files"] == 3
    assert final["summary"]["successful_files"] == 3 and final["task_name"]


async def test_start_live_with_lifetime_setting(library: Library) -> None:
    server = await start_live(library, download_link_seconds=120)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
            job_id = await completed_job(c, library)
            url = (await listing(c, job_id))["download_urls"][0]
        assert 110 <= int(query_of(url)["expires"]) - time.time() <= 120
        assert url.startswith(server.url)
    finally:
        await server.stop()
