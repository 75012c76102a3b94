"""Downloads never serve anything outside the job's output folder, however the name is spelled."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from image2model_desktop.server import EmbeddedApiServer

from .api_helpers import AUTH, Library, completed_job, raw_get

pytestmark = pytest.mark.asyncio
SECRET = b"TOPSECRET-not-for-download"


def plant(library: Library, job_id: str, tmp_path: Path) -> None:
    """Secrets beside and far from the outputs, and symlinks inside the outputs folder."""
    outputs = library.paths.outputs(job_id)
    (library.paths.root / "secret.glb").write_bytes(SECRET)
    (library.paths.job_dir(job_id) / "secret.glb").write_bytes(SECRET)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.glb").write_bytes(SECRET)
    os.symlink(library.paths.root / "secret.glb", outputs / "escape.glb")
    os.symlink("../secret.glb", outputs / "up.glb")
    os.symlink(outside / "secret.glb", outputs / "abs.glb")
    os.symlink(outside, outputs / "dirlink.zip")
    os.symlink("loop.glb", outputs / "loop.glb")
    os.symlink("model.glb", outputs / "inner.glb")


NAMES = {
    # name as sent on the request line (after /download/<job>/) -> expected status
    "../secret.glb": 400,
    "../../secret.glb": 400,
    "..%2fsecret.glb": 400,
    "%2e%2e%2fsecret.glb": 400,
    "%2e%2e/%2e%2e/secret.glb": 400,
    "%2E%2E%2F%2E%2E%2Fsecret.glb": 400,
    "%252e%252e%252fsecret.glb": 404,  # decoded once only: a literal, harmless name
    "..%255csecret.glb": 400,
    "..%5csecret.glb": 400,
    "%5c..%5csecret.glb": 400,
    "secret.glb%00.glb": 400,
    "model.glb%00": 400,
    "%00": 400,
    "%2fetc%2fpasswd": 400,
    "/etc/passwd": 400,
    "//etc/passwd": 400,
    "....//....//secret.glb": 400,
    "..;/secret.glb": 400,
    "%c0%ae%c0%ae/secret.glb": 400,
    "%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.glb": 404,  # fullwidth dots and slash: just a name
    "model.glb%0d%0aX-Injected:%201": 400,
    "model.glb%0aX": 400,
    "C:%5cWindows%5cwin.ini": 400,
    "a" * 300 + ".glb": 400,
    "%2e": 400,
    "%2e%2e": 400,
    "": 400,
    "escape.glb": 403,
    "up.glb": 403,
    "abs.glb": 403,
    "dirlink.zip": 403,
    "loop.glb": 404,
    "missing.glb": 404,
    "secret.exe": 404,
}


async def test_traversal_corpus(
    live: EmbeddedApiServer, live_client: httpx.AsyncClient, library: Library, tmp_path: Path
) -> None:
    job_id = await completed_job(live_client, library)
    plant(library, job_id, tmp_path)
    assert live.port is not None
    failures = []
    for name, expected in NAMES.items():
        r = await raw_get(live.port, f"/api/v1/download/{job_id}/{name}", AUTH)
        assert SECRET not in r.body and b"root:" not in r.body, name
        if r.status != expected:
            failures.append((name, r.status, r.body[:120]))
        if r.status >= 400:
            assert r.headers["content-type"] == "application/json", name
    assert not failures, failures
    for target in (
        f"/api/v1/download/../{job_id}/secret.glb",
        "/api/v1/download/..%2f..%2f/secret.glb",
        f"/api/v1/download/%2e%2e/{job_id}/secret.glb",
        "/api/v1/download/direct/..%2fsecret.glb",
        "/api/v1/download/direct/%2e%2e%2f%2e%2e%2fsecret.glb",
        "/api/v1/download/direct/escape.glb",
        "/api/v1/download/direct/secret.glb",
    ):
        r = await raw_get(live.port, target, AUTH)
        assert r.status in (400, 403, 404), (target, r.status)
        assert SECRET not in r.body
    # A raw backslash on the request line is refused too (by the parser or by us).
    r = await raw_get(live.port, f"/api/v1/download/{job_id}/..\\secret.glb", AUTH)
    assert r.status in (400, 404) and SECRET not in r.body
    # A symlink that stays inside the folder is an ordinary file.
    inner = await raw_get(live.port, f"/api/v1/download/{job_id}/inner.glb", AUTH)
    assert inner.status == 200 and inner.body[:4] == b"glTF"


async def test_direct_download(live_client: httpx.AsyncClient, library: Library) -> None:
    first = await completed_job(live_client, library, "vase.png")
    r = await live_client.get("/api/v1/download/direct/vase.glb", headers=AUTH)
    assert r.status_code == 200 and r.content[:4] == b"glTF"
    assert r.headers["content-disposition"] == 'attachment; filename="vase.glb"'
    second = await completed_job(live_client, library, "vase.jpg")
    r = await live_client.get("/api/v1/download/direct/vase.glb", headers=AUTH)
    assert r.status_code == 409
    body = r.json()
    assert sorted(body["details"]["job_ids"]) == sorted([first, second])
    assert first in body["message"] and second in body["message"]


async def test_failed_job_lists_nothing(live_client: httpx.AsyncClient, library: Library) -> None:
    job_id = await completed_job(live_client, library)
    library.service.paths.outputs(job_id).joinpath("model.glb").unlink()
    listing = (await live_client.get(f"/api/v1/download/{job_id}/all", headers=AUTH)).json()
    assert listing == {"job_id": job_id, "files": [], "download_urls": [], "total_files": 0}
