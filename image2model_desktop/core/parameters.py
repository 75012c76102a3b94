"""One parameter policy: what each engine accepts, declared once, checked at submission.

Every engine declares an ``EngineParameters`` (face-limit range and default,
texture choices, whether PBR and seed mean anything to it). The job service
checks a batch's ``JobParameters`` against the engine it resolves to before
anything is stored; front ends read the same declarations for their bounds
(``JobService.parameter_policy``) instead of keeping their own.

An engine with several models (FAL's generators) declares one policy per model
in ``models``; the policy of the batch's ``JobParameters.model`` is the one
checked, and a model takes only the parameters it can express (TRELLIS.2 has
no face limit, Hunyuan3D v3 no seed…).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from image2model_desktop.core.errors import ParameterError

from .models import EngineName, JobParameters, TextureQuality


@dataclass(frozen=True)
class FaceLimitRange:
    minimum: int
    maximum: int
    #: What the engine uses when the user leaves it on Auto (None: the engine decides).
    default: int | None

    def describe(self) -> str:
        return f"{self.minimum:,} to {self.maximum:,}"


@dataclass(frozen=True)
class EngineParameters:
    """What one engine does with each field of ``JobParameters``."""

    engine: EngineName
    #: Shown in sentences: "the offline engine", "FAL's Tripo v2.5".
    label: str
    face_limit: FaceLimitRange
    #: Texture qualities the engine honours; empty when it ignores the field.
    textures: tuple[TextureQuality, ...]
    #: True when the engine honours ``pbr`` / ``seed``; otherwise they are ignored.
    pbr: bool
    seed: bool
    #: The model this policy describes (None: the engine has no choice of models).
    model: str | None = None
    #: One line on what the model is good at (pickers and ``image2model models``).
    good_at: str = ""
    #: False when the model has no face limit at all (only Auto is possible).
    takes_face_limit: bool = True
    seed_max: int = 2**31 - 1
    #: Photos of one object the model can take at once (1: no multiview).
    max_views: int = 1
    #: True when PBR asks for texture maps: PBR with texture "no" is refused
    #: (the engine would texture, and bill, a model asked for without one).
    pbr_needs_texture: bool = False
    #: USD per model by texture quality; a None value is an unknown price; a
    #: None map is a free engine.
    price_usd: Mapping[TextureQuality, float | None] | None = None
    #: The generator options the model honours (issue 22): "quad", "real_size",
    #: "output_format", "t_pose", "low_poly" (``JobParameters``' fields of those names).
    options: frozenset[str] = frozenset()
    #: The model file formats ``output_format`` may name (empty: GLB only).
    output_formats: tuple[str, ...] = ()
    #: Options that need a texture (Hunyuan3D's LowPoly: its untextured type is Geometry).
    options_need_texture: frozenset[str] = frozenset()
    #: USD a quad mesh adds to a model's price (None: unknown; 0: nothing).
    quad_usd: float | None = 0.0
    #: The engine's models, the default first (empty: the engine has one).
    models: tuple[EngineParameters, ...] = field(default=(), repr=False)

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(m.model or "" for m in self.models)

    def for_model(self, name: str | None) -> EngineParameters:
        """The policy of model ``name`` (the default when None); unknown: ``ParameterError``."""
        if not self.models:
            return self
        if name is None:
            return self.models[0]
        for policy in self.models:
            if policy.model == name:
                return policy
        valid = ", ".join(self.model_names)
        raise ParameterError(
            "model",
            f"Unknown model {name!r}: choose one of {valid}.",
            {"choices": list(self.model_names)},
        )

    def check_views(self, model: str | None, count: int) -> None:
        """Refuse ``count`` photos of one object for a model that cannot take them."""
        policy = self.for_model(model)
        if count <= 1 or count <= policy.max_views:
            return
        able = [m.model or "" for m in self.models if m.max_views >= count]
        if policy.max_views <= 1:
            sentence = f"{policy.label} makes a model from one photo"
        else:
            sentence = f"{policy.label} takes at most {policy.max_views} views"
        choose = f"; use {', '.join(able)}" if able else ""
        raise ParameterError("views", f"{sentence}{choose}.", {"choices": able})

    def estimate_usd(self, texture: TextureQuality, *, quad: bool = False) -> float | None:
        """Price of one model with this texture (None: free or unknown, see ``price_usd``)."""
        base = None if self.price_usd is None else self.price_usd.get(texture)
        if base is None or not quad:
            return base
        return None if self.quad_usd is None else round(base + self.quad_usd, 4)

    def check(self, parameters: JobParameters) -> None:
        """Raise ``ParameterError`` naming the field and the valid range."""
        if self.models:
            self.for_model(parameters.model).check(parameters)
            return
        limit = parameters.face_limit
        bounds = self.face_limit
        if limit is not None and self.model is not None and not self.takes_face_limit:
            raise ParameterError(
                "face_limit", f"{self.label} takes no face limit; leave it on Auto.", {}
            )
        if self.model is not None:
            self._check_model_only(parameters)
        self._check_options(parameters)
        if limit is not None and not bounds.minimum <= limit <= bounds.maximum:
            raise ParameterError(
                "face_limit",
                f"The face limit must be a whole number from {bounds.describe()} for "
                f"{self.label} (got {limit:,}).",
                {"minimum": bounds.minimum, "maximum": bounds.maximum},
            )
        if self.textures and parameters.texture not in self.textures:
            choices = ", ".join(self.textures)
            raise ParameterError(
                "texture",
                f"The texture must be one of {choices} for {self.label}.",
                {"choices": list(self.textures)},
            )

    def _check_options(self, parameters: JobParameters) -> None:
        """Refuse a generator option this engine or model cannot honour (issue 22)."""
        asked = {
            "quad": parameters.quad,
            "real_size": parameters.real_size,
            "output_format": parameters.output_format not in (None, "glb"),
            "t_pose": parameters.t_pose,
            "low_poly": parameters.low_poly,
        }
        for option, on in asked.items():
            if on and option not in self.options:
                raise ParameterError(option, option_refusal(self.label, option), {})
            if on and option in self.options_need_texture and parameters.texture == "no":
                raise ParameterError(option, low_poly_without_texture(self.label), {})
        fmt = parameters.output_format
        if fmt not in (None, "glb") and fmt not in self.output_formats:
            choices = ", ".join(self.output_formats)
            raise ParameterError(
                "output_format",
                f"{self.label} writes {choices}; choose one of those formats.",
                {"choices": list(self.output_formats)},
            )

    def _check_model_only(self, parameters: JobParameters) -> None:
        # A model's own policy refuses what it cannot express; the offline
        # engine's keeps ignoring PBR and seed as it always did.
        if parameters.pbr and not self.pbr:
            raise ParameterError("pbr", f"{self.label} has no PBR option; turn PBR off.", {})
        if parameters.pbr and parameters.texture == "no" and self.pbr_needs_texture:
            raise ParameterError("pbr", pbr_without_texture(self.label), {})
        seed = parameters.seed
        if seed is not None and not self.seed:
            raise ParameterError("seed", f"{self.label} takes no seed; leave it empty.", {})
        if seed is not None and seed > self.seed_max:
            raise ParameterError(
                "seed",
                f"The seed must be a whole number from 0 to {self.seed_max:,} for {self.label}.",
                {"minimum": 0, "maximum": self.seed_max},
            )


#: How each generator option is refused, after the engine's label.
_OPTION_REFUSALS = {
    "quad": "makes no quad meshes; turn Quad off",
    "real_size": "cannot size models in real-world metres; turn Real size off",
    "output_format": "returns GLB only; leave the format on GLB",
    "t_pose": "has no T/A pose; turn T-pose off",
    "low_poly": "has no low-poly mode; turn Low poly off",
}


def option_refusal(label: str, option: str) -> str:
    """The sentence for a generator option a model cannot honour."""
    return f"{label} {_OPTION_REFUSALS[option]}."


def low_poly_without_texture(label: str) -> str:
    """The sentence for a low-poly or quad model asked without a texture (Hunyuan3D)."""
    return (
        f"{label} makes low-poly and quad models only with a texture (its untextured type is "
        "plain geometry); choose texture standard or turn Low poly and Quad off."
    )


def pbr_without_texture(label: str) -> str:
    """The sentence for PBR asked on a model without texture (``pbr_needs_texture``)."""
    return (
        f"{label} makes PBR materials only on a textured model; choose a texture "
        "(standard or HD) or turn PBR off."
    )


def face_limit_sentence(policy: EngineParameters, value: object) -> str:
    """The sentence for a face limit that is not even a whole number."""
    return (
        f"The face limit must be a whole number from {policy.face_limit.describe()} for "
        f"{policy.label} (got {value!r})."
    )
