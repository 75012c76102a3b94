"""Issue 22 over HTTP: the API in process, its job service running the real FAL engine and
fal-client against the loopback FAL fake. `/download/{job}/all` lists every file FAL
returned and serves FBX and USDZ as they came; the generator options are form fields;
`POST …/remesh` and `…/retexture` start a new version, followed over SSE."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from image2model_desktop.core.service import JobService
from tests.fakefal import FakeFal

from .api_helpers import AUTH, WAIT, follow, photo_bytes, upload_files

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=0.3)]


async def generated(
    service: JobService, client: httpx.AsyncClient, name: str, **fields: str
) -> tuple[str, str]:
    r = await client.post("/api/v1/upload/", files=upload_files([name]), data=fields, headers=AUTH)
    assert r.status_code == 200, r.text
    job_id = r.json()["job_id"]
    job = await asyncio.wait_for(service.wait_finished(job_id), WAIT)
    (item,) = job.files
    assert item.output is not None, item.error_message
    return job_id, item.file_id


async def test_every_file_fal_returned_is_listed_and_served_as_it_came(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    service, client = fal_api
    job_id, _ = await generated(service, client, "vase.png", model="hunyuan3d-v3")
    listing = (await client.get(f"/api/v1/download/{job_id}/all", headers=AUTH)).json()
    (entry,) = listing["files"]
    kept = {f["format"]: f for f in entry["outputs"]}
    assert set(kept) == {"glb", "fbx", "obj", "usdz"}
    assert {f["source"] for f in kept.values()} == {"fal"}
    assert ".3mf" in entry["converted_formats"] and ".glb" not in entry["converted_formats"]
    for fmt in ("fbx", "usdz"):
        r = await client.get(kept[fmt]["url"])  # a signed link: no key needed
        assert r.status_code == 200, r.text
        (served,) = [f.data for f in fake._state.files.values() if f.name.endswith(f".{fmt}")]
        assert r.content == served
    usdz = await client.get(f"/api/v1/download/{job_id}/vase.usdz", headers=AUTH)
    assert usdz.headers["content-type"] == "model/vnd.usdz+zip"


async def test_generator_options_are_form_fields(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    service, client = fal_api
    await generated(
        service, client, "robot.png", model="rodin-v2.5", output_format="fbx", t_pose="true"
    )
    (submit,) = fake.submits()
    assert (submit.arguments["geometry_file_format"], submit.arguments["TAPose"]) == ("fbx", True)
    refused = await client.post(
        "/api/v1/upload/",
        files=upload_files(["a.png"]),
        data={"model": "tripo-p1", "quad": "true"},
        headers=AUTH,
    )
    assert refused.status_code == 400
    assert refused.json()["details"]["field"] == "quad"


async def test_remesh_and_retexture_start_versions_followed_over_sse(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    service, client = fal_api
    job_id, file_id = await generated(service, client, "duck.png")
    r = await client.post(
        f"/api/v1/jobs/{job_id}/files/{file_id}/remesh",
        json={"quad": True, "faces": 5000, "formats": ["usdz"]},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    started = r.json()
    assert (started["version"], started["parent_file_id"]) == (2, file_id)
    assert started["estimated_usd"] == 0.2
    events = await follow(client, started["task_id"], headers=AUTH)
    assert events[-1].event == "task_completed", [e.event for e in events]
    (result,) = events[-1].data["result"]["results"]
    assert result["version"] == 2 and result["entry_file_id"] == file_id
    assert {f["format"] for f in result["files"]} == {"glb", "usdz"}
    assert len(fake.submits_to("fal-ai/meshy/v5/remesh")) == 1

    style = {"style_image": ("style.png", photo_bytes("png"), "image/png")}
    r = await client.post(
        f"/api/v1/jobs/{job_id}/files/{file_id}/retexture",
        files=style,
        data={"service": "trellis-retexture"},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    await asyncio.wait_for(service.wait_finished(r.json()["job_id"]), WAIT)
    listed = (
        await client.get(f"/api/v1/jobs/{job_id}/files/{file_id}/versions", headers=AUTH)
    ).json()
    assert [(v["version"], v["status"]) for v in listed["versions"]] == [
        (1, "completed"),
        (2, "completed"),
        (3, "completed"),
    ]

    bad = await client.post(
        f"/api/v1/jobs/{job_id}/files/{file_id}/remesh", json={"faces": 50}, headers=AUTH
    )
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "faces"
    words = await client.post(
        f"/api/v1/jobs/{job_id}/files/{file_id}/retexture",
        json={"service": "trellis-retexture", "prompt": "oak"},
        headers=AUTH,
    )
    assert words.status_code == 400 and "reference photo" in words.json()["detail"]
    missing = await client.post(f"/api/v1/jobs/{job_id}/files/nope/remesh", json={}, headers=AUTH)
    assert missing.status_code == 404
