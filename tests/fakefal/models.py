"""The image-to-3D endpoints the fake serves: each one's input rules and output shape.

Rules follow the schemas cited in docs/fal-models.md (fal-js's generated types,
FAL's model pages; a few from community code, marked there). A submit is
checked like FAL's pydantic models check it: every problem is one
``{loc, msg, type, input?, ctx?}`` item of a 422 ``detail`` list. Unknown extra
fields are accepted, as FAL accepts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["str", "int", "bool", "url_list", "float", "str_list"]
Output = Literal[
    "tripo",
    "tripo_family",
    "hunyuan",
    "trellis",
    "rodin",
    "meshy_remesh",
    "smart_topology",
    "meshy_retexture",
    "trellis_retexture",
]


@dataclass(frozen=True)
class Rule:
    kind: Kind
    required: bool = False
    choices: tuple[Any, ...] = ()
    ge: int | None = None
    le: int | None = None
    gt: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    #: For "str_list": the strings each item may be.
    item_choices: tuple[str, ...] = ()
    max_length: int | None = None


@dataclass(frozen=True)
class FakeEndpoint:
    """One endpoint id: its family (our generator name), rules and output keys.

    image_fields: where the photo(s) go, in view order; the first one present is
    the input the scenario is chosen from.
    output: "tripo" {task_id, model_mesh, rendered_image}; "tripo_family"
    {model_mesh, model_urls.glb, rendered_image}; "hunyuan" {model_glb,
    model_urls {glb, fbx, obj, usdz}, thumbnail, seed}; "trellis" {model_glb};
    "rodin" {model_mesh in geometry_file_format, seed, textures[]}. With Tripo's
    ``quad`` the model is FBX ("When Tripo emits FBX bytes for quad output, the
    returned model file is FBX", H31ImageTo3dInput). The version services (issue
    22): "meshy_remesh" {model_glb, model_urls: one per target_formats};
    "smart_topology" {model_glb, model_urls.glb}; "meshy_retexture" {model_glb,
    model_urls {glb, fbx, obj, usdz}, texture_urls[{base_color}], thumbnail,
    text_style_prompt | image_style_url}; "trellis_retexture" {model_glb}. Shapes
    from fal-js libs/client/src/types/endpoints.ts @381105e1: RemeshOutput,
    SmartTopologyOutput, RetextureOutput, Trellis2Output, ModelUrls.
    """

    endpoint_id: str
    model: str
    rules: Mapping[str, Rule]
    image_fields: tuple[str, ...]
    output: Output
    log_name: str = field(default="Tripo")
    #: What ``GET /v1/models/pricing`` answers for it: USD per ``unit`` (plausible
    #: figures; FAL's own per-endpoint answers were not captured). Tests change
    #: them with ``FakeFal.set_price``.
    unit_price: float = 0.01
    unit: str = "credits"


def billed_units(endpoint: FakeEndpoint, arguments: dict[str, Any]) -> float:
    """How many units the fake bills one request of ``endpoint`` (Tripo: credits by texture,
    as the community price tables count them; the others: one generation)."""
    if endpoint.unit != "credits":
        return 1.0
    quad = 5.0 if arguments.get("quad") is True else 0.0
    texture = arguments.get("texture", "standard" if endpoint.model == "tripo-v2.5" else True)
    if endpoint.model == "tripo-p1":
        return 50.0 if texture else 40.0
    if texture in ("no", False):
        return 20.0 + quad
    detailed = texture == "HD" or arguments.get("texture_quality") == "detailed"
    return (40.0 if detailed else 30.0) + quad


_TRIPO_V25_COMMON = {
    "seed": Rule("int"),
    "texture_seed": Rule("int"),
    "face_limit": Rule("int", gt=0),
    "pbr": Rule("bool"),
    "texture": Rule("str", choices=("no", "standard", "HD")),
    "texture_alignment": Rule("str", choices=("original_image", "geometry")),
    "auto_size": Rule("bool"),
    "quad": Rule("bool"),
    "orientation": Rule("str", choices=("default", "align_image")),
}
_VIEWS = ("left_image_url", "back_image_url", "right_image_url")
# H31ImageTo3dInput / H31MultiviewTo3dInput in fal-js libs/schemas/src/3d/schemas.gen.ts
# @6fbc5ada (FAL's OpenAPI): face_limit integer 1000..2000000 or null.
_TRIPO_H31_COMMON = {
    "model_seed": Rule("int"),
    "texture_seed": Rule("int"),
    "face_limit": Rule("int", ge=1_000, le=2_000_000),
    "texture": Rule("bool"),
    "pbr": Rule("bool"),
    "texture_quality": Rule("str", choices=("standard", "detailed")),
    "geometry_quality": Rule("str", choices=("standard", "detailed")),
    "quad": Rule("bool"),
    "auto_size": Rule("bool"),
    "orientation": Rule("str", choices=("default", "align_image")),
    "texture_alignment": Rule("str", choices=("original_image", "geometry")),
}
# Hyper3dRodinV25Input.quality_mesh_option (fal-js endpoints.ts @381105e1).
_RODIN_MESH_OPTIONS = (
    "Auto",
    "4K Quad",
    "8K Quad",
    "18K Quad",
    "50K Quad",
    "100K Quad",
    "200K Quad",
    "2K Triangle",
    "20K Triangle",
    "50K Triangle",
    "150K Triangle",
    "500K Triangle",
    "1M Triangle",
    "2M Triangle",
)
_MODEL_FORMATS = ("glb", "fbx", "obj", "usdz", "blend", "stl")

ENDPOINTS: dict[str, FakeEndpoint] = {
    e.endpoint_id: e
    for e in (
        FakeEndpoint(
            "tripo3d/tripo/v2.5/image-to-3d",
            "tripo-v2.5",
            {"image_url": Rule("str", required=True), **_TRIPO_V25_COMMON},
            ("image_url",),
            "tripo",
        ),
        FakeEndpoint(
            "tripo3d/tripo/v2.5/multiview-to-3d",
            "tripo-v2.5",
            {
                "front_image_url": Rule("str", required=True),
                **{name: Rule("str") for name in _VIEWS},
                **_TRIPO_V25_COMMON,
            },
            ("front_image_url", *_VIEWS),
            "tripo",
        ),
        FakeEndpoint(
            "tripo3d/h3.1/image-to-3d",
            "tripo-h3.1",
            {"image_url": Rule("str", required=True), **_TRIPO_H31_COMMON},
            ("image_url",),
            "tripo_family",
        ),
        FakeEndpoint(
            "tripo3d/h3.1/multiview-to-3d",
            "tripo-h3.1",
            {
                "image_urls": Rule("url_list", required=True, min_items=2, max_items=4),
                **_TRIPO_H31_COMMON,
            },
            ("image_urls",),
            "tripo_family",
        ),
        FakeEndpoint(
            "tripo3d/p1/image-to-3d",
            "tripo-p1",
            {
                "image_url": Rule("str", required=True),
                "face_limit": Rule("int", ge=48, le=20_000),
                "texture": Rule("bool"),
                "model_seed": Rule("int"),
            },
            ("image_url",),
            "tripo_family",
        ),
        FakeEndpoint(
            "fal-ai/hunyuan3d-v3/image-to-3d",
            "hunyuan3d-v3",
            {
                "input_image_url": Rule("str", required=True),
                **{name: Rule("str") for name in _VIEWS},
                "face_count": Rule("int", ge=40_000, le=1_500_000),
                "enable_pbr": Rule("bool"),
                "generate_type": Rule("str", choices=("Normal", "LowPoly", "Geometry")),
                "polygon_type": Rule("str", choices=("triangle", "quadrilateral")),
            },
            ("input_image_url", *_VIEWS),
            "hunyuan",
            "Hunyuan3D",
            unit_price=0.375,
            unit="generations",
        ),
        FakeEndpoint(
            "fal-ai/trellis-2",
            "trellis-2",
            {
                "image_url": Rule("str", required=True),
                "seed": Rule("int"),
                "resolution": Rule("int", choices=(512, 1024, 1536)),
                "texture_size": Rule("int", choices=(1024, 2048, 4096)),
                "decimation_target": Rule("int", gt=0),
                "remesh": Rule("bool"),
            },
            ("image_url",),
            "trellis",
            "TRELLIS.2",
            unit_price=0.30,
            unit="generations",
        ),
        FakeEndpoint(
            "fal-ai/hyper3d/rodin/v2.5",
            "rodin-v2.5",
            {
                "image_urls": Rule("url_list", required=True, min_items=1, max_items=5),
                "prompt": Rule("str"),
                "seed": Rule("int", ge=0, le=65_535),
                # Hyper3dRodinV25Input (fal-js endpoints.ts @381105e1): "None" is geometry only.
                "material": Rule("str", choices=("PBR", "Shaded", "All", "None")),
                "geometry_file_format": Rule("str", choices=("glb", "usdz", "fbx", "obj", "stl")),
                "TAPose": Rule("bool"),
                "quality_mesh_option": Rule("str", choices=_RODIN_MESH_OPTIONS),
            },
            ("image_urls",),
            "rodin",
            "Rodin",
            unit_price=0.40,
            unit="generations",
        ),
        # MeshyV5RemeshInput; price "$0.2 per generations"
        # (https://fal.ai/models/fal-ai/meshy/v5/remesh/llms.txt, target_polycount 100..300000).
        FakeEndpoint(
            "fal-ai/meshy/v5/remesh",
            "meshy-remesh",
            {
                "model_url": Rule("str", required=True),
                "topology": Rule("str", choices=("quad", "triangle")),
                "target_polycount": Rule("int", ge=100, le=300_000),
                "target_formats": Rule("str_list", item_choices=_MODEL_FORMATS),
                "resize_height": Rule("float", ge=0),
                "origin_at": Rule("str", choices=("bottom", "center")),
            },
            ("model_url",),
            "meshy_remesh",
            "Meshy",
            unit_price=0.20,
            unit="generations",
        ),
        # SmartTopologyInput (no price on FAL's page: a plausible figure).
        FakeEndpoint(
            "fal-ai/hunyuan-3d/v3.1/smart-topology",
            "hunyuan-topology",
            {
                "input_file_url": Rule("str", required=True),
                "input_file_type": Rule("str", choices=("glb", "obj")),
                "polygon_type": Rule("str", choices=("triangle", "quadrilateral")),
                "face_level": Rule("str", choices=("high", "medium", "low")),
            },
            ("input_file_url",),
            "smart_topology",
            "Hunyuan3D",
            unit_price=0.25,
            unit="generations",
        ),
        # RetextureInput; price "$0.3 per generations"
        # (https://fal.ai/models/fal-ai/meshy/v5/retexture/llms.txt).
        FakeEndpoint(
            "fal-ai/meshy/v5/retexture",
            "meshy-retexture",
            {
                "model_url": Rule("str", required=True),
                "text_style_prompt": Rule("str", max_length=600),
                "image_style_url": Rule("str"),
                "enable_pbr": Rule("bool"),
                "enable_original_uv": Rule("bool"),
                "enable_safety_checker": Rule("bool"),
            },
            ("model_url",),
            "meshy_retexture",
            "Meshy",
            unit_price=0.30,
            unit="generations",
        ),
        # Trellis2RetextureInput (no price on FAL's page: a plausible figure).
        FakeEndpoint(
            "fal-ai/trellis-2/retexture",
            "trellis-retexture",
            {
                "mesh_url": Rule("str", required=True),
                "image_url": Rule("str", required=True),
                "resolution": Rule("int", choices=(512, 1024)),
                "texture_size": Rule("int", choices=(1024, 2048, 4096)),
                "seed": Rule("int"),
            },
            ("mesh_url",),
            "trellis_retexture",
            "TRELLIS.2",
            unit_price=0.25,
            unit="generations",
        ),
    )
}


def validate(endpoint: FakeEndpoint, arguments: Any) -> list[dict[str, Any]]:
    """Return the 422 ``detail`` items for arguments this endpoint would refuse."""
    if not isinstance(arguments, dict):
        return [_item(["body"], "Input should be a valid dictionary", "dict_type", arguments)]
    problems: list[dict[str, Any]] = []
    for name, rule in endpoint.rules.items():
        if name not in arguments or arguments[name] is None:
            if rule.required:
                problems.append({"loc": ["body", name], "msg": "Field required", "type": "missing"})
            continue
        problem = _check(name, rule, arguments[name])
        if problem is not None:
            problems.append(problem)
    if endpoint.output == "meshy_retexture" and not (
        arguments.get("text_style_prompt") or arguments.get("image_style_url")
    ):
        # RetextureInput: each is "Required if [the other] is not provided".
        msg = "Either text_style_prompt or image_style_url must be provided"
        problems.append({"loc": ["body"], "msg": msg, "type": "value_error"})
    return problems


def image_urls(endpoint: FakeEndpoint, arguments: Mapping[str, Any]) -> tuple[str, ...]:
    """The photo URLs of a (valid) submit, in view order."""
    found: list[str] = []
    for name in endpoint.image_fields:
        value = arguments.get(name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(str(v) for v in value)
    return tuple(found)


def _check(name: str, rule: Rule, value: Any) -> dict[str, Any] | None:
    loc = ["body", name]
    if rule.choices:
        # pydantic checks a Literal by membership alone, whatever the input's type.
        if isinstance(value, bool) or value not in rule.choices:
            expected = _choices_text(rule.choices)
            ctx = {"expected": expected}
            return _item(loc, f"Input should be {expected}", "literal_error", value, ctx)
        return None
    if rule.kind == "str" and not isinstance(value, str):
        return _item(loc, "Input should be a valid string", "string_type", value)
    if rule.kind == "bool" and not isinstance(value, bool):
        return _item(loc, "Input should be a valid boolean", "bool_type", value)
    if rule.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return _item(loc, "Input should be a valid integer", "int_type", value)
    if rule.kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return _item(loc, "Input should be a valid number", "float_type", value)
    if rule.kind == "str_list":
        if not isinstance(value, list) or not all(v in rule.item_choices for v in value):
            expected = _choices_text(rule.item_choices)
            return _item(loc, f"Input should be a list of {expected}", "literal_error", value)
        return None
    if rule.max_length is not None and isinstance(value, str) and len(value) > rule.max_length:
        msg = f"String should have at most {rule.max_length} characters"
        return _item(loc, msg, "string_too_long", value, {"max_length": rule.max_length})
    if rule.kind == "url_list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return _item(loc, "Input should be a valid list of strings", "list_type", value)
        if rule.min_items is not None and len(value) < rule.min_items:
            msg = f"List should have at least {rule.min_items} item after validation"
            return _item(loc, msg, "too_short", value, {"min_length": rule.min_items})
        if rule.max_items is not None and len(value) > rule.max_items:
            msg = f"List should have at most {rule.max_items} items after validation"
            return _item(loc, msg, "too_long", value, {"max_length": rule.max_items})
    if rule.gt is not None and value <= rule.gt:
        msg = f"Input should be greater than {rule.gt}"
        return _item(loc, msg, "greater_than", value, {"gt": rule.gt})
    if rule.ge is not None and value < rule.ge:
        msg = f"Input should be greater than or equal to {rule.ge}"
        return _item(loc, msg, "greater_than_equal", value, {"ge": rule.ge})
    if rule.le is not None and value > rule.le:
        msg = f"Input should be less than or equal to {rule.le}"
        return _item(loc, msg, "less_than_equal", value, {"le": rule.le})
    return None


def _choices_text(choices: tuple[Any, ...]) -> str:
    texts = [repr(c) for c in choices]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


def _item(
    loc: list[Any], msg: str, kind: str, value: Any, ctx: dict[str, Any] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind, "input": value}
    if ctx is not None:
        item["ctx"] = ctx
    return item
