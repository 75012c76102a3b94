"""The generator registry: each model's dialect, checked against the fake's schemas
and, end to end, through the real fal-client against the loopback fake."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fal_client
import httpx
import pytest

from image2model_desktop.core.errors import (
    EngineError,
    OutputError,
    UnknownModelError,
    UnsupportedParameterError,
)
from image2model_desktop.core.models import JobParameters
from image2model_desktop.engines.fal import registry
from image2model_desktop.engines.fal.registry import (
    GENERATORS,
    endpoint_for,
    extract_outputs,
    request_arguments,
)
from tests.fakefal import ENDPOINTS, FakeFal
from tests.fakefal.models import validate

pytestmark = pytest.mark.fal_fake(generation_seconds=0.2)

PHOTO = "https://example.invalid/chair.png"
VIEWS = [f"https://example.invalid/{view}.png" for view in registry.VIEW_ORDER]
DEFAULT = JobParameters()


def params(**changes: Any) -> JobParameters:
    return JobParameters(**changes)


def test_the_six_models_and_the_default() -> None:
    assert list(GENERATORS) == [
        "tripo-v2.5",
        "tripo-h3.1",
        "tripo-p1",
        "hunyuan3d-v3",
        "trellis-2",
        "rodin-v2.5",
    ]
    assert registry.get(registry.DEFAULT_MODEL) is registry.TRIPO_V25
    for generator in GENERATORS.values():
        assert generator.label and generator.good_at and generator.sources
        assert generator.endpoint in ENDPOINTS, "the fake serves every endpoint"


def test_an_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownModelError) as error:
        registry.get("tripo-v9")
    assert error.value.code == "UNKNOWN_MODEL"
    assert "'tripo-v9'" in str(error.value) and "trellis-2" in str(error.value)


def test_tripo_v25_sends_exactly_what_todays_engine_sends() -> None:
    assert request_arguments(registry.TRIPO_V25, [PHOTO], DEFAULT) == {
        "image_url": PHOTO,
        "texture": "standard",
        "pbr": False,
        "texture_alignment": "original_image",
        "orientation": "default",
    }
    full = request_arguments(
        registry.TRIPO_V25, [PHOTO], params(face_limit=5000, texture="HD", pbr=True, seed=7)
    )
    assert full == {
        "image_url": PHOTO,
        "texture": "HD",
        "pbr": True,
        "texture_alignment": "original_image",
        "orientation": "default",
        "face_limit": 5000,
        "seed": 7,
        "texture_seed": 7,
    }


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("tripo-h3.1", {}, {"image_url": PHOTO, "texture": True, "texture_quality": "standard"}),
        (
            "tripo-h3.1",
            {"texture": "HD", "pbr": True},
            {"texture_quality": "detailed", "pbr": True},
        ),
        ("tripo-h3.1", {"texture": "no"}, {"texture": False, "pbr": False}),
        ("tripo-h3.1", {"seed": 3, "face_limit": 90_000}, {"model_seed": 3, "face_limit": 90_000}),
        ("tripo-h3.1", {"face_limit": 1_000}, {"face_limit": 1_000}),
        ("tripo-p1", {"texture": "no", "face_limit": 800}, {"texture": False, "face_limit": 800}),
        ("tripo-p1", {"seed": 5}, {"image_url": PHOTO, "model_seed": 5}),
        ("hunyuan3d-v3", {}, {"input_image_url": PHOTO, "generate_type": "Normal"}),
        ("hunyuan3d-v3", {"texture": "no"}, {"generate_type": "Geometry"}),
        (
            "hunyuan3d-v3",
            {"pbr": True, "face_limit": 40_000},
            {"enable_pbr": True, "face_count": 40_000},
        ),
        ("trellis-2", {}, {"image_url": PHOTO}),
        ("trellis-2", {"texture": "HD", "seed": 9}, {"texture_size": 4096, "seed": 9}),
        ("rodin-v2.5", {}, {"image_urls": [PHOTO], "material": "Shaded"}),
        ("rodin-v2.5", {"pbr": True, "seed": 65_535}, {"material": "PBR", "seed": 65_535}),
    ],
)
def test_each_dialect(name: str, changes: dict[str, Any], expected: dict[str, Any]) -> None:
    arguments = request_arguments(registry.get(name), [PHOTO], params(**changes))
    assert expected.items() <= arguments.items()
    assert validate(ENDPOINTS[registry.get(name).endpoint], arguments) == []


@pytest.mark.parametrize(
    ("name", "changes", "words"),
    [
        ("tripo-p1", {"face_limit": 40_000}, "48–20,000 faces"),
        ("tripo-p1", {"texture": "HD"}, "'no' or 'standard'"),
        ("tripo-p1", {"pbr": True}, "no PBR option"),
        ("tripo-h3.1", {"face_limit": 500}, "1,000–2,000,000 faces"),
        ("tripo-h3.1", {"face_limit": 2_000_001}, "1,000–2,000,000 faces"),
        ("tripo-v2.5", {"texture": "no", "pbr": True}, "PBR materials only on a textured"),
        ("tripo-h3.1", {"texture": "no", "pbr": True}, "PBR materials only on a textured"),
        ("hunyuan3d-v3", {"texture": "no", "pbr": True}, "PBR materials only on a textured"),
        ("hunyuan3d-v3", {"face_limit": 5000}, "40,000–1,500,000"),
        ("hunyuan3d-v3", {"seed": 1}, "takes no seed"),
        ("trellis-2", {"face_limit": 5000}, "no face limit"),
        ("trellis-2", {"texture": "no"}, "cannot make texture 'no'"),
        ("rodin-v2.5", {"seed": 70_000}, "0–65535"),
        ("rodin-v2.5", {"texture": "HD"}, "choose 'standard'"),
    ],
)
def test_what_a_model_cannot_do_is_one_clear_sentence(
    name: str, changes: dict[str, Any], words: str
) -> None:
    with pytest.raises(UnsupportedParameterError) as error:
        request_arguments(registry.get(name), [PHOTO], params(**changes))
    assert words in str(error.value)
    assert str(error.value).endswith(".") and str(error.value).count(".") <= 2


def test_every_accepted_combination_passes_the_endpoints_validation() -> None:
    checked = 0
    for generator in GENERATORS.values():
        faces = [None, *(generator.face_range or (1000, 50_000))]
        for texture, pbr, face_limit, seed in itertools.product(
            generator.textures, (False, True), faces, (None, 0, 4242)
        ):
            wanted = params(texture=texture, pbr=pbr, face_limit=face_limit, seed=seed)
            try:
                arguments = request_arguments(generator, [PHOTO], wanted)
            except UnsupportedParameterError:
                assert (
                    (pbr and "pbr" not in generator.parameters)
                    or (pbr and texture == "no")
                    or (face_limit is not None and "face_limit" not in generator.parameters)
                    or (seed is not None and "seed" not in generator.parameters)
                )
                continue
            assert validate(ENDPOINTS[generator.endpoint], arguments) == [], (
                generator.name,
                wanted,
            )
            checked += 1
    assert checked > 60


def test_parameters_the_window_should_show() -> None:
    assert registry.TRIPO_V25.parameters == {"face_limit", "texture", "pbr", "seed"}
    assert registry.TRIPO_P1.parameters == {"face_limit", "texture", "seed"}
    assert registry.HUNYUAN3D_V3.parameters == {"face_limit", "texture", "pbr"}
    assert registry.TRELLIS_2.parameters == {"texture", "seed"}
    assert registry.RODIN_V25.parameters == {"texture", "pbr", "seed"}
    assert registry.RODIN_V25.textures == ("standard",)


@pytest.mark.parametrize(
    ("name", "endpoint", "expected"),
    [
        (
            "tripo-v2.5",
            "tripo3d/tripo/v2.5/multiview-to-3d",
            {
                "front_image_url": VIEWS[0],
                "left_image_url": VIEWS[1],
                "back_image_url": VIEWS[2],
                "right_image_url": VIEWS[3],
            },
        ),
        ("tripo-h3.1", "tripo3d/h3.1/multiview-to-3d", {"image_urls": VIEWS}),
        (
            "hunyuan3d-v3",
            "fal-ai/hunyuan3d-v3/image-to-3d",
            {
                "input_image_url": VIEWS[0],
                "left_image_url": VIEWS[1],
                "back_image_url": VIEWS[2],
                "right_image_url": VIEWS[3],
            },
        ),
        ("rodin-v2.5", "fal-ai/hyper3d/rodin/v2.5", {"image_urls": VIEWS}),
    ],
)
def test_multiview(name: str, endpoint: str, expected: dict[str, Any]) -> None:
    generator = registry.get(name)
    assert endpoint_for(generator, 4) == endpoint
    arguments = request_arguments(generator, VIEWS, DEFAULT)
    assert expected.items() <= arguments.items()
    assert validate(ENDPOINTS[endpoint], arguments) == []
    two = request_arguments(generator, VIEWS[:2], DEFAULT)
    assert validate(ENDPOINTS[endpoint], two) == []
    assert registry.by_endpoint(endpoint) is generator


@pytest.mark.parametrize("name", ["tripo-p1", "trellis-2"])
def test_single_image_models_refuse_views(name: str) -> None:
    with pytest.raises(UnsupportedParameterError, match="one photo"):
        request_arguments(registry.get(name), VIEWS[:2], DEFAULT)
    with pytest.raises(UnsupportedParameterError, match="at most 4 views"):
        request_arguments(registry.TRIPO_V25, [*VIEWS, PHOTO], DEFAULT)


def test_prices_are_estimates_or_unknown() -> None:
    assert registry.TRIPO_V25.estimate_usd("standard") == 0.30
    assert registry.TRIPO_V25.estimate_usd("HD") == 0.40
    assert registry.RODIN_V25.price is not None and registry.RODIN_V25.price.official
    assert registry.RODIN_V25.estimate_usd("standard") == 0.40
    assert registry.HUNYUAN3D_V3.price is None
    assert registry.HUNYUAN3D_V3.estimate_usd("standard") is None


def test_every_file_of_a_result_is_kept_the_glb_first() -> None:
    def file(name: str) -> dict[str, object]:
        return {"url": f"https://cdn/{name}", "file_name": name, "file_size": 9}

    fbx, glb, usdz, png = file("m.fbx"), file("m.glb"), file("m.usdz"), file("t.png")
    # Tripo's quad answers FBX as its model (H31ImageTo3dInput.quad); a GLB beside it wins.
    tripo = {"model_mesh": fbx, "model_urls": {"fbx": fbx, "glb": glb}, "rendered_image": png}
    out = extract_outputs(registry.TRIPO_H31, tripo)
    assert out.model_url == glb["url"] and out.preview_url == png["url"]
    assert [(f.format, f.role) for f in out.files] == [("glb", "model"), ("fbx", "model")]
    hunyuan = {
        "model_glb": glb,
        "model_urls": {"glb": glb, "fbx": fbx, "usdz": usdz, "texture": file("tex.png")},
        "thumbnail": png,
    }
    out = extract_outputs(registry.HUNYUAN3D_V3, hunyuan)
    assert [(f.format, f.role, f.key) for f in out.files] == [
        ("glb", "model", "model"),
        ("fbx", "model", "model_urls.fbx"),
        ("usdz", "model", "model_urls.usdz"),
        ("png", "texture", "model_urls.texture"),
    ]
    only_fbx = extract_outputs(registry.TRIPO_H31, {"model_mesh": fbx, "model_urls": {"fbx": fbx}})
    assert [f.format for f in only_fbx.files] == ["fbx"]


def test_generator_options_reach_each_dialect() -> None:
    def args(model: str, **options: Any) -> dict[str, Any]:
        return request_arguments(registry.get(model), [PHOTO], params(model=model, **options))

    tripo = args("tripo-h3.1", quad=True, real_size=True)
    assert (tripo["quad"], tripo["auto_size"]) == (True, True)
    rodin = args("rodin-v2.5", quad=True, output_format="fbx", t_pose=True)
    assert rodin["quality_mesh_option"] == "200K Quad"
    assert (rodin["geometry_file_format"], rodin["TAPose"]) == ("fbx", True)
    hunyuan = args("hunyuan3d-v3", quad=True)
    assert (hunyuan["generate_type"], hunyuan["polygon_type"]) == ("LowPoly", "quadrilateral")
    low = args("hunyuan3d-v3", low_poly=True)
    assert (low["generate_type"], low["polygon_type"]) == ("LowPoly", "triangle")
    with pytest.raises(UnsupportedParameterError, match="only with a texture"):
        args("hunyuan3d-v3", low_poly=True, texture="no")
    with pytest.raises(UnsupportedParameterError, match="no T/A pose"):
        args("tripo-v2.5", t_pose=True)
    assert "quad" not in args("tripo-v2.5") and "auto_size" not in args("tripo-v2.5")


def test_outputs_read_each_shape() -> None:
    mesh = {"url": "https://cdn/m.glb"}
    image = {"url": "https://cdn/p.webp"}
    tripo = extract_outputs(
        registry.TRIPO_V25, {"task_id": "t", "model_mesh": mesh, "rendered_image": image}
    )
    assert (tripo.model_url, tripo.preview_url, tripo.model_file, tripo.preview_file) == (
        "https://cdn/m.glb",
        "https://cdn/p.webp",
        mesh,
        image,
    )
    assert [(f.format, f.key) for f in tripo.files] == [("glb", "model")]
    only_pbr = {"task_id": "t", "pbr_model": mesh}
    assert extract_outputs(registry.TRIPO_V25, only_pbr).model_url == mesh["url"]
    hunyuan = {"model_glb": None, "model_urls": {"glb": mesh}, "thumbnail": image}
    assert extract_outputs(registry.HUNYUAN3D_V3, hunyuan).model_url == mesh["url"]
    trellis = extract_outputs(registry.TRELLIS_2, {"model_glb": mesh})
    assert trellis.preview_url is None
    with pytest.raises(OutputError) as error:
        extract_outputs(registry.RODIN_V25, {"model_mesh": None, "seed": 1, "textures": [image]})
    assert error.value.code == "FAL_NO_MODEL"


def test_another_models_result_fails_the_photo_with_a_sentence() -> None:
    """A rerouted request (FAL's fallbacks) answers in another model's shape."""
    mesh = {"url": "https://cdn/m.glb"}
    hunyuan_shape = {"model_glb": mesh, "model_urls": {"glb": mesh}, "thumbnail": mesh}
    with pytest.raises(EngineError) as error:
        extract_outputs(registry.TRIPO_V25, hunyuan_shape)
    assert error.value.code == "FAL_WRONG_MODEL"
    sentence = str(error.value)
    assert "not Tripo v2.5's" in sentence and "model_glb" in sentence
    assert sentence.endswith(".")


# -- end to end: the real fal-client against the fake -------------------------------


@asynccontextmanager
async def async_client() -> AsyncIterator[fal_client.AsyncClient]:
    client = fal_client.AsyncClient()
    try:
        yield client
    finally:
        await (await client._client).aclose()


async def generate(
    client: fal_client.AsyncClient, fake: FakeFal, name: str, urls: list[str]
) -> bytes:
    generator = registry.get(name)
    arguments = request_arguments(generator, urls, DEFAULT)
    handle = await client.submit(endpoint_for(generator, len(urls)), arguments)
    result = await handle.get(interval=0.05)
    outputs = extract_outputs(generator, result)
    async with httpx.AsyncClient(verify=fake.ssl_context()) as http:
        return (await http.get(outputs.model_url)).content


@pytest.mark.asyncio
@pytest.mark.parametrize("name", list(GENERATORS))
async def test_each_model_end_to_end(fake: FakeFal, tmp_path: Path, name: str) -> None:
    photo = tmp_path / "chair.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + name.encode())
    async with async_client() as client:
        url = await client.upload_file(photo)
        glb = await generate(client, fake, name, [url])
    assert glb[:4] == b"glTF"
    (submit,) = fake.submits()
    generator = registry.get(name)
    assert submit.endpoint_id == generator.endpoint
    assert submit.image_field == generator.image_field
    assert submit.input_label == "chair.png"


@pytest.mark.asyncio
@pytest.mark.parametrize("name", [n for n, g in GENERATORS.items() if g.multiview is not None])
async def test_each_multiview_model_end_to_end(fake: FakeFal, tmp_path: Path, name: str) -> None:
    urls = []
    async with async_client() as client:
        for view in registry.VIEW_ORDER:
            photo = tmp_path / f"{view}.png"
            photo.write_bytes(b"\x89PNG\r\n\x1a\n" + view.encode())
            urls.append(await client.upload_file(photo))
        glb = await generate(client, fake, name, urls)
    assert glb[:4] == b"glTF"
    (submit,) = fake.submits()
    assert submit.endpoint_id == endpoint_for(registry.get(name), 4)
    assert submit.image_urls == tuple(urls) and submit.input_label == "front.png"
