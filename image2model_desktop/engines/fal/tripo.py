"""Tripo3D v2.5's request body as the engine sent it before the registry: the reference
that ``registry.request_arguments(TRIPO_V25, …)`` must keep matching (tests compare
the two), so the default model's requests stay exactly what they were.

Tripo3D v2.5 image-to-3D on FAL (``tripo3d/tripo/v2.5/image-to-3d``), the default model.

Inputs (FAL's schema for this endpoint): ``image_url`` (required), ``seed``,
``texture_seed``, ``face_limit``, ``pbr``, ``texture`` (``no|standard|HD``),
``texture_alignment``, ``orientation``… Outputs: ``model_mesh`` (fallbacks
``pbr_model``, ``base_model``) and ``rendered_image``, each ``{url,
content_type, file_name, file_size}``.

Face limit: FAL's schema for this endpoint gives ``face_limit`` as an optional
integer ("if not set, the face limit is adaptively determined") with no minimum
or maximum — FAL's page https://fal.ai/models/tripo3d/tripo/v2.5/image-to-3d/api
and ``TripoV25ImageTo3dInput`` in fal-ai/fal-js
libs/client/src/types/3d/types.gen.ts @53241327, generated from FAL's OpenAPI.
FAL answers 422 to a non-positive value, so the range here is 1 to 2,000,000:
the bound this app has always sent, kept so no value that worked before is refused.
"""

from __future__ import annotations

from typing import Any

from image2model_desktop.core.models import JobParameters

ENDPOINT = "tripo3d/tripo/v2.5/image-to-3d"


def tripo_arguments(image_url: str, parameters: JobParameters) -> dict[str, Any]:
    """Build Tripo v2.5's input from the job's parameters."""
    arguments: dict[str, Any] = {
        "image_url": image_url,
        "texture": parameters.texture,
        "pbr": parameters.pbr,
        "texture_alignment": "original_image",
        "orientation": "default",
    }
    if parameters.face_limit is not None:
        arguments["face_limit"] = parameters.face_limit
    if parameters.seed is not None:
        arguments["seed"] = parameters.seed
        arguments["texture_seed"] = parameters.seed
    return arguments
