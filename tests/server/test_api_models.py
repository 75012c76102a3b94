"""The upload's optional ``model`` field (issue 16): the API in process, its job service
running the real FAL engine and fal-client against the loopback FAL fake."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from image2model_desktop.core.service import JobService
from tests.fakefal import FakeFal

from .api_helpers import AUTH, WAIT, upload_files

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=0.3)]


async def test_model_field_picks_the_generator_and_results_name_it(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    service, client = fal_api
    r = await client.post(
        "/api/v1/upload/",
        files=upload_files(["chair.png"]),
        data={"model": "trellis-2"},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    job_id, task_id = r.json()["job_id"], r.json()["task_id"]
    await asyncio.wait_for(service.wait_finished(job_id), WAIT)
    (submit,) = fake.submits()
    assert submit.endpoint_id == "fal-ai/trellis-2"
    status = (await client.get(f"/api/v1/status/tasks/{task_id}/status", headers=AUTH)).json()
    assert [r["model"] for r in status["result"]["results"]] == ["trellis-2"]


async def test_without_a_model_the_original_clients_get_tripo_v25(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    service, client = fal_api
    r = await client.post("/api/v1/upload/", files=upload_files(["lamp.png"]), headers=AUTH)
    assert r.status_code == 200, r.text
    await asyncio.wait_for(service.wait_finished(r.json()["job_id"]), WAIT)
    (submit,) = fake.submits()
    assert submit.endpoint_id == "tripo3d/tripo/v2.5/image-to-3d"


async def test_unknown_model_is_400_listing_the_valid_ones(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    _, client = fal_api
    r = await client.post(
        "/api/v1/upload/", files=upload_files(["a.png"]), data={"model": "nope"}, headers=AUTH
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["message"].startswith("Unknown model 'nope': choose one of tripo-v2.5, ")
    assert body["details"]["field"] == "model"
    assert "rodin-v2.5" in body["details"]["choices"]
    r = await client.post(
        "/api/v1/upload/",
        files=upload_files(["a.png"]),
        data={"model": "tripo-p1", "face_limit": "30"},
        headers=AUTH,
    )
    assert r.status_code == 400 and r.json()["details"]["minimum"] == 48, r.text
    assert fake.submits() == []
