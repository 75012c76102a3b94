"""The engine picker's entries: Automatic, Offline, and one line per FAL generator.

Each entry's data is an ``(engine, model)`` pair: FAL's entries name their model,
the others None. The words (label, what it is good at) come from the FAL engine's
parameter policy (engines/fal/policy.py), never from here; the price and where it
comes from from a ``PriceOf`` (the upload page asks the job service, which knows
FAL's own prices; without one, the shipped table's).
"""

from __future__ import annotations

from collections.abc import Callable

from image2model_desktop.core.models import (
    DEFAULT_MODEL,
    EngineChoice,
    JobParameters,
    TextureQuality,
)
from image2model_desktop.core.parameters import EngineParameters
from image2model_desktop.gui.qt import QComboBox, Qt

Choice = tuple[EngineChoice, str | None]
#: One model's price in USD for one texture choice and where it comes from
#: ("FAL, today", "table of 2026-12-01"); a None price is one FAL does not publish.
PriceOf = Callable[[EngineParameters, TextureQuality], tuple[float | None, str]]

AUTOMATIC = "Automatic — FAL when a key is set, else offline"
OFFLINE = "Offline — on this computer, free"


def fal_catalog() -> EngineParameters:
    from image2model_desktop.engines import ENGINE_PARAMETERS

    return ENGINE_PARAMETERS["fal"]


def table_price(policy: EngineParameters, texture: TextureQuality) -> tuple[float | None, str]:
    """The shipped table's price (what the picker shows until FAL's own is known)."""
    from image2model_desktop.engines.fal.registry import TABLE_DATE

    return policy.estimate_usd(texture), f"table of {TABLE_DATE}"


def price_words(policy: EngineParameters, price_of: PriceOf = table_price) -> str:
    """``~$0.30/model (FAL, today)`` for the standard texture (or the model's first)."""
    texture: TextureQuality = "standard"
    if policy.textures and texture not in policy.textures:
        texture = policy.textures[0]
    price, source = price_of(policy, texture)
    return "price unknown" if price is None else f"~${price:.2f}/model ({source})"


def model_line(policy: EngineParameters, price_of: PriceOf = table_price) -> str:
    """One line of the picker: ``FAL Tripo v2.5 — good at … · ~$0.30/model (source)``."""
    name = policy.label.removeprefix("FAL's ")
    views = " · multiview" if policy.max_views > 1 else ""
    return f"FAL {name} — {policy.good_at} · {price_words(policy, price_of)}{views}"


def engine_choices(price_of: PriceOf = table_price) -> list[tuple[str, Choice]]:
    """Every entry of the picker, in order, with its (engine, model) data."""
    items: list[tuple[str, Choice]] = [(AUTOMATIC, ("auto", None)), (OFFLINE, ("offline", None))]
    for policy in fal_catalog().models:
        items.append((model_line(policy, price_of), ("fal", policy.model)))
    return items


def choice_of(parameters: JobParameters) -> Choice:
    """The picker entry for these parameters (FAL: its model; others: none)."""
    if parameters.engine == "fal":
        return ("fal", parameters.model or DEFAULT_MODEL)
    return (parameters.engine, None)


def model_policy(choice: Choice, resolved: EngineParameters | None) -> EngineParameters | None:
    """The policy to show: the chosen FAL model's, else what the engine resolved to."""
    engine, model = choice
    if engine == "fal" and model is not None:
        return fal_catalog().for_model(model)
    if resolved is not None and resolved.models:
        return resolved.for_model(None)
    return resolved


#: The item role holding an entry's FAL model (its display data stays the engine
#: name, so ``findData("fal")`` finds the default model's entry).
MODEL_ROLE = 0x0101  # Qt.ItemDataRole.UserRole + 1


def add_engine_choices(combo: QComboBox) -> None:
    for label, (engine, model) in engine_choices():
        combo.addItem(label, engine)
        if model is not None:
            combo.setItemData(combo.count() - 1, model, MODEL_ROLE)
            combo.setItemData(combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)


def relabel_engine_choices(combo: QComboBox, price_of: PriceOf) -> None:
    """Write each FAL entry's line again with ``price_of``'s prices (the choice stays)."""
    lines = {model: label for label, (_, model) in engine_choices(price_of) if model}
    for index in range(combo.count()):
        label = lines.get(combo.itemData(index, MODEL_ROLE))
        if label is not None:
            combo.setItemText(index, label)
            combo.setItemData(index, label, Qt.ItemDataRole.ToolTipRole)


def choice_index(combo: QComboBox, parameters: JobParameters) -> int:
    engine, model = choice_of(parameters)
    for index in range(combo.count()):
        if combo.itemData(index) == engine and combo.itemData(index, MODEL_ROLE) == model:
            return index
    return max(0, combo.findData(engine))


def taken_only(parameters: JobParameters, policy: EngineParameters | None) -> JobParameters:
    """Neutral values for what a FAL model does not take (its controls are hidden)."""
    if policy is None or policy.model is None:
        return parameters
    update: dict[str, object] = {}
    if not policy.takes_face_limit:
        update["face_limit"] = None
    if not policy.pbr or (policy.pbr_needs_texture and parameters.texture == "no"):
        # PBR without a texture is refused on such a model (its checkbox is greyed).
        update["pbr"] = False
    if not policy.seed:
        update["seed"] = None
    if policy.textures and parameters.texture not in policy.textures:
        update["texture"] = policy.textures[0]
    return parameters.model_copy(update=update) if update else parameters


def fal_name(policy: EngineParameters | None) -> str:
    """``FAL Tripo v2.5`` for the chosen model's policy."""
    if policy is None or policy.model is None:
        return "FAL"
    return "FAL " + policy.label.removeprefix("FAL's ")
