"""Hostile photos through the local HTTP API, in process (httpx over ASGI).

The API keeps the original backend's contract (docs/API.md): one bad file
refuses the whole upload with 400 FILE_VALIDATION_ERROR, naming every bad file
and its reason, and nothing of that upload is kept. So "the good files of the
same batch complete" means, here: the same good photos sent again without the
bad ones complete. Random bytes never produce a 5xx.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from hostile import build_hostile_corpus
from hostile_bytes import hostile_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from testkit import open_test_runtime

from image2model_desktop.core.settings import ApiServerSettings
from image2model_desktop.engines import create_engine
from image2model_desktop.server import close_app, create_app

API_KEY = "reliability-key-4Kq8"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def good_photo(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (96, 96), (235, 235, 230))
    image.paste(colour, (24, 24, 72, 72))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class Api:
    def __init__(self, root: Path) -> None:
        self.runtime = open_test_runtime(
            root, lambda name: create_engine(name, data_dir=root), has_fal_key=False
        )
        self.paths = self.runtime.paths
        self.service = self.runtime.service
        self.app = create_app(
            self.service,
            api_key=API_KEY,
            settings=ApiServerSettings(upload_rate_per_minute=10_000),
            bound_host="127.0.0.1",
        )
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1"
        )

    async def upload(self, files: list[tuple[str, bytes]]) -> httpx.Response:
        parts = [("files", (name, data, "image/jpeg")) for name, data in files]
        return await self.client.post("/api/v1/upload/", files=parts, headers=AUTH)

    async def close(self) -> None:
        await self.client.aclose()
        close_app(self.app)
        await self.runtime.aclose()


@pytest_asyncio.fixture
async def api(isolated_environment: Path) -> AsyncIterator[Api]:
    instance = Api(isolated_environment)
    await instance.service.start()
    yield instance
    await instance.close()


def assert_nothing_kept(api: Api) -> None:
    assert api.service.count_jobs() == 0
    for folder in (api.paths.root / "jobs", api.paths.staging):
        assert not [p for p in folder.rglob("*") if p.is_file()], folder


@pytest.mark.asyncio
async def test_hostile_upload_names_every_bad_file_then_good_ones_complete(
    api: Api, tmp_path: Path
) -> None:
    corpus = build_hostile_corpus(tmp_path / "hostile")
    good = [
        ("good_red.png", good_photo((200, 40, 40))),
        ("good_blue.png", good_photo((40, 40, 200))),
    ]
    bad = [(case.path.name, case.path.read_bytes()) for case in corpus]

    # Over 10 MiB stops the upload at once (413), so it is sent on its own below.
    refusable = [(name, data) for name, data in bad if name != "huge.jpg"]
    response = await api.upload([*good, *refusable])

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] is True and body["error_code"] == "FILE_VALIDATION_ERROR"
    assert "Traceback" not in response.text and str(api.paths.root) not in response.text
    errors = {e["filename"]: e["error"] for e in body["details"]["errors"]}
    assert sorted(errors) == sorted(name for name, _ in refusable)
    for case in corpus:
        if case.path.name in errors:
            assert case.expect_reason_contains in errors[case.path.name].lower(), errors
    assert_nothing_kept(api)

    # Each bad file alone is refused with its own reason; never a 5xx.
    for name, data in bad:
        alone = await api.upload([(name, data)])
        expected = (413, "FILE_TOO_LARGE") if name == "huge.jpg" else (400, "FILE_VALIDATION_ERROR")
        assert (alone.status_code, alone.json()["error_code"]) == expected, (name, alone.text)
    assert_nothing_kept(api)

    accepted = await api.upload(good)
    assert accepted.status_code == 200, accepted.text
    job_id = accepted.json()["job_id"]
    job = await asyncio.wait_for(api.service.wait_finished(job_id), 120)
    assert job.completed_count == 2, [f.error_message for f in job.files]


async def _upload_once(root: Path, name: str, data: bytes) -> httpx.Response:
    api = Api(root)
    try:
        return await api.upload([(name, data)])
    finally:
        await api.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=hostile_bytes(), name=st.sampled_from(["x.jpg", "x.png", "../../etc/x.png"]))
def test_random_bytes_never_make_a_server_error(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        response = asyncio.run(_upload_once(Path(tmp), name, data))
    assert response.status_code in (200, 400, 413), response.text
    if response.status_code != 200:
        body = response.json()
        assert body["error"] is True and body["message"]
        assert "Traceback" not in response.text and tmp not in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize("value", ["50", "3000000", "-5", "0"])
async def test_face_limit_outside_the_engines_range_is_refused_with_the_range(
    api: Api, value: str
) -> None:
    parts = [("files", ("a.png", good_photo((200, 40, 40)), "image/png"))]
    response = await api.client.post(
        "/api/v1/upload/", files=parts, data={"face_limit": value}, headers=AUTH
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] is True and body["status_code"] == 400
    assert "face limit" in body["message"] and "100 to 2,000,000" in body["message"]
    assert body["details"] == {"field": "face_limit", "minimum": 100, "maximum": 2_000_000}
    assert_nothing_kept(api)


@pytest.mark.asyncio
async def test_face_limit_that_is_not_a_number_names_the_range(api: Api) -> None:
    parts = [("files", ("a.png", good_photo((200, 40, 40)), "image/png"))]
    response = await api.client.post(
        "/api/v1/upload/", files=parts, data={"face_limit": "abc"}, headers=AUTH
    )
    # Like 50 or 0 (issue 13): a 400 naming the field and the engine's range.
    assert response.status_code == 400, response.text
    body = response.json()
    assert "whole number from 100 to 2,000,000" in body["message"]
    assert body["details"] == {"field": "face_limit", "minimum": 100, "maximum": 2_000_000}
    assert_nothing_kept(api)
