"""The offline engine's warning reaches every API answer where the file appears."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from real_photos import ACCEPTED, NO_SUBJECT, assert_one_part_or_warned, save_real_photo

from .api_helpers import AUTH, follow

pytestmark = pytest.mark.asyncio


async def test_results_events_and_listings_carry_the_warning(
    live_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    photos = [save_real_photo(name, tmp_path) for name in (*ACCEPTED, NO_SUBJECT)]
    parts = [("files", (p.name, p.read_bytes(), "image/png")) for p in photos]
    r = await live_client.post(
        "/api/v1/upload/", files=parts, data={"face_limit": "5000"}, headers=AUTH
    )
    assert r.status_code == 200, r.text
    job_id, task_id = r.json()["job_id"], r.json()["task_id"]
    events = await follow(live_client, task_id)
    assert events[-1].event == "task_completed"
    results = {e["filename"]: e for e in events[-1].data["result"]["results"]}
    assert set(results) == {p.name for p in photos}
    done = {
        e.data["file"]["filename"]: e.data["file"]
        for e in events
        if e.event == "file_update" and e.data["file"]["status"] == "completed"
    }
    for name, entry in results.items():
        assert entry["status"] == "completed"
        assert done[name].get("warning") == entry["warning"]
        model = await live_client.get(entry["download_url"])
        assert model.status_code == 200
        (tmp_path / entry["model_filename"]).write_bytes(model.content)
        assert_one_part_or_warned(tmp_path / entry["model_filename"], entry["warning"])
    warned = {name: entry["warning"] for name, entry in results.items()}
    assert warned[f"{NO_SUBJECT}.png"] and "separate parts" in warned[f"{NO_SUBJECT}.png"]
    assert warned["coffee.png"] is None

    status = (await live_client.get(f"/api/v1/status/tasks/{task_id}/status")).json()
    assert {f["filename"]: f.get("warning") for f in status["files"]} == warned
    assert {f["filename"]: f["warning"] for f in status["result"]["results"]} == warned
    progress = await live_client.get(f"/api/v1/status/jobs/{job_id}/progress", headers=AUTH)
    assert {f["filename"]: f["warning"] for f in progress.json()["files"].values()} == warned
    listing = (await live_client.get(f"/api/v1/download/{job_id}/all", headers=AUTH)).json()
    assert {f["source_filename"]: f["warning"] for f in listing["files"]} == warned
