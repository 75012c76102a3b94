"""Each FAL generator's parameter policy, derived from its registry record.

Core checks a batch against these (``core.parameters``); the window shows only
the controls a model takes; ``image2model models`` prints them as a table.
"""

from __future__ import annotations

import dataclasses

from image2model_desktop.core.models import TextureQuality
from image2model_desktop.core.parameters import EngineParameters, FaceLimitRange

from .registry import GENERATORS, VIEW_ORDER, Generator

#: FAL answers 422 to a non-positive face limit and its schema gives Tripo v2.5 no
#: bounds; 2,000,000 is the bound this app has always sent (docs/fal-models.md).
_OPEN_FACE_RANGE = (1, 2_000_000)


def model_policy(generator: Generator) -> EngineParameters:
    low, high = generator.face_range or _OPEN_FACE_RANGE
    # Every FAL model is billed: an unknown price is None per texture, never "free".
    price: dict[TextureQuality, float | None] = {
        texture: generator.estimate_usd(texture) for texture in ("no", "standard", "HD")
    }
    # The app offers front/left/back/right, even where a model takes more (Rodin: 5).
    views = min(generator.multiview.max_views, len(VIEW_ORDER)) if generator.multiview else 1
    return EngineParameters(
        engine="fal",
        label=f"FAL's {generator.label}",
        face_limit=FaceLimitRange(minimum=low, maximum=high, default=None),
        textures=generator.textures,
        pbr="pbr" in generator.parameters,
        seed="seed" in generator.parameters,
        model=generator.name,
        good_at=generator.good_at,
        takes_face_limit="face_limit" in generator.parameters,
        seed_max=generator.seed_max or 2**31 - 1,
        max_views=views,
        pbr_needs_texture=generator.pbr_style in ("pbr", "enable_pbr"),
        price_usd=price,
        options=frozenset(generator.options),
        output_formats=generator.formats,
        options_need_texture=(
            frozenset({"quad", "low_poly"}) if generator.quad_style == "hunyuan" else frozenset()
        ),
        quad_usd=_quad_usd(generator),
    )


def _quad_usd(generator: Generator) -> float | None:
    """What a quad mesh adds to one model's price (None when the model's price is unknown)."""
    standard = generator.estimate_usd("standard")
    quad = generator.estimate_usd("standard", quad=True)
    return None if standard is None or quad is None else round(quad - standard, 4)


_POLICIES = tuple(model_policy(g) for g in GENERATORS.values())

#: The FAL engine's policy: the default model's, listing every model.
FAL_PARAMETERS = dataclasses.replace(_POLICIES[0], models=_POLICIES)
