"""What the offline engine accepts: read by the engine, its builder and every front end."""

from __future__ import annotations

from image2model_desktop.core.parameters import EngineParameters, FaceLimitRange

#: Below 100 faces a grid cannot describe any silhouette. Above, the grid is
#: capped by the 512-pixel analysis size, so large limits are accepted and
#: simply not reached. Texture, PBR and seed mean nothing to this algorithm.
PARAMETERS = EngineParameters(
    engine="offline",
    label="the offline engine",
    face_limit=FaceLimitRange(minimum=100, maximum=2_000_000, default=20_000),
    textures=(),
    pbr=False,
    seed=False,
)
