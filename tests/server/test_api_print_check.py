"""``GET /api/v1/print-check/{job_id}/{filename}``: the print check on a finished model."""

from __future__ import annotations

import httpx
import pytest
import trimesh

from .api_helpers import AUTH, Library, completed_job
from .test_api_contract import assert_envelope

pytestmark = pytest.mark.asyncio


async def test_a_finished_model_is_checked(client: httpx.AsyncClient, library: Library) -> None:
    job_id = await completed_job(client, library, "vase.png")
    url = f"/api/v1/print-check/{job_id}/vase.glb"
    r = await client.get(url, params={"height_mm": 80, "printer": "resin"}, headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["job_id"] == job_id and body["filename"] == "vase.glb"
    assert body["verdict"] in ("green", "amber", "red")
    assert body["printer"] == "resin" and body["material"] == "Standard resin"
    assert body["size_mm"][2] == pytest.approx(80, abs=0.01)
    assert body["min_wall_mm"] == 0.4 and body["faces"] > 0
    assert all(
        f["message"] and f["severity"] in ("ok", "warning", "problem") for f in body["findings"]
    )
    assert body["printable"] == (body["verdict"] != "red")


async def test_a_known_solid_gives_the_known_answer(
    client: httpx.AsyncClient, library: Library
) -> None:
    job_id = await completed_job(client, library, "box.png")
    # An open box placed in the job's outputs: one hole, not printable.
    box = trimesh.creation.box(extents=(20, 20, 20))
    open_box = trimesh.Trimesh(box.vertices, box.faces[box.face_normals[:, 2] < 0.5])
    open_box.export(str(library.paths.outputs(job_id) / "open.stl"))
    r = await client.get(f"/api/v1/print-check/{job_id}/open.stl", headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "red" and body["holes"] == 1 and body["watertight"] is False
    assert body["findings"][0]["code"] == "holes" and body["findings"][0]["fix"] == "repair"


async def test_refusals_use_the_error_envelope(client: httpx.AsyncClient, library: Library) -> None:
    job_id = await completed_job(client, library, "lamp.png")
    url = f"/api/v1/print-check/{job_id}/lamp.glb"
    assert assert_envelope(await client.get(url), 403)["message"] == "Not authenticated"
    r = await client.get(url, params={"printer": "laser"}, headers=AUTH)
    assert_envelope(r, 422, "VALIDATION_ERROR")
    r = await client.get(url, params={"printer": "fdm", "material": "resin"}, headers=AUTH)
    assert "not printed on a fdm printer" in assert_envelope(r, 400)["message"]
    r = await client.get(url, params={"build_volume_mm": "huge"}, headers=AUTH)
    assert "width x depth x height" in assert_envelope(r, 400)["message"]
    r = await client.get(f"/api/v1/print-check/{job_id}/lamp.preview.webp", headers=AUTH)
    assert "Only models can be checked" in assert_envelope(r, 400)["message"]
    r = await client.get(f"/api/v1/print-check/{job_id}/missing.glb", headers=AUTH)
    assert_envelope(r, 404)
    other = "00000000-0000-4000-8000-000000000000"
    r = await client.get(f"/api/v1/print-check/{other}/lamp.glb", headers=AUTH)
    assert assert_envelope(r, 404)["message"] == "Job not found."
    r = await client.get(f"/api/v1/print-check/{job_id}/..%2flamp.glb", headers=AUTH)
    assert r.status_code in (400, 404)
