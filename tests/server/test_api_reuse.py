"""The API reports a reused model like a completed one, with where it came from."""

from __future__ import annotations

import httpx
import pytest

from .api_helpers import AUTH, follow, upload_files

pytestmark = pytest.mark.asyncio


async def test_a_repeated_photo_is_reported_completed_with_reused_from(
    live_client: httpx.AsyncClient,
) -> None:
    r = await live_client.post(
        "/api/v1/upload/", files=upload_files(["chair.png", "chair.png"]), headers=AUTH
    )
    assert r.status_code == 200, r.text
    body = r.json()
    events = await follow(live_client, body["task_id"])
    final = events[-1]
    assert final.event == "task_completed"
    first, second = final.data["result"]["results"]
    assert first["status"] == second["status"] == "completed"
    assert first["reused_from"] is None
    origin = second["reused_from"]
    assert origin["job_id"] == body["job_id"] and origin["file_id"] == first["file_id"]
    assert origin["filename"] == "chair.png" and origin["job_created"] > 0
    assert second["model_filename"] == "chair_2.glb" and second["download_url"]
    # The file's download works like any other.
    download = await live_client.get(second["download_url"])
    assert download.status_code == 200 and download.content[:4] == b"glTF"
