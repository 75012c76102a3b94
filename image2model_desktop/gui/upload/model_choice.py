"""The engine picker's entries: Automatic, Offline, and one line per FAL generator.

Each entry's data is an ``(engine, model)`` pair: FAL's entries name their model,
the others None. The words (label, what it is good at, estimated price) come from
the FAL engine's parameter policy (engines/fal/policy.py), never from here.
"""

from __future__ import annotations

from image2model_desktop.core.models import DEFAULT_MODEL, EngineChoice, JobParameters
from image2model_desktop.core.parameters import EngineParameters
from image2model_desktop.gui.qt import QComboBox, Qt

Choice = tuple[EngineChoice, str | None]

AUTOMATIC = "Automatic — FAL when a key is set, else offline"
OFFLINE = "Offline — on this computer, free"


def fal_catalog() -> EngineParameters:
    from image2model_desktop.engines import ENGINE_PARAMETERS

    return ENGINE_PARAMETERS["fal"]


def price_words(policy: EngineParameters, parameters: JobParameters | None = None) -> str:
    """``~$0.30/model`` for the current texture (or the standard one), or ``price unknown``."""
    texture = parameters.texture if parameters is not None else "standard"
    if texture not in policy.textures:
        texture = policy.textures[0]
    price = policy.estimate_usd(texture)
    return "price unknown" if price is None else f"~${price:.2f}/model"


def model_line(policy: EngineParameters) -> str:
    """One line of the picker: ``FAL Tripo v2.5 — what it is good at · ~$0.30/model``."""
    name = policy.label.removeprefix("FAL's ")
    views = " · multiview" if policy.max_views > 1 else ""
    return f"FAL {name} — {policy.good_at} · {price_words(policy)}{views}"


def engine_choices() -> list[tuple[str, Choice]]:
    """Every entry of the picker, in order, with its (engine, model) data."""
    items: list[tuple[str, Choice]] = [(AUTOMATIC, ("auto", None)), (OFFLINE, ("offline", None))]
    for policy in fal_catalog().models:
        items.append((model_line(policy), ("fal", policy.model)))
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
    if not policy.pbr:
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
