"""The image-to-3D generators behind FAL's queue, as data: one frozen record per model.

Each record says how that model's dialect expresses our neutral parameters
(face_limit, texture no|standard|HD, pbr, seed, views), where its result keeps the
model file and the preview, and what FAL charges. Two pure functions use it:
``request_arguments`` builds a submit body, ``extract_outputs`` reads a result.
Nothing here talks to FAL; docs/fal-models.md has the same facts as one table.
(Over 400 lines because it is the one table of six dialects with their sources;
split by family it would scatter what must be compared side by side.)

Sources (fetched through the project's search tool; "community" means code that
calls the endpoint, not FAL's own schema, and is marked so at each use):

[fal-js-3d]   fal-ai/fal-js libs/client/src/types/3d/types.gen.ts @53241327 (generated
              from FAL's OpenAPI): TripoV25ImageTo3dInput/Output, TripoV25MultiviewTo3dInput,
              Hunyuan3dV3ImageTo3dInput/Output, Trellis2Input/Output, Hyper3dRodinV2Input/Output.
[fal-schemas] fal-ai/fal-js libs/schemas/src/3d/schemas.gen.ts @6fbc5ada (2026-05-12,
              JSON Schema generated from FAL's OpenAPI): H31ImageTo3dInput (face_limit
              integer 1000..2000000, texture/pbr bool default true, texture_quality and
              geometry_quality standard|detailed, model_seed, texture_seed), its output
              (model_mesh, model_urls required; rendered_image), H31MultiviewTo3dInput
              (image_urls 2..4), P1ImageTo3dInput (face_limit 48..20000, texture bool,
              model_seed), TripoV25ImageTo3dInput (face_limit integer, no bounds; texture
              no|standard|HD; pbr "If this option is set to True, texture will be ignored
              and used as True"), Hunyuan3dV3ImageTo3dInput (face_count 40000..1500000,
              generate_type Normal|LowPoly|Geometry, enable_pbr), Trellis2Input (seed,
              resolution 512|1024|1536, texture_size 1024|2048|4096).
[fal-js-types] fal-ai/fal-js libs/client/src/types/endpoints.ts @381105e1 (2026-08-02):
              Hyper3dRodinV25Input (image_urls up to 5, seed 0..65535, material
              PBR|Shaded|All|None, tier, quality_mesh_option) and its output (Rodin v2's).
[fal-js-map]  the later fal-js endpoint-schema.ts map listing tripo3d/h3.1/image-to-3d,
              tripo3d/h3.1/multiview-to-3d and tripo3d/p1/image-to-3d (schemas not readable).
[fal-h31-mv]  https://fal.ai/models/tripo3d/h3.1/multiview-to-3d/api (example input: image_urls[]).
[fal-p1-txt]  https://fal.ai/models/tripo3d/p1/text-to-3d/llms.txt (face_limit 48..20000,
              texture bool, model_seed; output model_mesh, model_urls, rendered_image;
              "$0.01 per credits").
[fal-rodin25] https://fal.ai/models/fal-ai/hyper3d/rodin/v2.5/llms.txt (image_urls up to 5,
              seed 0..65535, tier; $0.40 per generation, Gen-2.5-Extreme-High $0.80,
              HighPack add-on +$0.80).
[fal-trellis2] https://fal.ai/docs/model-api-reference/3d-api/trellis-2 (seed, resolution
              512|1024|1536, texture_size).
[fal-js-ep]   fal-ai/fal-js libs/client/src/types/endpoints.ts @381105e1 (2026-08-02):
              H31ImageTo3dInput (quad "When Tripo emits FBX bytes for quad output, the
              returned model file is FBX"; auto_size "Auto-scale the model to real-world
              dimensions (meters)"), P1TextTo3dOutput = H31ImageTo3dOutput (model_mesh "May
              be GLB or FBX", model_urls: ModelUrls), ModelUrls {glb, fbx, obj, mtl, texture,
              usdz}, SketchTo3DOutput = Hunyuan3dV3ImageTo3dOutput (model_glb, model_urls,
              thumbnail, seed), Hunyuan3dV3ImageTo3dInput (generate_type Normal|LowPoly|
              Geometry; polygon_type triangle|quadrilateral "Only takes effect when
              GenerateType is LowPoly"), Hyper3dRodinV25Input (geometry_file_format glb|usdz|
              fbx|obj|stl, TAPose, quality_mesh_option "Auto", "4K Quad" … "200K Quad",
              "2K Triangle" … "2M Triangle"), Hyper3dRodinV2Output (model_mesh, model_meshes[]
              "Additional generated 3D object files", textures[]).
[comm-tripo]  community model classes for FAL's Tripo P1/H3.1 (image_url, model_seed,
              face_limit, texture, pbr, texture_quality, geometry_quality) and a community
              price table (P1 $0.40/$0.50; H3.1 $0.20/$0.30/$0.40, detailed geometry +$0.20;
              TRELLIS-2 $0.25/$0.30/$0.35 by resolution; Tripo v2.5 $0.20/$0.30/$0.40).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from image2model_desktop.core.errors import (
    EngineError,
    OutputError,
    UnknownModelError,
    UnsupportedParameterError,
)
from image2model_desktop.core.models import DEFAULT_MODEL as CORE_DEFAULT_MODEL
from image2model_desktop.core.models import ModelFormat
from image2model_desktop.core.parameters import (
    low_poly_without_texture,
    option_refusal,
    pbr_without_texture,
)

Texture = Literal["no", "standard", "HD"]
TextureStyle = Literal[
    "tripo_enum", "tripo_bool_quality", "bool", "hunyuan_type", "trellis_size", "always"
]
PbrStyle = Literal["pbr", "enable_pbr", "rodin_material", "none"]
Param = Literal["face_limit", "texture", "pbr", "seed"]
#: Generator options beyond the neutral four (issue 22), each a JobParameters field.
Option = Literal["quad", "real_size", "output_format", "t_pose", "low_poly"]
#: How a model says "quad faces": Tripo's ``quad`` bool (answered as FBX), Rodin's
#: quad ``quality_mesh_option``, Hunyuan3D's LowPoly with ``polygon_type``.
QuadStyle = Literal["tripo", "rodin", "hunyuan", "none"]

DEFAULT_MODEL = CORE_DEFAULT_MODEL
#: The order multiview photos are given in (CLI --views, window slots).
VIEW_ORDER = ("front", "left", "back", "right")
NO_MODEL = "FAL_NO_MODEL"
WRONG_MODEL = "FAL_WRONG_MODEL"


class NeutralParameters(Protocol):
    """What every generator is asked for; core's JobParameters has this shape."""

    @property
    def face_limit(self) -> int | None: ...
    @property
    def texture(self) -> Texture: ...
    @property
    def pbr(self) -> bool: ...
    @property
    def seed(self) -> int | None: ...
    @property
    def quad(self) -> bool: ...
    @property
    def real_size(self) -> bool: ...
    @property
    def output_format(self) -> ModelFormat | None: ...
    @property
    def t_pose(self) -> bool: ...
    @property
    def low_poly(self) -> bool: ...


@dataclass(frozen=True)
class Multiview:
    """How a model takes 2–4 views of one object.

    ``named``: one field per view in VIEW_ORDER (front required); ``list``: one
    array field, views in VIEW_ORDER. ``endpoint`` is None when it is the
    single-image endpoint itself.
    """

    style: Literal["named", "list"]
    fields: tuple[str, ...]
    endpoint: str | None = None
    max_views: int = 4


#: When the shipped prices below were looked up (docs/fal-models.md): what a
#: price from the table says of itself ("table of 2026-12-01").
TABLE_DATE = "2026-12-01"


@dataclass(frozen=True)
class Price:
    """The shipped table's price: ``unit_usd`` per ``unit``, and how many units one
    generation takes by texture choice (None: not offered, or its price unknown).

    FAL's pricing API answers one unit price per endpoint; it replaces
    ``unit_usd`` only when its unit is this ``unit`` (``engines.fal.pricing``).
    ``official`` False means the figures were seen only in community code, not
    on FAL's page (shown to the user as an estimate either way).
    """

    unit: Literal["credit", "generation"]
    unit_usd: float
    units_no: float | None
    units_standard: float
    units_hd: float | None
    official: bool
    note: str
    #: Units a quad mesh adds (Tripo's quad: 5 credits, community [comm-tripo]).
    units_quad: float = 0.0

    def units(self, texture: Texture, *, quad: bool = False) -> float | None:
        base = {"no": self.units_no, "standard": self.units_standard, "HD": self.units_hd}[texture]
        return None if base is None else base + (self.units_quad if quad else 0.0)


@dataclass(frozen=True)
class Generator:
    name: str
    label: str
    good_at: str
    endpoint: str
    image_field: str
    #: The photo goes in as a one-element list (Rodin) instead of a string.
    image_is_list: bool
    seed_field: str | None
    seed_max: int | None
    face_field: str | None
    face_range: tuple[int, int] | None
    texture_style: TextureStyle
    pbr_style: PbrStyle
    #: Fixed fields sent with every request (today's Tripo v2.5 behaviour).
    fixed: Mapping[str, Any]
    #: Keys the model's output schema requires that tell its result from another
    #: model's (a rerouted request): the model file's own key, or Tripo v2.5's
    #: task id. Kept to the telling ones so a real result is never refused.
    output_required: tuple[str, ...]
    #: Result keys in preference order; "a.b" reads a nested key.
    model_keys: tuple[str, ...]
    preview_keys: tuple[str, ...]
    multiview: Multiview | None
    price: Price | None
    sources: tuple[str, ...]
    quad_style: QuadStyle = "none"
    #: Tripo's ``auto_size`` (real-world metres); None: not offered.
    real_size_field: str | None = None
    #: Rodin's ``geometry_file_format`` and the formats it takes.
    format_field: str | None = None
    formats: tuple[ModelFormat, ...] = ()
    #: Rodin's ``TAPose``.
    pose_field: str | None = None
    #: Hunyuan3D's ``generate_type: "LowPoly"``.
    takes_low_poly: bool = False

    @property
    def options(self) -> frozenset[Option]:
        """The generator options this model can honour (issue 22)."""
        taken: set[Option] = set()
        if self.quad_style != "none":
            taken.add("quad")
        if self.real_size_field:
            taken.add("real_size")
        if self.format_field:
            taken.add("output_format")
        if self.pose_field:
            taken.add("t_pose")
        if self.takes_low_poly:
            taken.add("low_poly")
        return frozenset(taken)

    @property
    def parameters(self) -> frozenset[Param]:
        """The neutral parameters this model can honour (the window shows only these)."""
        taken: set[Param] = {"texture"}
        if self.face_field:
            taken.add("face_limit")
        if self.pbr_style != "none":
            taken.add("pbr")
        if self.seed_field:
            taken.add("seed")
        return frozenset(taken)

    @property
    def textures(self) -> tuple[Texture, ...]:
        return _TEXTURES[self.texture_style]

    def estimate_usd(
        self, texture: Texture, unit_usd: float | None = None, *, quad: bool = False
    ) -> float | None:
        """Price of one generation with this texture choice, or None when unknown.

        ``unit_usd`` is FAL's current price of one ``price.unit`` (else the table's);
        ``quad`` adds what a quad mesh costs on this model.
        """
        if self.price is None:
            return None
        units = self.price.units(texture, quad=quad and self.quad_style == "tripo")
        if units is None:
            return None
        return round(units * (self.price.unit_usd if unit_usd is None else unit_usd), 4)

    @property
    def endpoints(self) -> tuple[str, ...]:
        """Every endpoint id of this model (single image first)."""
        multiview = self.multiview.endpoint if self.multiview else None
        return (self.endpoint, multiview) if multiview else (self.endpoint,)


@dataclass(frozen=True)
class ResultFile:
    """One file object of a result (``{url, content_type, file_name, file_size}``)."""

    url: str
    #: "glb", "fbx", "usdz", "obj", "mtl", "png"…: from its name, else its key.
    format: str
    role: Literal["model", "material", "texture"]
    file_name: str | None
    size: int | None
    #: Where in the result it was ("model_urls.fbx", "textures.0").
    key: str


@dataclass(frozen=True)
class Outputs:
    model_url: str
    preview_url: str | None
    #: The file objects themselves (``{url, content_type, file_name, file_size}``).
    model_file: Mapping[str, Any]
    preview_file: Mapping[str, Any] | None
    #: Every file of the result but the preview, the model first, each URL once.
    files: tuple[ResultFile, ...] = ()


_TEXTURES: dict[TextureStyle, tuple[Texture, ...]] = {
    "tripo_enum": ("no", "standard", "HD"),
    "tripo_bool_quality": ("no", "standard", "HD"),
    "bool": ("no", "standard"),
    "hunyuan_type": ("no", "standard"),
    "trellis_size": ("standard", "HD"),
    "always": ("standard",),
}

TRIPO_V25 = Generator(
    name="tripo-v2.5",
    label="Tripo v2.5",
    good_at="Balanced default: textured models of everyday objects, fast and cheap",
    endpoint="tripo3d/tripo/v2.5/image-to-3d",
    image_field="image_url",
    image_is_list=False,
    seed_field="seed",
    seed_max=None,
    face_field="face_limit",
    face_range=None,
    texture_style="tripo_enum",
    pbr_style="pbr",
    # Today's engine sends these two with every request.
    fixed={"texture_alignment": "original_image", "orientation": "default"},
    output_required=("task_id",),
    model_keys=("model_mesh", "pbr_model", "base_model"),
    preview_keys=("rendered_image",),
    # [fal-js-3d] TripoV25MultiviewTo3dInput: front_image_url required, the others optional.
    multiview=Multiview(
        style="named",
        fields=("front_image_url", "left_image_url", "back_image_url", "right_image_url"),
        endpoint="tripo3d/tripo/v2.5/multiview-to-3d",
    ),
    # $0.20/$0.30/$0.40 [comm-tripo], counted in Tripo's credits at $0.01 as FAL
    # prices its Tripo P1 [fal-p1-txt] (that v2.5 is billed in credits is assumed).
    price=Price(
        "credit", 0.01, 20, 30, 40, official=False, note="quad +$0.05 [comm-tripo]", units_quad=5
    ),
    sources=(
        "[fal-js-3d] TripoV25ImageTo3dInput/Output",
        "[fal-schemas] TripoV25ImageTo3dInput",
        "[comm-tripo] price",
    ),
    # [fal-schemas] TripoV25ImageTo3dInput: quad (forces FBX), auto_size.
    quad_style="tripo",
    real_size_field="auto_size",
)

TRIPO_H31 = Generator(
    name="tripo-h3.1",
    label="Tripo H3.1",
    good_at="High fidelity: detailed geometry and textures for hero objects",
    endpoint="tripo3d/h3.1/image-to-3d",
    image_field="image_url",
    image_is_list=False,
    # [comm-tripo] seed is model_seed on H3.1 and P1 (texture_seed exists too).
    seed_field="model_seed",
    seed_max=None,
    face_field="face_limit",
    # [fal-schemas] H31ImageTo3dInput.face_limit: integer, minimum 1000, maximum 2000000.
    face_range=(1_000, 2_000_000),
    texture_style="tripo_bool_quality",
    pbr_style="pbr",
    fixed={},
    # [fal-schemas] H31ImageTo3dOutput: model_mesh and model_urls required, rendered_image.
    output_required=("model_mesh",),
    model_keys=("model_mesh", "model_urls.glb"),
    preview_keys=("rendered_image",),
    # [fal-h31-mv] a separate endpoint taking image_urls[].
    multiview=Multiview(
        style="list", fields=("image_urls",), endpoint="tripo3d/h3.1/multiview-to-3d"
    ),
    # The quad's 5 credits are v2.5's community figure, assumed for H3.1 too.
    price=Price(
        "credit",
        0.01,
        20,
        30,
        40,
        official=False,
        note="detailed geometry +$0.20, quad +$0.05 [comm-tripo]",
        units_quad=5,
    ),
    sources=(
        "[fal-schemas] H31ImageTo3dInput/Output, H31MultiviewTo3dInput",
        "[fal-js-ep] H31ImageTo3dInput quad, auto_size",
        "[fal-h31-mv]",
        "[comm-tripo] price",
    ),
    quad_style="tripo",
    real_size_field="auto_size",
)

TRIPO_P1 = Generator(
    name="tripo-p1",
    label="Tripo P1",
    good_at="Low poly with clean topology (48–20,000 faces) for games and mobile",
    endpoint="tripo3d/p1/image-to-3d",
    image_field="image_url",
    image_is_list=False,
    seed_field="model_seed",
    seed_max=None,
    face_field="face_limit",
    face_range=(48, 20_000),
    texture_style="bool",
    pbr_style="none",
    fixed={},
    output_required=("model_mesh",),
    model_keys=("model_mesh", "model_urls.glb"),
    preview_keys=("rendered_image",),
    multiview=None,
    # [fal-p1-txt] "$0.01 per credits"; 40/50 credits per model [comm-tripo].
    price=Price("credit", 0.01, 40, 50, None, official=False, note="FAL bills P1 in credits"),
    sources=(
        "[fal-schemas] P1ImageTo3dInput/Output",
        "[fal-p1-txt] price unit",
        "[comm-tripo] credits per model",
    ),
)

HUNYUAN3D_V3 = Generator(
    name="hunyuan3d-v3",
    label="Hunyuan3D v3",
    good_at="Dense, detailed meshes (40k–1.5M faces) with PBR materials",
    endpoint="fal-ai/hunyuan3d-v3/image-to-3d",
    image_field="input_image_url",
    image_is_list=False,
    # [fal-js-3d] Hunyuan3dV3ImageTo3dInput has no seed field.
    seed_field=None,
    seed_max=None,
    face_field="face_count",
    face_range=(40_000, 1_500_000),
    texture_style="hunyuan_type",
    pbr_style="enable_pbr",
    fixed={},
    output_required=("model_glb",),
    model_keys=("model_glb", "model_urls.glb"),
    preview_keys=("thumbnail",),
    # Same endpoint: optional left/back/right_image_url next to input_image_url.
    multiview=Multiview(
        style="named",
        fields=("input_image_url", "left_image_url", "back_image_url", "right_image_url"),
    ),
    price=None,
    sources=(
        "[fal-js-3d] Hunyuan3dV3ImageTo3dInput/Output",
        "[fal-schemas] Hunyuan3dV3ImageTo3dInput",
        "[fal-js-ep] generate_type LowPoly, polygon_type, model_urls",
    ),
    quad_style="hunyuan",
    takes_low_poly=True,
)

TRELLIS_2 = Generator(
    name="trellis-2",
    label="TRELLIS.2",
    good_at="Open model (MIT); crisp shapes and up to 4K textures from one photo",
    endpoint="fal-ai/trellis-2",
    image_field="image_url",
    image_is_list=False,
    seed_field="seed",
    seed_max=None,
    # decimation_target counts vertices, not faces: not offered as a face limit.
    face_field=None,
    face_range=None,
    texture_style="trellis_size",
    pbr_style="none",
    fixed={},
    output_required=("model_glb",),
    model_keys=("model_glb",),
    preview_keys=(),
    multiview=None,
    # [comm-tripo] by resolution 512/1024/1536; we leave FAL's default 1024.
    price=Price(
        "generation", 0.30, None, 1, 1, official=False, note="$0.25/$0.30/$0.35 by resolution"
    ),
    sources=(
        "[fal-js-3d] Trellis2Input/Output",
        "[fal-schemas] Trellis2Input",
        "[fal-trellis2]",
        "[comm-tripo] price",
    ),
)

RODIN_V25 = Generator(
    name="rodin-v2.5",
    label="Hyper3D Rodin Gen-2.5",
    good_at="Production-ready assets; up to 5 photos of one object",
    endpoint="fal-ai/hyper3d/rodin/v2.5",
    image_field="image_urls",
    image_is_list=True,
    seed_field="seed",
    seed_max=65_535,
    # Rodin takes a quality_mesh_option enum ("Auto", "4K Quad" … "2M Triangle",
    # valid counts depending on the tier [fal-js-types]), not a face count: the
    # face limit is not offered.
    face_field=None,
    face_range=None,
    texture_style="always",
    pbr_style="rodin_material",
    fixed={},
    # [fal-js-types] Hyper3dRodinV25Output = Rodin v2's: model_mesh, seed, textures[]; no preview.
    output_required=("model_mesh",),
    model_keys=("model_mesh",),
    preview_keys=(),
    multiview=Multiview(style="list", fields=("image_urls",), max_views=5),
    price=Price(
        "generation",
        0.40,
        None,
        1,
        None,
        official=True,
        note="Extreme-High tier $0.80; HighPack +$0.80",
    ),
    sources=(
        "[fal-rodin25] fields and price",
        "[fal-js-types] Hyper3dRodinV25Input/Output",
        "[fal-js-3d] Hyper3dRodinV2Output",
        "[fal-js-ep] geometry_file_format, TAPose, quality_mesh_option",
    ),
    quad_style="rodin",
    format_field="geometry_file_format",
    formats=("glb", "usdz", "fbx", "obj", "stl"),
    pose_field="TAPose",
)

GENERATORS: Mapping[str, Generator] = {
    g.name: g for g in (TRIPO_V25, TRIPO_H31, TRIPO_P1, HUNYUAN3D_V3, TRELLIS_2, RODIN_V25)
}


def get(name: str) -> Generator:
    """Return the generator called ``name``; the error lists the valid names."""
    try:
        return GENERATORS[name]
    except KeyError:
        valid = ", ".join(GENERATORS)
        raise UnknownModelError(f"Unknown model {name!r}: choose one of {valid}.") from None


def by_endpoint(endpoint_id: str) -> Generator | None:
    """Return the generator one of whose endpoints is ``endpoint_id`` (resuming a saved job)."""
    for generator in GENERATORS.values():
        multiview = generator.multiview.endpoint if generator.multiview else None
        if endpoint_id in (generator.endpoint, multiview):
            return generator
    return None


def endpoint_for(generator: Generator, views: int) -> str:
    """The endpoint a request with ``views`` photos goes to."""
    if views > 1 and generator.multiview is not None and generator.multiview.endpoint:
        return generator.multiview.endpoint
    return generator.endpoint


def request_arguments(
    generator: Generator, image_urls: Sequence[str], parameters: NeutralParameters
) -> dict[str, Any]:
    """Build the submit body for one photo, or 2–4 views in VIEW_ORDER.

    Default parameters (no face limit, standard texture, no PBR, no seed) suit
    every model; a non-default one the model cannot express raises
    ``UnsupportedParameterError`` rather than being dropped silently.
    """
    arguments: dict[str, Any] = dict(generator.fixed)
    arguments.update(_image_arguments(generator, image_urls))
    arguments.update(_texture_arguments(generator, parameters.texture, parameters.pbr))
    if parameters.face_limit is not None:
        arguments.update(_face_arguments(generator, parameters.face_limit))
    if parameters.seed is not None:
        arguments.update(_seed_arguments(generator, parameters.seed))
    arguments.update(_option_arguments(generator, parameters))
    return arguments


#: Rodin's quad ``quality_mesh_option`` when quad is asked: the quad choice
#: nearest the "Auto" default of the tier we use (Gen-2.5-High: 500K Triangle) [fal-js-ep].
RODIN_QUAD = "200K Quad"


def _option_arguments(generator: Generator, parameters: NeutralParameters) -> dict[str, Any]:
    """The generator options (issue 22); a non-default one the model lacks is refused."""
    asked: dict[Option, bool] = {
        "quad": parameters.quad,
        "real_size": parameters.real_size,
        "output_format": parameters.output_format not in (None, "glb"),
        "t_pose": parameters.t_pose,
        "low_poly": parameters.low_poly,
    }
    for option, on in asked.items():
        if on and option not in generator.options:
            raise UnsupportedParameterError(option_refusal(generator.label, option))
    out: dict[str, Any] = {}
    if parameters.quad and generator.quad_style == "tripo":
        out["quad"] = True
    elif parameters.quad and generator.quad_style == "rodin":
        out["quality_mesh_option"] = RODIN_QUAD
    if generator.quad_style == "hunyuan" and (parameters.quad or parameters.low_poly):
        if parameters.texture == "no":
            raise UnsupportedParameterError(low_poly_without_texture(generator.label))
        # polygon_type "Only takes effect when GenerateType is LowPoly" [fal-js-ep].
        out["generate_type"] = "LowPoly"
        out["polygon_type"] = "quadrilateral" if parameters.quad else "triangle"
    if parameters.real_size and generator.real_size_field:
        out[generator.real_size_field] = True
    if parameters.output_format is not None and generator.format_field:
        if parameters.output_format not in generator.formats:
            choices = ", ".join(generator.formats)
            raise UnsupportedParameterError(
                f"{generator.label} writes {choices}; choose one of those formats."
            )
        out[generator.format_field] = parameters.output_format
    if parameters.t_pose and generator.pose_field:
        out[generator.pose_field] = True
    return out


def extract_outputs(generator: Generator, result: Mapping[str, Any]) -> Outputs:
    """Return the model file's and the preview's URLs from a result.

    A result without the fields the model's output schema requires is another
    model's (FAL rerouted the request despite ``x-fal-disable-fallbacks``): it
    fails the photo rather than saving a model nobody chose.
    """
    missing = [key for key in generator.output_required if key not in result]
    if missing:
        found = ", ".join(sorted(str(k) for k in result)[:6]) or "nothing"
        raise EngineError(
            f"FAL answered with a result that is not {generator.label}'s (it holds {found}); "
            "nothing was saved. Retry the photo to ask that model again.",
            code=WRONG_MODEL,
        )
    model = _first_file(result, generator.model_keys)
    if model is None:
        raise OutputError(
            f"{generator.label} finished without a model file; retry the photo.", code=NO_MODEL
        )
    preview = _first_file(result, generator.preview_keys)
    return outputs_of(result, model, preview)


def outputs_of(
    result: Mapping[str, Any], model: Mapping[str, Any], preview: Mapping[str, Any] | None
) -> Outputs:
    """The model (a GLB when the result holds one), the preview, and every other file.

    Every file object of the result is kept (``model_urls``' FBX, OBJ, USDZ,
    Rodin's ``model_meshes`` and ``textures``…), found by walking the result, so
    a field FAL adds later is kept too; the preview is saved as the preview.
    """
    preview_url = str(preview["url"]) if preview else None
    found = [f for f in result_files(result) if f.url != preview_url]
    chosen = _file_entry("model", model)
    if chosen.format != "glb":
        # Tripo's quad answers FBX as its model; a GLB beside it is what the preview shows.
        chosen = next((f for f in found if f.format == "glb"), chosen)
    files = (chosen, *(f for f in found if f.url != chosen.url))
    main = (
        model
        if chosen.url == str(model["url"])
        else {
            "url": chosen.url,
            "file_name": chosen.file_name,
            "file_size": chosen.size,
        }
    )
    return Outputs(chosen.url, preview_url, main, preview, files)


#: What a file's format says of its role.
_MATERIALS = frozenset({"mtl"})
_IMAGE_FORMATS = frozenset({"png", "jpg", "jpeg", "webp"})


def result_files(result: Mapping[str, Any]) -> list[ResultFile]:
    """Every file object in a result, depth first in key order, each URL once."""
    seen: set[str] = set()
    out: list[ResultFile] = []

    def walk(node: Any, key: str) -> None:
        if isinstance(node, Mapping):
            url = node.get("url")
            if isinstance(url, str) and url:
                if url not in seen:
                    seen.add(url)
                    out.append(_file_entry(key, node))
                return
            for name, value in node.items():
                walk(value, f"{key}.{name}" if key else str(name))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{key}.{index}")

    walk(result, "")
    return out


def _file_entry(key: str, node: Mapping[str, Any]) -> ResultFile:
    name = node.get("file_name")
    file_name = str(name) if isinstance(name, str) and name else None
    # The name FAL gave, else the URL's last part ("…/model.glb").
    named = file_name or str(node["url"]).split("?", 1)[0].rsplit("/", 1)[-1]
    suffix = named.rsplit(".", 1)[-1].lower() if "." in named else ""
    if not suffix.isalnum():
        suffix = ""
    if not suffix:
        suffix = _format_from(str(node.get("content_type") or ""), key)
    role: Literal["model", "material", "texture"] = (
        "material" if suffix in _MATERIALS else "texture" if suffix in _IMAGE_FORMATS else "model"
    )
    size = node.get("file_size")
    return ResultFile(
        url=str(node["url"]),
        format=suffix,
        role=role,
        file_name=file_name,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        key=key,
    )


def _format_from(content_type: str, key: str) -> str:
    known = {
        "model/gltf-binary": "glb",
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/webp": "webp",
        "model/vnd.usdz+zip": "usdz",
    }
    if content_type in known:
        return known[content_type]
    last = key.rsplit(".", 1)[-1].lower()
    return last if last.isalpha() else "bin"


def _image_arguments(generator: Generator, urls: Sequence[str]) -> dict[str, Any]:
    if not urls:
        raise UnsupportedParameterError("Give at least one photo.")
    if len(urls) == 1:
        return {generator.image_field: [urls[0]] if generator.image_is_list else urls[0]}
    multiview = generator.multiview
    if multiview is None:
        raise UnsupportedParameterError(
            f"{generator.label} makes a model from one photo; choose a model that takes views."
        )
    if len(urls) > min(multiview.max_views, len(VIEW_ORDER)):
        raise UnsupportedParameterError(
            f"Give at most {len(VIEW_ORDER)} views: {', '.join(VIEW_ORDER)}."
        )
    if multiview.style == "list":
        return {multiview.fields[0]: list(urls)}
    return dict(zip(multiview.fields, urls, strict=False))


def _texture_arguments(generator: Generator, texture: Texture, pbr: bool) -> dict[str, Any]:
    if texture not in generator.textures:
        choices = " or ".join(repr(t) for t in generator.textures)
        raise UnsupportedParameterError(
            f"{generator.label} cannot make texture {texture!r}; choose {choices}."
        )
    if pbr and generator.pbr_style == "none":
        raise UnsupportedParameterError(f"{generator.label} has no PBR option; turn PBR off.")
    if pbr and texture == "no":
        # PBR materials are texture maps: Tripo would texture (and bill as
        # textured) a model asked for without one ("If this option is set to
        # True, texture will be ignored and used as True" [fal-schemas]).
        raise UnsupportedParameterError(pbr_without_texture(generator.label))
    style = generator.texture_style
    out: dict[str, Any] = {}
    if style == "tripo_enum":
        out["texture"] = texture
    elif style == "tripo_bool_quality":
        out["texture"] = texture != "no"
        if texture != "no":
            out["texture_quality"] = "detailed" if texture == "HD" else "standard"
    elif style == "bool":
        out["texture"] = texture != "no"
    elif style == "hunyuan_type":
        out["generate_type"] = "Geometry" if texture == "no" else "Normal"
    elif style == "trellis_size" and texture == "HD":
        # [fal-js-3d] Trellis2Input.texture_size: 1024 | 2048 | 4096; standard keeps FAL's default.
        out["texture_size"] = 4096
    if generator.pbr_style == "pbr":
        out["pbr"] = pbr
    elif generator.pbr_style == "enable_pbr":
        out["enable_pbr"] = pbr
    elif generator.pbr_style == "rodin_material":
        out["material"] = "PBR" if pbr else "Shaded"
    return out


def _face_arguments(generator: Generator, face_limit: int) -> dict[str, Any]:
    if generator.face_field is None:
        raise UnsupportedParameterError(f"{generator.label} has no face limit; set it to Auto.")
    if generator.face_range is not None:
        low, high = generator.face_range
        if not low <= face_limit <= high:
            raise UnsupportedParameterError(
                f"{generator.label} makes {low:,}–{high:,} faces; set a face limit in that range."
            )
    return {generator.face_field: face_limit}


def _seed_arguments(generator: Generator, seed: int) -> dict[str, Any]:
    if generator.seed_field is None:
        raise UnsupportedParameterError(f"{generator.label} takes no seed; leave it empty.")
    if generator.seed_max is not None and seed > generator.seed_max:
        raise UnsupportedParameterError(
            f"{generator.label} takes seeds 0–{generator.seed_max}; choose one in that range."
        )
    out = {generator.seed_field: seed}
    if generator is TRIPO_V25:
        # Today's behaviour: one seed fixes both the shape and the texture.
        out["texture_seed"] = seed
    return out


def _first_file(result: Mapping[str, Any], keys: Sequence[str]) -> Mapping[str, Any] | None:
    for key in keys:
        node: Any = result
        for part in key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("url"), str) and node["url"]:
            return node
    return None
