"""The fake's model endpoints and its status stream, driven with plain httpx.

Each of the six generators' endpoints must validate its own input the way FAL
does (422 with a pydantic-style `detail` list), answer in its own output shape,
and record which endpoint and input field a submit used. The status stream must
send the same JSON as /status, keep alive, close after COMPLETED, and be
refusable or droppable so the engine's fallback to polling can be tested.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakefal import ENDPOINTS, MODEL_ENDPOINTS, FakeFal, Scenario

pytestmark = pytest.mark.fal_fake(generation_seconds=0.3, patch=False)

PHOTO = "https://example.invalid/photos/chair.png"
VIEWS = [f"https://example.invalid/photos/{v}.png" for v in ("front", "left", "back", "right")]
MODEL = "https://example.invalid/models/chair.glb"

#: The smallest valid input of each endpoint, and the field that carries the photo.
MINIMAL: dict[str, tuple[dict[str, Any], str]] = {
    "tripo3d/tripo/v2.5/image-to-3d": ({"image_url": PHOTO}, "image_url"),
    "tripo3d/tripo/v2.5/multiview-to-3d": ({"front_image_url": PHOTO}, "front_image_url"),
    "tripo3d/h3.1/image-to-3d": ({"image_url": PHOTO}, "image_url"),
    "tripo3d/h3.1/multiview-to-3d": ({"image_urls": VIEWS[:2]}, "image_urls"),
    "tripo3d/p1/image-to-3d": ({"image_url": PHOTO}, "image_url"),
    "fal-ai/hunyuan3d-v3/image-to-3d": ({"input_image_url": PHOTO}, "input_image_url"),
    "fal-ai/trellis-2": ({"image_url": PHOTO}, "image_url"),
    "fal-ai/hyper3d/rodin/v2.5": ({"image_urls": [PHOTO]}, "image_urls"),
    # The version services (issue 22) take a model where the others take a photo.
    "fal-ai/meshy/v5/remesh": ({"model_url": MODEL}, "model_url"),
    "fal-ai/hunyuan-3d/v3.1/smart-topology": ({"input_file_url": MODEL}, "input_file_url"),
    "fal-ai/meshy/v5/retexture": ({"model_url": MODEL, "text_style_prompt": "oak"}, "model_url"),
    "fal-ai/trellis-2/retexture": ({"mesh_url": MODEL, "image_url": PHOTO}, "mesh_url"),
}
#: Where each endpoint's result keeps the model file and the preview (None: no preview).
OUTPUT_KEYS: dict[str, tuple[str, str | None]] = {
    "tripo3d/tripo/v2.5/image-to-3d": ("model_mesh", "rendered_image"),
    "tripo3d/tripo/v2.5/multiview-to-3d": ("model_mesh", "rendered_image"),
    "tripo3d/h3.1/image-to-3d": ("model_mesh", "rendered_image"),
    "tripo3d/h3.1/multiview-to-3d": ("model_mesh", "rendered_image"),
    "tripo3d/p1/image-to-3d": ("model_mesh", "rendered_image"),
    "fal-ai/hunyuan3d-v3/image-to-3d": ("model_glb", "thumbnail"),
    "fal-ai/trellis-2": ("model_glb", None),
    "fal-ai/hyper3d/rodin/v2.5": ("model_mesh", None),
    "fal-ai/meshy/v5/remesh": ("model_glb", None),
    "fal-ai/hunyuan-3d/v3.1/smart-topology": ("model_glb", None),
    "fal-ai/meshy/v5/retexture": ("model_glb", "thumbnail"),
    "fal-ai/trellis-2/retexture": ("model_glb", None),
}


@pytest.fixture
def http(fake: FakeFal) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Key {fake.key}"}
    with httpx.Client(base_url=fake.base_url, verify=fake.ssl_context(), headers=headers) as c:
        yield c


def submit(http: httpx.Client, endpoint: str, arguments: dict[str, Any]) -> httpx.Response:
    return http.post(f"/{endpoint}", json=arguments)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """Yield ("data", json text) and ("comment", text) in arrival order."""
    data: list[str] = []
    for line in response.iter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield "data", "\n".join(data)
            data = []


def test_every_generator_has_its_endpoints() -> None:
    assert set(MINIMAL) == set(ENDPOINTS)
    assert set(MODEL_ENDPOINTS) == {
        "tripo-v2.5",
        "tripo-h3.1",
        "tripo-p1",
        "hunyuan3d-v3",
        "trellis-2",
        "rodin-v2.5",
        "meshy-remesh",
        "hunyuan-topology",
        "meshy-retexture",
        "trellis-retexture",
    }


@pytest.mark.parametrize("endpoint", sorted(MINIMAL))
def test_each_endpoint_answers_in_its_own_shape(
    fake: FakeFal, http: httpx.Client, endpoint: str
) -> None:
    arguments, image_field = MINIMAL[endpoint]
    answer = submit(http, endpoint, arguments)
    assert answer.status_code == 200, answer.text
    rid = answer.json()["request_id"]
    app = "/".join(endpoint.split("/")[:2])
    assert answer.json()["status_url"] == f"{fake.base_url}/{app}/requests/{rid}/status"
    fake.wait_for(lambda: fake.request_state(rid) == "COMPLETED", timeout=5)

    result = http.get(f"/{app}/requests/{rid}").json()
    model_key, preview_key = OUTPUT_KEYS[endpoint]
    glb = http.get(result[model_key]["url"])
    assert glb.content[:4] == b"glTF" and len(glb.content) == result[model_key]["file_size"]
    if preview_key is None:
        assert not {"rendered_image", "thumbnail"} & set(result)
    else:
        assert result[preview_key]["content_type"] == "image/webp"

    (record,) = fake.submits_to(endpoint)
    assert record.image_field == image_field
    assert record.model == ENDPOINTS[endpoint].model
    assert record.fields == set(arguments)
    assert record.image_urls[0] in (PHOTO, VIEWS[0], MODEL)


def test_the_files_beside_the_model_follow_the_published_shapes(
    http: httpx.Client, fake: FakeFal
) -> None:
    """Hunyuan3D v3's model_urls (SketchTo3DOutput), Rodin's geometry_file_format, Tripo's
    quad as FBX, Meshy's target_formats (fal-js endpoints.ts @381105e1)."""

    def result(endpoint: str, arguments: dict[str, Any]) -> dict[str, Any]:
        answer = submit(http, endpoint, arguments)
        assert answer.status_code == 200, answer.text
        rid = answer.json()["request_id"]
        fake.wait_for(lambda: fake.request_state(rid) == "COMPLETED", timeout=5)
        body: dict[str, Any] = http.get(
            f"/{'/'.join(endpoint.split('/')[:2])}/requests/{rid}"
        ).json()
        return body

    hunyuan = result("fal-ai/hunyuan3d-v3/image-to-3d", {"input_image_url": PHOTO})
    assert set(hunyuan["model_urls"]) == {"glb", "fbx", "obj", "usdz"}
    fbx = http.get(hunyuan["model_urls"]["fbx"]["url"]).content
    assert fbx.startswith(b"Kaydara FBX Binary")
    usdz = http.get(hunyuan["model_urls"]["usdz"]["url"]).content
    assert usdz[:2] == b"PK"
    rodin = result(
        "fal-ai/hyper3d/rodin/v2.5", {"image_urls": [PHOTO], "geometry_file_format": "usdz"}
    )
    assert rodin["model_mesh"]["file_name"].endswith(".usdz")
    quad = result("tripo3d/h3.1/image-to-3d", {"image_url": PHOTO, "quad": True})
    assert quad["model_mesh"]["file_name"].endswith(".fbx")
    assert set(quad["model_urls"]) == {"fbx"}
    remesh = result(
        "fal-ai/meshy/v5/remesh",
        {"model_url": MODEL, "target_formats": ["glb", "fbx", "usdz"], "target_polycount": 5000},
    )
    assert set(remesh["model_urls"]) == {"glb", "fbx", "usdz"}
    refused = submit(http, "fal-ai/meshy/v5/remesh", {"model_url": MODEL, "target_polycount": 50})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["type"] == "greater_than_equal"
    no_style = submit(http, "fal-ai/meshy/v5/retexture", {"model_url": MODEL})
    assert no_style.status_code == 422


@pytest.mark.parametrize("endpoint", sorted(MINIMAL))
def test_a_missing_photo_is_422_field_required(
    fake: FakeFal, http: httpx.Client, endpoint: str
) -> None:
    _, image_field = MINIMAL[endpoint]
    answer = submit(http, endpoint, {})
    assert answer.status_code == 422
    assert {
        "loc": ["body", image_field],
        "msg": "Field required",
        "type": "missing",
    } in answer.json()["detail"]
    assert fake.submits() == []


@pytest.mark.parametrize(
    ("endpoint", "extra", "field", "kind"),
    [
        ("tripo3d/tripo/v2.5/image-to-3d", {"texture": True}, "texture", "literal_error"),
        ("tripo3d/h3.1/image-to-3d", {"texture": "HD"}, "texture", "bool_type"),
        ("tripo3d/h3.1/image-to-3d", {"texture_quality": "HD"}, "texture_quality", "literal_error"),
        ("tripo3d/p1/image-to-3d", {"face_limit": 20}, "face_limit", "greater_than_equal"),
        ("tripo3d/p1/image-to-3d", {"face_limit": 50_000}, "face_limit", "less_than_equal"),
        ("tripo3d/p1/image-to-3d", {"seed": "7", "model_seed": "7"}, "model_seed", "int_type"),
        (
            "fal-ai/hunyuan3d-v3/image-to-3d",
            {"face_count": 5000},
            "face_count",
            "greater_than_equal",
        ),
        (
            "fal-ai/hunyuan3d-v3/image-to-3d",
            {"generate_type": "x"},
            "generate_type",
            "literal_error",
        ),
        ("fal-ai/trellis-2", {"texture_size": 3000}, "texture_size", "literal_error"),
        ("fal-ai/hyper3d/rodin/v2.5", {"seed": 70_000}, "seed", "less_than_equal"),
        ("fal-ai/hyper3d/rodin/v2.5", {"material": "pbr"}, "material", "literal_error"),
    ],
)
def test_invalid_fields_are_422_with_their_location(
    http: httpx.Client, endpoint: str, extra: dict[str, Any], field: str, kind: str
) -> None:
    arguments, _ = MINIMAL[endpoint]
    answer = submit(http, endpoint, {**arguments, **extra})
    assert answer.status_code == 422
    (item,) = answer.json()["detail"]
    assert item["loc"] == ["body", field] and item["type"] == kind and item["msg"]
    assert item["input"] == extra[field]


def test_list_fields_check_their_length(http: httpx.Client) -> None:
    one = submit(http, "tripo3d/h3.1/multiview-to-3d", {"image_urls": [PHOTO]})
    six = submit(http, "fal-ai/hyper3d/rodin/v2.5", {"image_urls": [PHOTO] * 6})
    assert one.json()["detail"][0]["type"] == "too_short"
    assert six.json()["detail"][0]["type"] == "too_long"


def test_multiview_records_every_view_in_order(fake: FakeFal, http: httpx.Client) -> None:
    named = dict(zip(("front", "left", "back", "right"), VIEWS, strict=True))
    tripo = {f"{view}_image_url": url for view, url in named.items()}
    hunyuan = {
        "input_image_url": VIEWS[0],
        **{f"{v}_image_url": named[v] for v in named if v != "front"},
    }
    assert submit(http, "tripo3d/tripo/v2.5/multiview-to-3d", tripo).status_code == 200
    assert submit(http, "fal-ai/hunyuan3d-v3/image-to-3d", hunyuan).status_code == 200
    assert submit(http, "tripo3d/h3.1/multiview-to-3d", {"image_urls": VIEWS}).status_code == 200
    assert [r.image_urls for r in fake.submits()] == [tuple(VIEWS)] * 3
    assert [r.image_field for r in fake.submits()] == [
        "front_image_url",
        "input_image_url",
        "image_urls",
    ]


def test_an_unknown_endpoint_is_404(fake: FakeFal, http: httpx.Client) -> None:
    answer = submit(http, "fal-ai/no-such-model", {"image_url": PHOTO})
    assert answer.status_code == 404 and "not found" in answer.json()["detail"]
    assert fake.submits() == []


# -- status stream ---------------------------------------------------------------


def stream_url(fake: FakeFal, rid: str, logs: bool = True) -> str:
    return f"/tripo3d/tripo/requests/{rid}/status/stream" + ("?logs=1" if logs else "")


def submit_tripo(http: httpx.Client, photo: str) -> str:
    answer = submit(http, "tripo3d/tripo/v2.5/image-to-3d", {"image_url": photo})
    assert answer.status_code == 200
    return str(answer.json()["request_id"])


@pytest.fixture
def chair(fake: FakeFal, http: httpx.Client) -> str:
    """An uploaded photo named chair.png (plans with name_contains="chair" apply)."""
    return upload(fake, http, "chair.png")


def test_stream_sends_status_json_until_completed(
    fake: FakeFal, http: httpx.Client, chair: str
) -> None:
    fake.plan(Scenario(generation_seconds=1.0), name_contains="chair")
    rid = submit_tripo(http, chair)
    with http.stream("GET", stream_url(fake, rid), timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["x-fal-request-id"] == rid
        events = [json.loads(text) for kind, text in sse_events(response) if kind == "data"]
    states = [e["status"] for e in events]
    assert states[0] == "IN_QUEUE" and states[-1] == "COMPLETED" and "IN_PROGRESS" in states
    queued = [e["queue_position"] for e in events if e["status"] == "IN_QUEUE"]
    assert queued == sorted(queued, reverse=True) and len(queued) >= 2
    # The same JSON as /status: same keys, cumulative logs, metrics on COMPLETED.
    polled = http.get(f"/tripo3d/tripo/requests/{rid}/status", params={"logs": "1"}).json()
    assert events[-1] == polled
    assert "Progress: 100%" in [line["message"] for line in events[-1]["logs"]]
    (connection,) = fake.status_streams(rid)
    assert connection.outcome == "completed" and connection.states == states
    assert fake.status_stream_count(rid) == 1 and fake.status_poll_count(rid) == 1


def test_stream_without_logs_and_zero_polls(fake: FakeFal, http: httpx.Client, chair: str) -> None:
    rid = submit_tripo(http, chair)
    with http.stream("GET", stream_url(fake, rid, logs=False), timeout=10) as response:
        events = [json.loads(t) for kind, t in sse_events(response) if kind == "data"]
    assert all(e["logs"] is None for e in events)
    assert fake.status_poll_count() == 0 and fake.status_stream_count() == 1
    assert fake.status_streams(rid)[0].with_logs is False


def test_stream_reports_completion_within_100_ms(
    fake: FakeFal, http: httpx.Client, chair: str
) -> None:
    fake.plan(Scenario(generation_seconds=0.8, queue_fraction=0.2), name_contains="chair")
    rid = submit_tripo(http, chair)
    finished_at = fake.submits()[0].t + 0.8
    with http.stream("GET", stream_url(fake, rid), timeout=10) as response:
        for kind, text in sse_events(response):
            if kind == "data" and json.loads(text)["status"] == "COMPLETED":
                seen_at = time.monotonic()
                break
    assert 0 <= seen_at - finished_at < 0.1


def test_stream_keeps_alive_with_comments(fake: FakeFal, http: httpx.Client, chair: str) -> None:
    fake.keepalive_seconds = 0.1
    fake.plan(Scenario(kind="never_finishes", generation_seconds=0.2), name_contains="chair")
    rid = submit_tripo(http, chair)
    fake.wait_for(lambda: fake.request_state(rid) == "IN_PROGRESS", timeout=5)
    comments = 0
    with http.stream("GET", stream_url(fake, rid, logs=False), timeout=10) as response:
        for kind, _ in sse_events(response):
            comments += kind == "comment"
            if comments == 3:
                break
    assert fake.wait_for(lambda: fake.status_streams(rid)[0].keepalives >= 3, timeout=5)
    http.put(f"/tripo3d/tripo/requests/{rid}/cancel")


def test_cancel_ends_the_stream_with_the_cancelled_status(
    fake: FakeFal, http: httpx.Client, chair: str
) -> None:
    fake.plan(Scenario(kind="never_finishes"), name_contains="chair")
    rid = submit_tripo(http, chair)
    with http.stream("GET", stream_url(fake, rid), timeout=10) as response:
        events = []
        for kind, text in sse_events(response):
            if kind == "data":
                events.append(json.loads(text))
                if len(events) == 1:
                    assert http.put(f"/tripo3d/tripo/requests/{rid}/cancel").status_code == 202
    assert events[-1]["status"] == "COMPLETED"
    assert events[-1]["error_type"] == "client_cancelled"


@pytest.mark.parametrize(("mode", "status"), [("refuse_404", 404), ("refuse_405", 405)])
def test_stream_can_be_refused_fake_wide(
    fake: FakeFal, http: httpx.Client, chair: str, mode: Any, status: int
) -> None:
    fake.status_stream = mode
    rid = submit_tripo(http, chair)
    answer = http.get(stream_url(fake, rid))
    assert answer.status_code == status and answer.json()["detail"]
    # Polling still works: the fallback has something to fall back to.
    assert http.get(f"/tripo3d/tripo/requests/{rid}/status").status_code in (200, 202)
    (connection,) = fake.status_streams(rid)
    assert connection.outcome == "refused" and connection.http_status == status
    assert fake.status_poll_count(rid) == 1


def test_a_refusal_marker_in_the_file_name_refuses_only_that_input(
    fake: FakeFal, http: httpx.Client
) -> None:
    refused = upload(fake, http, "cat_streamrefused.png")
    plain = upload(fake, http, "dog.png")
    assert http.get(stream_url(fake, submit_tripo(http, refused))).status_code == 404
    with http.stream("GET", stream_url(fake, submit_tripo(http, plain)), timeout=10) as ok:
        assert ok.status_code == 200
        assert [k for k, _ in sse_events(ok)][-1] == "data"


def test_stream_refused_only_the_first_time(fake: FakeFal, http: httpx.Client, chair: str) -> None:
    fake.plan(Scenario(stream="refuse_405", stream_times=1), name_contains="chair")
    rid = submit_tripo(http, chair)
    assert http.get(stream_url(fake, rid)).status_code == 405
    with http.stream("GET", stream_url(fake, rid), timeout=10) as second:
        assert second.status_code == 200
        list(sse_events(second))
    assert [c.outcome for c in fake.status_streams(rid)] == ["refused", "completed"]


def test_stream_dropped_midway_then_polling_finishes(
    fake: FakeFal, http: httpx.Client, chair: str
) -> None:
    fake.plan(Scenario(stream="drop", generation_seconds=0.6), name_contains="chair")
    rid = submit_tripo(http, chair)
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        http.stream("GET", stream_url(fake, rid), timeout=10) as response,
    ):
        received.extend(kind for kind, _ in sse_events(response))
    assert received == ["data"]
    (connection,) = fake.status_streams(rid)
    assert connection.outcome == "dropped" and connection.states == ["IN_QUEUE"]
    fake.wait_for(lambda: fake.request_state(rid) == "COMPLETED", timeout=5)
    assert http.get(f"/tripo3d/tripo/requests/{rid}/status").json()["status"] == "COMPLETED"


def test_stream_needs_the_key_and_a_known_request(
    fake: FakeFal, http: httpx.Client, chair: str
) -> None:
    rid = submit_tripo(http, chair)
    no_key = httpx.get(fake.base_url + stream_url(fake, rid), verify=fake.ssl_context())
    unknown = http.get(stream_url(fake, "00000000-0000-0000-0000-000000000000"))
    assert no_key.status_code == 401 and unknown.status_code == 404


def upload(fake: FakeFal, http: httpx.Client, name: str) -> str:
    token = http.post("/storage/auth/token", params={"storage_type": "fal-cdn-v3"}).json()
    answer = httpx.post(
        f"{fake.base_url}/files/upload",
        content=b"\x89PNG\r\n\x1a\n" + name.encode(),
        headers={
            "Authorization": f"Bearer {token['token']}",
            "Content-Type": "image/png",
            "X-Fal-File-Name": name,
        },
        verify=fake.ssl_context(),
    )
    return str(answer.json()["access_url"])


@pytest.mark.asyncio
async def test_the_engines_stream_request_through_fal_clients_session(
    fake: FakeFal, chair: str
) -> None:
    """The request docs/fal-models.md tells the engine to make: fal-client's own httpx
    session (its auth and User-Agent), httpx_sse, the handle's status_url + "/stream"."""
    import fal_client
    from httpx_sse import aconnect_sse

    with fake.patch_fal_client():
        client = fal_client.AsyncClient()
        session = await client._client
        try:
            handle = await client.submit("tripo3d/tripo/v2.5/image-to-3d", {"image_url": chair})
            timeout = httpx.Timeout(30.0, read=45.0)
            url = handle.status_url + "/stream"
            async with aconnect_sse(
                session, "GET", url, params={"logs": "1"}, timeout=timeout
            ) as sse:
                assert sse.response.status_code == 200
                statuses = [event.json()["status"] async for event in sse.aiter_sse()]
            # Not handle.get(): it polls /status once more before fetching.
            answer = await session.get(handle.response_url)
            result = answer.json()
        finally:
            await session.aclose()
    assert statuses[-1] == "COMPLETED" and "model_mesh" in result
    assert answer.status_code == 200
    assert fake.status_stream_count(handle.request_id) == 1
    assert fake.status_poll_count(handle.request_id) == 0
