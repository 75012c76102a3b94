"""One parameter policy: what each engine accepts, declared once, checked at submission.

Every engine declares an ``EngineParameters`` (face-limit range and default,
texture choices, whether PBR and seed mean anything to it). The job service
checks a batch's ``JobParameters`` against the engine it resolves to before
anything is stored; front ends read the same declarations for their bounds
(``JobService.parameter_policy``) instead of keeping their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SetupError
from .models import EngineName, JobParameters, TextureQuality


class ParameterError(SetupError):
    """A parameter is outside what the chosen engine accepts (CLI exit 2, HTTP 400)."""

    code = "INVALID_PARAMETER"

    def __init__(self, field: str, message: str, allowed: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.field = field
        #: What the field accepts, for machine-readable answers (``minimum``, ``choices``…).
        self.allowed = allowed or {}


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

    def check(self, parameters: JobParameters) -> None:
        """Raise ``ParameterError`` naming the field and the valid range."""
        limit = parameters.face_limit
        bounds = self.face_limit
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


def face_limit_sentence(policy: EngineParameters, value: object) -> str:
    """The sentence for a face limit that is not even a whole number."""
    return (
        f"The face limit must be a whole number from {policy.face_limit.describe()} for "
        f"{policy.label} (got {value!r})."
    )
