"""FAL's remesh and retexture services, as data: one frozen record per endpoint.

A version job (``JobParameters.post``) sends a finished model, and for a
retexture a style photo or words, to one of these; the answer is a new version
of the same library entry. Each record says how the endpoint spells what we ask
(``post_arguments``), what it bills, and which of ``PostProcess``' fields it takes
(``check_post``: a ``ParameterError`` naming the field). Nothing here talks to FAL.

Sources (fetched through the project's search tool):

[fal-js-ep]      fal-ai/fal-js libs/client/src/types/endpoints.ts @381105e1 (2026-08-02,
                 generated from FAL's OpenAPI): MeshyV5RemeshInput (model_url; topology
                 quad|triangle, default triangle; target_polycount, default 30000;
                 target_formats glb|fbx|obj|usdz|blend|stl; resize_height metres, 0 = none;
                 origin_at bottom|center), MeshyV5RemeshOutput = RemeshOutput (model_glb
                 "if GLB was requested", model_urls: ModelUrls), MeshyV5RetextureInput =
                 RetextureInput (model_url; text_style_prompt "Maximum 600 characters";
                 image_style_url "If both are provided, image_style_url takes precedence";
                 enable_pbr; enable_original_uv default true), RetextureOutput (model_glb,
                 model_urls, texture_urls[], thumbnail), Hunyuan3dV31SmartTopologyInput =
                 SmartTopologyInput (input_file_url "GLB or OBJ … Max size: 200MB";
                 input_file_type glb|obj; polygon_type triangle|quadrilateral; face_level
                 high|medium|low, default medium), SmartTopologyOutput (model_glb,
                 model_urls), Trellis2RetextureInput (mesh_url "GLB, OBJ, PLY, and STL";
                 image_url "the reference image for texturing"; resolution 512|1024;
                 texture_size 1024|2048|4096; seed), Trellis2RetextureOutput =
                 Trellis2Output (model_glb).
[fal-remesh]     https://fal.ai/models/fal-ai/meshy/v5/remesh/llms.txt: "$0.2 per
                 generations"; target_polycount "Range: 100 to 300000"; target_formats
                 default ["glb"].
[fal-retexture]  https://fal.ai/models/fal-ai/meshy/v5/retexture/llms.txt: "$0.3 per
                 generations".
[fal-topology]   https://fal.ai/docs/model-api-reference/3d-api/hunyuan-3d-v3.1-smart-topology
                 (the endpoint id; no price on the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from image2model_desktop.core.errors import OutputError, ParameterError
from image2model_desktop.core.models import ModelFormat, PostProcess, PostService

from .registry import Outputs, outputs_of

#: Meshy's ``text_style_prompt`` limit [fal-js-ep].
PROMPT_MAX = 600
#: Meshy's ``target_polycount`` range [fal-remesh].
MESHY_FACES = (100, 300_000)
NO_MODEL = "FAL_NO_MODEL"


@dataclass(frozen=True)
class PostEndpoint:
    """One remesh or retexture endpoint and what it takes."""

    name: PostService
    label: str
    kind: Literal["remesh", "retexture"]
    endpoint: str
    #: The field the model's URL goes in, and the formats the endpoint reads.
    model_field: str
    model_formats: tuple[str, ...]
    #: The style photo's field, and the words' field (retexture).
    style_field: str | None = None
    prompt_field: str | None = None
    #: The faces asked for (``PostProcess.faces``), and their range.
    faces_field: str | None = None
    faces_range: tuple[int, int] | None = None
    #: How quad is said: Meshy's ``topology`` or Hunyuan's ``polygon_type``.
    quad_field: str | None = None
    quad_values: tuple[str, str] = ("quad", "triangle")
    takes_face_level: bool = False
    takes_formats: bool = False
    takes_resize: bool = False
    takes_pbr: bool = False
    #: Extra fields sent with every request (the model file's type).
    fixed: Mapping[str, Any] | None = None
    #: USD per request from FAL's page; None: FAL's page shows none (the pricing
    #: API's answer is used when it counts "generations").
    unit_usd: float | None = None
    good_at: str = ""
    sources: tuple[str, ...] = ()


MESHY_REMESH = PostEndpoint(
    name="meshy-remesh",
    label="Meshy 5 Remesh",
    kind="remesh",
    endpoint="fal-ai/meshy/v5/remesh",
    model_field="model_url",
    model_formats=("glb", "gltf", "obj", "fbx", "stl"),
    faces_field="target_polycount",
    faces_range=MESHY_FACES,
    quad_field="topology",
    quad_values=("quad", "triangle"),
    takes_formats=True,
    takes_resize=True,
    unit_usd=0.20,
    good_at="Quad or triangle mesh at a face count you choose; FBX, USDZ, OBJ beside the GLB",
    sources=("[fal-js-ep] MeshyV5RemeshInput/Output", "[fal-remesh] price, range"),
)

HUNYUAN_TOPOLOGY = PostEndpoint(
    name="hunyuan-topology",
    label="Hunyuan3D 3.1 Smart Topology",
    kind="remesh",
    endpoint="fal-ai/hunyuan-3d/v3.1/smart-topology",
    model_field="input_file_url",
    model_formats=("glb", "obj"),
    quad_field="polygon_type",
    quad_values=("quadrilateral", "triangle"),
    takes_face_level=True,
    fixed={"input_file_type": "glb"},
    good_at="Clean topology at a low, medium or high face level",
    sources=("[fal-js-ep] SmartTopologyInput/Output", "[fal-topology] endpoint id"),
)

MESHY_RETEXTURE = PostEndpoint(
    name="meshy-retexture",
    label="Meshy 5 Retexture",
    kind="retexture",
    endpoint="fal-ai/meshy/v5/retexture",
    model_field="model_url",
    model_formats=("glb", "gltf", "obj", "fbx", "stl"),
    style_field="image_style_url",
    prompt_field="text_style_prompt",
    takes_pbr=True,
    unit_usd=0.30,
    good_at="A new texture from words or a style photo",
    sources=("[fal-js-ep] RetextureInput/Output", "[fal-retexture] price"),
)

TRELLIS_RETEXTURE = PostEndpoint(
    name="trellis-retexture",
    label="TRELLIS.2 Retexture",
    kind="retexture",
    endpoint="fal-ai/trellis-2/retexture",
    model_field="mesh_url",
    model_formats=("glb", "obj", "ply", "stl"),
    style_field="image_url",
    good_at="A new texture painted from a reference photo",
    sources=("[fal-js-ep] Trellis2RetextureInput/Output",),
)

POST_ENDPOINTS: Mapping[str, PostEndpoint] = {
    e.name: e for e in (MESHY_REMESH, HUNYUAN_TOPOLOGY, MESHY_RETEXTURE, TRELLIS_RETEXTURE)
}
#: The service a remesh or a retexture gets when nobody chose one.
DEFAULT_REMESH: PostService = "meshy-remesh"
DEFAULT_RETEXTURE: PostService = "meshy-retexture"


def post_endpoint(name: str) -> PostEndpoint:
    try:
        return POST_ENDPOINTS[name]
    except KeyError:
        valid = ", ".join(POST_ENDPOINTS)
        raise ParameterError(
            "service",
            f"Unknown service {name!r}: choose one of {valid}.",
            {"choices": list(POST_ENDPOINTS)},
        ) from None


def by_endpoint(endpoint_id: str) -> PostEndpoint | None:
    return next((e for e in POST_ENDPOINTS.values() if e.endpoint == endpoint_id), None)


def check_post(post: PostProcess, model_format: str) -> None:
    """Refuse what the service cannot do, naming the field (``ParameterError``)."""
    service = post_endpoint(post.service)
    label = service.label
    if model_format not in service.model_formats:
        readable = ", ".join(service.model_formats)
        raise ParameterError(
            "model",
            f"{label} reads {readable} models, not {model_format}; remesh or retexture the "
            "GLB version instead.",
            {"choices": list(service.model_formats)},
        )
    if post.faces is not None:
        if service.faces_range is None:
            raise ParameterError(
                "faces", f"{label} takes no face count; choose a face level instead.", {}
            )
        low, high = service.faces_range
        if not low <= post.faces <= high:
            raise ParameterError(
                "faces",
                f"{label} makes {low:,}–{high:,} faces; choose a count in that range.",
                {"minimum": low, "maximum": high},
            )
    if post.quad and service.quad_field is None:
        raise ParameterError("quad", f"{label} makes no quad meshes; turn Quad off.", {})
    if post.face_level is not None and not service.takes_face_level:
        raise ParameterError("face_level", f"{label} takes no face level; give a face count.", {})
    if post.formats and not service.takes_formats:
        raise ParameterError("formats", f"{label} returns GLB only; ask for no other format.", {})
    if (post.resize_height is not None or post.origin_at is not None) and not service.takes_resize:
        raise ParameterError(
            "resize_height", f"{label} cannot resize or move the model; leave those empty.", {}
        )
    if post.resize_height is not None and post.resize_height <= 0:
        raise ParameterError("resize_height", "The height must be more than 0 metres.", {})
    if post.pbr and not service.takes_pbr:
        raise ParameterError("pbr", f"{label} has no PBR option; turn PBR off.", {})
    _check_style(service, post)


def _check_style(service: PostEndpoint, post: PostProcess) -> None:
    label = service.label
    if service.kind == "remesh":
        if post.prompt is not None or post.style_image_hash is not None:
            raise ParameterError("prompt", f"{label} changes the mesh, not the texture.", {})
        return
    if post.prompt is not None and service.prompt_field is None:
        raise ParameterError(
            "prompt", f"{label} paints from a reference photo only; give a style photo.", {}
        )
    if post.prompt is not None and not 1 <= len(post.prompt.strip()) <= PROMPT_MAX:
        raise ParameterError(
            "prompt", f"Describe the texture in 1–{PROMPT_MAX} characters.", {"maximum": PROMPT_MAX}
        )
    if post.prompt is None and post.style_image_hash is None:
        ways = "a style photo or words" if service.prompt_field else "a style photo"
        raise ParameterError("prompt", f"{label} needs {ways} to paint the new texture from.", {})
    if post.prompt is not None and post.style_image_hash is not None:
        # "If both are provided, image_style_url takes precedence" [fal-js-ep]: the
        # words would be paid for and ignored.
        raise ParameterError(
            "prompt",
            "Give either words or a style photo, not both (FAL would ignore the words).",
            {},
        )


def post_arguments(post: PostProcess, model_url: str, style_url: str | None) -> dict[str, Any]:
    """The submit body of one version request (checked by ``check_post`` first)."""
    service = post_endpoint(post.service)
    arguments: dict[str, Any] = dict(service.fixed or {})
    arguments[service.model_field] = model_url
    if service.quad_field is not None:
        quad, triangle = service.quad_values
        arguments[service.quad_field] = quad if post.quad else triangle
    if post.faces is not None and service.faces_field is not None:
        arguments[service.faces_field] = post.faces
    if post.face_level is not None:
        arguments["face_level"] = post.face_level
    if service.takes_formats:
        # The GLB is always asked for: the preview, the pictures and every
        # conversion read it (model_glb exists "if GLB was requested").
        formats: list[ModelFormat] = ["glb", *(f for f in post.formats if f != "glb")]
        arguments["target_formats"] = formats
    if post.resize_height is not None:
        arguments["resize_height"] = post.resize_height
    if post.origin_at is not None:
        arguments["origin_at"] = post.origin_at
    if style_url is not None and service.style_field is not None:
        arguments[service.style_field] = style_url
    elif post.prompt is not None and service.prompt_field is not None:
        arguments[service.prompt_field] = post.prompt.strip()
    if service.takes_pbr:
        arguments["enable_pbr"] = post.pbr
    return arguments


def post_outputs(service: PostEndpoint, result: Mapping[str, Any]) -> Outputs:
    """The new version's model (the GLB), its preview and every other file FAL returned."""
    model = _file(result, "model_glb") or _file(result, "model_urls", "glb")
    if model is None:
        raise OutputError(
            f"{service.label} finished without a model file; retry it.", code=NO_MODEL
        )
    preview = _file(result, "thumbnail")
    return outputs_of(result, model, preview)


def _file(result: Mapping[str, Any], *path: str) -> Mapping[str, Any] | None:
    node: Any = result
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    if isinstance(node, Mapping) and isinstance(node.get("url"), str) and node["url"]:
        return node
    return None
