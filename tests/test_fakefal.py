"""The real fal-client 1.0.3 against FakeFal: the fake must speak FAL's protocol."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fal_client
import fal_client.client as fal_module
import httpx
import pytest

pytestmark = pytest.mark.fal_fake(generation_seconds=0.3)

try:
    from tests.fakefal import DEFAULT_KEY, TRIPO_ENDPOINT, FakeFal, Scenario
except ModuleNotFoundError:
    # pytest's default rootdir import mode puts tests/ (not the repo) on sys.path
    # while tests/ has no __init__.py.
    from fakefal import DEFAULT_KEY, TRIPO_ENDPOINT, FakeFal, Scenario  # type: ignore[no-redef,import-not-found]

REPO = Path(__file__).resolve().parents[1]
TRIPO_ARGS: dict[str, Any] = {
    "seed": 7,
    "face_limit": 5000,
    "pbr": True,
    "texture": "standard",
    "texture_alignment": "original_image",
    "auto_size": False,
    "orientation": "default",
}


@asynccontextmanager
async def async_client(key: str | None = None) -> AsyncIterator[fal_client.AsyncClient]:
    client = fal_client.AsyncClient(key=key)
    try:
        yield client
    finally:
        # AsyncClient has no aclose(); an open httpx pool outliving the test's loop
        # ends in an unraisable-exception warning, which -W error turns into a failure.
        await (await client._client).aclose()


def photo(tmp_path: Path, name: str, payload: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + name.encode() + payload)
    return path


async def submit_photo(
    client: fal_client.AsyncClient, path: Path
) -> tuple[str, fal_client.AsyncRequestHandle]:
    url = await client.upload_file(path)
    handle = await client.submit(TRIPO_ENDPOINT, {"image_url": url, **TRIPO_ARGS})
    return url, handle


def download(fake: FakeFal, url: str, **headers: str) -> httpx.Response:
    with httpx.Client(verify=fake.ssl_context()) as http:
        return http.get(url, headers=headers)


@pytest.mark.asyncio
async def test_upload_submit_poll_result_and_download(fake: FakeFal, tmp_path: Path) -> None:
    import trimesh
    from PIL import Image

    # A full second leaves the first poll ample time to still see IN_QUEUE.
    fake.plan(Scenario(generation_seconds=1.0), name_contains="cat")
    async with async_client() as client:
        url, handle = await submit_photo(client, photo(tmp_path, "cat.png"))
        events = [event async for event in handle.iter_events(with_logs=True, interval=0.05)]
        result = await handle.get()

    assert url.startswith(fake.base_url + "/files/")
    queued = [e.position for e in events if isinstance(e, fal_client.Queued)]
    assert queued and queued == sorted(queued, reverse=True)
    in_progress = [e for e in events if isinstance(e, fal_client.InProgress)]
    assert in_progress and all(isinstance(e.logs, list) for e in in_progress)
    completed = events[-1]
    assert isinstance(completed, fal_client.Completed) and completed.error is None
    assert "Progress: 100%" in [log["message"] for log in completed.logs or []]
    assert set(completed.logs[0]) == {"message", "level", "source", "timestamp"}  # type: ignore[index]
    assert completed.metrics["inference_time"] > 0

    mesh, image = result["model_mesh"], result["rendered_image"]
    assert mesh["content_type"] == "model/gltf-binary" and image["content_type"] == "image/webp"
    glb = download(fake, mesh["url"]).content
    assert len(glb) == mesh["file_size"] and glb[:4] == b"glTF"
    assert len(trimesh.load_scene(io.BytesIO(glb), file_type="glb").geometry) == 1
    assert Image.open(io.BytesIO(download(fake, image["url"]).content)).format == "WEBP"

    assert [e.endpoint for e in fake.log()][:3] == ["token", "upload", "submit"]
    (submit,) = fake.submits()
    assert submit.input_label == "cat.png" and submit.arguments["texture"] == "standard"
    assert submit.request_id == handle.request_id
    assert fake.submit_count_by_input() == {"cat.png": 1}
    polls = fake.status_polls(handle.request_id)
    assert [p.t for p in polls] == sorted(p.t for p in polls)
    assert polls[0].state == "IN_QUEUE" and polls[-1].state == "COMPLETED"
    assert fake.max_in_flight() == 1 and fake.in_flight() == 0


def test_sync_client_round_trip(fake: FakeFal, tmp_path: Path) -> None:
    client = fal_client.SyncClient()
    try:
        url = client.upload_file(photo(tmp_path, "sync.png"))
        handle = client.submit(TRIPO_ENDPOINT, {"image_url": url})
        status = handle.status(with_logs=True)
        result = handle.get(interval=0.05)
    finally:
        client._client.close()
    assert isinstance(status, fal_client.Queued | fal_client.InProgress)
    assert result["model_mesh"]["file_name"].endswith(".glb")


@pytest.mark.asyncio
async def test_bad_key_is_401_everywhere(fake: FakeFal, tmp_path: Path) -> None:
    async with async_client(key="wrong-id:wrong-secret") as client:
        with pytest.raises(fal_client.FalClientHTTPError) as upload_error:
            await client.upload_file(photo(tmp_path, "cat.png"))
        with pytest.raises(fal_client.FalClientHTTPError) as submit_error:
            await client.submit(TRIPO_ENDPOINT, {"image_url": "https://example.invalid/a.png"})
    assert upload_error.value.status_code == 401
    assert submit_error.value.status_code == 401
    assert isinstance(submit_error.value.message, str)
    assert {e.status for e in fake.log()} == {401}
    assert fake.submits() == []


@pytest.mark.asyncio
async def test_key_revoked_between_calls(fake: FakeFal, tmp_path: Path) -> None:
    async with async_client() as client:
        _, handle = await submit_photo(client, photo(tmp_path, "cat.png"))
        fake.valid_keys = {"another-id:another-secret"}
        with pytest.raises(fal_client.FalClientHTTPError) as error:
            await handle.status()
    assert error.value.status_code == 401


@pytest.mark.asyncio
async def test_reject_422_surfaces_list_detail(fake: FakeFal, tmp_path: Path) -> None:
    async with async_client() as client:
        _, handle = await submit_photo(client, photo(tmp_path, "blurry_reject422.png"))
        completed = [e async for e in handle.iter_events(interval=0.05)][-1]
        with pytest.raises(fal_client.FalClientHTTPError) as error:
            await handle.get()
    assert isinstance(completed, fal_client.Completed) and completed.error
    assert error.value.status_code == 422
    detail = error.value.message
    assert isinstance(detail, list) and {"loc", "msg", "type"} <= set(detail[0])
    assert fake.submits()[0].scenario.kind == "reject_422"


@pytest.mark.asyncio
async def test_invalid_arguments_are_422_on_submit(fake: FakeFal) -> None:
    async with async_client() as client:
        with pytest.raises(fal_client.FalClientHTTPError) as error:
            await client.submit(TRIPO_ENDPOINT, {"image_url": "x", "texture": "ultra"})
    detail: Any = error.value.message  # a list for 422, though typed str
    assert error.value.status_code == 422
    assert detail[0]["loc"] == ["body", "texture"]


@pytest.mark.asyncio
async def test_runner_503_once_then_ok(fake: FakeFal, tmp_path: Path) -> None:
    path = photo(tmp_path, "plain.png")
    fake.plan("runner_503_then_ok", path=path)
    async with async_client() as client:
        _, handle = await submit_photo(client, path)
        with pytest.raises(fal_client.FalClientHTTPError) as error:
            await handle.get(interval=0.05)
        result = await handle.get()
    assert error.value.status_code == 503
    assert error.value.error_type == "runner_disconnected"
    assert "task_id" in result
    # The 503 carries x-fal-request-id, so fal-client did not retry it on its own.
    assert [e.status for e in fake.log("result")] == [503, 200]


@pytest.mark.asyncio
async def test_cancel_a_request_that_never_finishes(fake: FakeFal, tmp_path: Path) -> None:
    async with async_client() as client:
        _, handle = await submit_photo(client, photo(tmp_path, "cat-never-finishes.png"))
        rid = handle.request_id
        await asyncio.to_thread(
            fake.wait_for, lambda: fake.request_state(rid) == "IN_PROGRESS", 5.0
        )
        status = await handle.status(with_logs=True)
        await handle.cancel()
        after = await handle.status()
        with pytest.raises(fal_client.FalClientHTTPError) as again:
            await handle.cancel()
    assert isinstance(status, fal_client.InProgress)
    assert isinstance(after, fal_client.Completed) and after.error_type == "client_cancelled"
    assert again.value.status_code == 400
    assert [(c.request_id, c.http_status, c.outcome) for c in fake.cancels()] == [
        (rid, 202, "CANCELLATION_REQUESTED"),
        (rid, 400, "ALREADY_COMPLETED"),
    ]
    assert fake.request_state(rid) == "CANCELLED"


@pytest.mark.asyncio
async def test_429_is_retried_by_fal_client_within_max_attempts(
    fake: FakeFal, tmp_path: Path
) -> None:
    once, twice = photo(tmp_path, "once.png"), photo(tmp_path, "twice.png")
    fake.plan(Scenario(kind="rate_limited_then_ok", times=1), path=once)
    fake.plan(Scenario(kind="rate_limited_then_ok", times=2), path=twice)
    async with async_client() as client:
        await submit_photo(client, once)  # MAX_ATTEMPTS is 2 under patch_fal_client
        with pytest.raises(fal_client.FalClientHTTPError) as error:
            await submit_photo(client, twice)
    assert fal_module.MAX_ATTEMPTS == 2
    assert error.value.status_code == 429
    assert [e.status for e in fake.log("submit")] == [429, 200, 429, 429]
    assert fake.submit_count_by_input() == {"once.png": 1}


@pytest.mark.asyncio
async def test_locked_account_is_403(fake: FakeFal) -> None:
    fake.locked = True
    async with async_client() as client:
        with pytest.raises(fal_client.FalClientHTTPError) as error:
            await client.submit(TRIPO_ENDPOINT, {"image_url": "https://example.invalid/a.png"})
    assert error.value.status_code == 403
    assert str(error.value).startswith("User is locked. Reason: Exhausted balance")


@pytest.mark.asyncio
async def test_model_download_failures(fake: FakeFal, tmp_path: Path) -> None:
    names = ("a_downloadfails.png", "b_downloaddrops.png", "c_truncated.png")

    async def model_of(name: str) -> dict[str, Any]:
        _, handle = await submit_photo(client, photo(tmp_path, name))
        result: dict[str, Any] = await handle.get(interval=0.05)
        return result["model_mesh"]  # type: ignore[no-any-return]

    async with async_client() as client:
        results = dict(zip(names, await asyncio.gather(*map(model_of, names)), strict=True))

    failing = results["a_downloadfails.png"]
    assert download(fake, failing["url"]).status_code == 500
    assert len(download(fake, failing["url"]).content) == failing["file_size"]

    dropping = results["b_downloaddrops.png"]
    with pytest.raises(httpx.RemoteProtocolError):
        download(fake, dropping["url"])
    tail = download(fake, dropping["url"], range="bytes=100-")
    assert tail.status_code == 206 and len(tail.content) == dropping["file_size"] - 100

    short = results["c_truncated.png"]
    response = download(fake, short["url"])
    assert response.status_code == 200 and len(response.content) < short["file_size"]
    assert [e.detail for e in fake.log("download")] == [
        "model failed",
        "model",
        "model dropped",
        "model",
        "model truncated",
    ]


@pytest.mark.asyncio
async def test_concurrent_requests_and_expiry(fake: FakeFal, tmp_path: Path) -> None:
    async with async_client() as client:
        submitted = await asyncio.gather(
            *(submit_photo(client, photo(tmp_path, f"p{i}.png")) for i in range(3))
        )
        handles = [handle for _, handle in submitted]
        await asyncio.gather(*(h.get(interval=0.05) for h in handles))
        fake.forget_result(handles[0].request_id)
        with pytest.raises(fal_client.FalClientHTTPError) as error:
            await handles[0].get()
    assert error.value.status_code == 404
    assert fake.max_in_flight() == 3


@pytest.mark.asyncio
async def test_multipart_upload_reassembles_parts(
    fake: FakeFal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fal_module, "MULTIPART_THRESHOLD", 1000)
    monkeypatch.setattr(fal_module, "MULTIPART_CHUNK_SIZE", 400)
    payload = bytes(range(256)) * 10
    path = photo(tmp_path, "big.png", payload)
    async with async_client() as client:
        url = await client.upload_file(path)
    assert download(fake, url).content == path.read_bytes()
    assert sum(1 for e in fake.log("multipart") if e.method == "PUT") == 7


def test_server_outlives_a_killed_client_process(fake: FakeFal, tmp_path: Path) -> None:
    # The child does what the app does with IMAGE2MODEL_FAL_*: REST_URL and
    # CDN_URL are constants, only the run hosts come from the environment.
    script = f"""
import asyncio, os, fal_client, fal_client.client as fc
fc.REST_URL = os.environ["IMAGE2MODEL_FAL_REST_URL"]
fc.CDN_URL = os.environ["IMAGE2MODEL_FAL_CDN_URL"]
async def main():
    client = fal_client.AsyncClient()
    url = await client.upload_file({str(photo(tmp_path, "cli-never-finishes.png"))!r})
    handle = await client.submit({TRIPO_ENDPOINT!r}, {{"image_url": url}})
    print(handle.request_id, flush=True)
    async for _ in handle.iter_events(interval=0.05):
        pass
asyncio.run(main())
"""
    env = {**os.environ, **fake.env()}
    child = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        rid = child.stdout.readline().strip()
        assert rid, "the client process died before submitting"
        fake.wait_for(lambda: len(fake.status_polls(rid)) >= 2, timeout=10)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()

    client = fal_client.SyncClient()
    try:
        status = client.status(TRIPO_ENDPOINT, rid, with_logs=True)
    finally:
        client._client.close()
    assert isinstance(status, fal_client.InProgress)
    assert fake.submit_count_by_input() == {"cli-never-finishes.png": 1}


def test_standalone_entry_point_prints_env() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.fakefal", "--port", "0", "--generation-seconds", "3"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        env = json.loads(child.stdout.readline())
        assert env["FAL_KEY"] == DEFAULT_KEY
        assert env["FAL_QUEUE_RUN_HOST"].startswith("127.0.0.1:")
        assert Path(env["SSL_CERT_FILE"]).is_file()
    finally:
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
        if child.stdout is not None:
            child.stdout.close()


@pytest.mark.asyncio
async def test_fal_clients_own_submit_resends_a_cut_answer(tmp_path: Path) -> None:
    """Why the engine submits itself (issue 20): fal-client 1.0.3 retries a submit whose
    answer was cut after the body arrived, and each retry is another billed request."""
    with FakeFal(generation_seconds=0.3) as fake, fake.patch_fal_client(max_attempts=4):
        fake.plan(Scenario(kind="submit_answer_cut", times=3), name_contains="cut")
        async with async_client() as client:
            url = await client.upload_file(photo(tmp_path, "cut.png"))
            handle = await client.submit(TRIPO_ENDPOINT, {"image_url": url, **TRIPO_ARGS})
        submits = fake.submits()
        assert [s.answer_cut for s in submits] == [True, True, True, False]
        assert handle.request_id == submits[-1].request_id
        # All four were queued: FAL would bill four models for one photo.
        await asyncio.to_thread(fake.wait_for, lambda: len(fake.billing_events()) == 4, 10)
        assert fake.server_errors() == []


@pytest.mark.asyncio
async def test_uploads_record_their_lifecycle_and_submits_their_headers(
    fake: FakeFal, tmp_path: Path
) -> None:
    async with async_client() as client:
        week = fal_client.StorageSettings(expires_in="7d")
        url = await client.upload_file(photo(tmp_path, "week.png"), lifecycle=week)
        await client.upload_file(photo(tmp_path, "plain.png"))
        await client.submit(
            TRIPO_ENDPOINT,
            {"image_url": url, **TRIPO_ARGS},
            headers={"x-fal-disable-fallbacks": "true"},
        )
    assert fake.upload_lifecycles() == [
        ("week.png", {"expiration_duration_seconds": 604_800}),
        ("plain.png", None),
    ]
    (submit,) = fake.submits()
    assert submit.disables_fallbacks and "authorization" not in submit.headers


@pytest.mark.asyncio
async def test_platform_api_answers_in_fals_published_shapes(fake: FakeFal, tmp_path: Path) -> None:
    fake.set_price(TRIPO_ENDPOINT, 0.02, "credits")
    auth = {"Authorization": f"Key {fake.key}"}
    async with async_client() as client:
        url = await client.upload_file(photo(tmp_path, "billed.png"))
        handle = await client.submit(TRIPO_ENDPOINT, {"image_url": url, **TRIPO_ARGS})
        await handle.get()
    async with httpx.AsyncClient(verify=fake.ssl_context(), base_url=fake.base_url) as http:
        prices = (
            await http.get(
                "/v1/models/pricing",
                params={"endpoint_id": f"{TRIPO_ENDPOINT},fal-ai/trellis-2"},
                headers=auth,
            )
        ).json()
        assert prices == {
            "prices": [
                {
                    "endpoint_id": TRIPO_ENDPOINT,
                    "unit_price": 0.02,
                    "unit": "credits",
                    "currency": "USD",
                },
                {
                    "endpoint_id": "fal-ai/trellis-2",
                    "unit_price": 0.3,
                    "unit": "generations",
                    "currency": "USD",
                },
            ],
            "next_cursor": None,
            "has_more": False,
        }
        await asyncio.to_thread(fake.wait_for, fake.billing_events, 10)
        events = (
            await http.get(
                "/v1/models/billing-events",
                params={"request_id": handle.request_id, "start": "2020-01-01T00:00:00Z"},
                headers=auth,
            )
        ).json()
        (event,) = events["billing_events"]
        assert set(event) == {
            "request_id",
            "endpoint_id",
            "timestamp",
            "output_units",
            "unit_price",
            "percent_discount",
            "cost_estimate_nano_usd",
        }
        # TRIPO_ARGS asks a standard texture: 30 credits at $0.02.
        assert event["cost_estimate_nano_usd"] == 600_000_000
        balance = (await http.get("/v1/account/billing?expand=credits", headers=auth)).json()
        assert balance == {
            "username": "fake-team",
            "credits": {"current_balance": 24.5, "currency": "USD"},
        }
        fake.billing_access = False
        refused = await http.get("/v1/account/billing", headers=auth)
        assert refused.status_code == 403
        assert (await http.get("/v1/models/pricing?endpoint_id=x/y")).status_code == 401
