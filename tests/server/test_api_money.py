"""Money over HTTP (issue 20): the API in process, its job service running the real FAL
engine and fal-client against the loopback FAL fake. Results show what was estimated and
what FAL billed; a submit whose answer was cut waits for ``POST /jobs/{id}/resend``; the
upload's ``fal_retention`` field reaches FAL's CDN."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from image2model_desktop.core.service import JobService
from tests.fakefal import FakeFal

from .api_helpers import AUTH, WAIT, upload_files

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=0.3)]


async def test_results_show_the_estimate_and_what_fal_billed(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    service, client = fal_api
    fake.set_price("tripo3d/tripo/v2.5/image-to-3d", 0.011, "credits")
    r = await client.post(
        "/api/v1/upload/",
        files=upload_files(["chair.png", "stool.png"]),
        data={"fal_retention": "1h"},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    job_id, task_id = r.json()["job_id"], r.json()["task_id"]
    await asyncio.wait_for(service.wait_finished(job_id), WAIT)
    await service.settle_costs(job_id, 20)
    status = (await client.get(f"/api/v1/status/tasks/{task_id}/status", headers=AUTH)).json()
    result = status["result"]
    billed = {e.request_id: e.usd for e in fake.billing_events()}
    assert result["spent_usd"] == pytest.approx(sum(billed.values()))
    for entry in result["results"]:
        # The estimate is the table's (prices were not refreshed); the bill is FAL's.
        assert entry["estimated_usd"] == 0.3
        assert entry["spent_usd"] == pytest.approx(0.33)
    assert [life for _, life in fake.upload_lifecycles()] == [
        {"expiration_duration_seconds": 3600}
    ] * 2
    listed = (await client.get("/api/v1/jobs", headers=AUTH)).json()["jobs"][0]
    assert [f["spent_usd"] for f in listed["files"]] == [pytest.approx(0.33)] * 2


async def test_an_unconfirmed_file_is_resent_only_by_the_resend_endpoint(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    service, client = fal_api
    r = await client.post(
        "/api/v1/upload/", files=upload_files(["vase_submitcut.png"]), headers=AUTH
    )
    assert r.status_code == 200, r.text
    job_id, task_id = r.json()["job_id"], r.json()["task_id"]
    await asyncio.wait_for(service.wait_finished(job_id), WAIT)
    status = (await client.get(f"/api/v1/status/tasks/{task_id}/status", headers=AUTH)).json()
    (entry,) = status["result"]["results"]
    assert entry["status"] == "unconfirmed" and entry["error_code"] == "UNCONFIRMED"
    assert "FAL may have received it" in entry["error"]
    assert status["result"]["unconfirmed_files"] == 1
    assert len(fake.submits()) == 1

    retry = await client.post(f"/api/v1/jobs/{job_id}/retry", headers=AUTH)
    assert retry.status_code == 409 and f"/api/v1/jobs/{job_id}/resend" in retry.text
    resend = await client.post(f"/api/v1/jobs/{job_id}/resend", headers=AUTH)
    assert resend.status_code == 200, resend.text
    assert resend.json()["resent_files"] == 1 and resend.json()["task_id"] != task_id
    final = await asyncio.wait_for(service.wait_finished(job_id), WAIT)
    assert final.files[0].state == "completed"
    assert len(fake.submits()) == 2
    again = await client.post(f"/api/v1/jobs/{job_id}/resend", headers=AUTH)
    assert again.status_code == 409


async def test_an_unknown_retention_is_refused(
    fal_api: tuple[JobService, httpx.AsyncClient], fake: FakeFal
) -> None:
    _, client = fal_api
    r = await client.post(
        "/api/v1/upload/",
        files=upload_files(["lamp.png"]),
        data={"fal_retention": "forever"},
        headers=AUTH,
    )
    assert r.status_code == 422, r.text
    assert "fal_retention" in r.text
    assert fake.uploads() == []
