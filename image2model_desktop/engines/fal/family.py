"""What the FAL engine needs to know of one model family on FAL.

Each family module (``tripo``…) builds one ``FalModel``: its endpoint, how our
parameters map to its input fields, where its outputs are in the result, its
parameter policy and its price. The engine's flow is the same for all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.parameters import EngineParameters


@dataclass(frozen=True)
class FalModel:
    #: FAL's application id, e.g. ``tripo3d/tripo/v2.5/image-to-3d``.
    endpoint: str
    parameters: EngineParameters
    #: Builds the request's input from the uploaded photo's URL and the job's parameters.
    arguments: Callable[[str, JobParameters], dict[str, Any]]
    #: USD per model for these parameters.
    price: Callable[[JobParameters], float]
    #: Result keys that may hold the model file, best first.
    model_keys: tuple[str, ...]
    #: Result key of the rendered preview image, if the family sends one.
    preview_key: str | None = None
    #: A first guess of one generation's duration, before any history exists.
    expected_seconds: float = 60.0
