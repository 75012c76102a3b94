"""Choosing FAL's generators in the terminal: ``image2model models``, and ``generate``'s
``--model NAME[,NAME…]`` (several names: compare, each photo through each model) and
``--views FRONT LEFT [BACK [RIGHT]]`` (one model from 2–4 photos of one object).

The facts come from the FAL engine's parameter policy (engines/fal/policy.py, built
from the registry); this module only reads them and words them for a terminal.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from image2model_desktop.core.errors import SetupError
from image2model_desktop.core.intake import (
    BatchEntry,
    StagedInput,
    compare_entries,
    entry_models,
    multiview_entry,
)
from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.parameters import EngineParameters

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

VIEW_NAMES = ("front", "left", "back", "right")


def fal_policy() -> EngineParameters:
    from image2model_desktop.engines import ENGINE_PARAMETERS

    return ENGINE_PARAMETERS["fal"]


def add_models_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands.add_parser(
        "models", help="list FAL's generators: what each is good at, multiview, price"
    )


def add_model_arguments(gen: argparse.ArgumentParser) -> None:
    gen.add_argument(
        "--model",
        default=None,
        metavar="NAME[,NAME]",
        help="FAL's generator (see `image2model models`); several, comma-separated: "
        "each photo through each, to compare",
    )
    gen.add_argument(
        "--views",
        nargs="+",
        type=str,
        default=None,
        metavar="PHOTO",
        help="FRONT LEFT [BACK [RIGHT]]: one model from 2-4 photos of one object",
    )


def run_models(args: argparse.Namespace) -> int:
    """Print the table of generators."""
    print(models_table(fal_policy()))
    return 0


def price_text(policy: EngineParameters) -> str:
    """``$0.30`` per model with a standard texture (the cheapest choice it has), or unknown."""
    prices = [p for t in policy.textures if (p := policy.estimate_usd(t)) is not None]
    if not prices:
        return "unknown"
    low, high = min(prices), max(prices)
    return f"${low:.2f}" if low == high else f"${low:.2f}–{high:.2f}"


def multiview_text(policy: EngineParameters) -> str:
    return f"{policy.max_views} views" if policy.max_views > 1 else "no"


def models_table(catalog: EngineParameters) -> str:
    rows = [("NAME", "GOOD AT", "MULTIVIEW", "PRICE (USD/model, estimate)")]
    for policy in catalog.models:
        default = " (default)" if policy is catalog.models[0] else ""
        rows.append(
            (
                f"{policy.model}{default}",
                policy.good_at,
                multiview_text(policy),
                price_text(policy),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def requested_models(args: argparse.Namespace) -> list[str]:
    """The names given to --model (empty: none given)."""
    if args.model is None:
        return []
    names = [name.strip() for name in str(args.model).split(",")]
    if not all(names):
        raise SetupError(
            "--model takes model names separated by commas, e.g. tripo-v2.5,trellis-2."
        )
    return list(dict.fromkeys(names))


def check_request(
    args: argparse.Namespace, models: Sequence[str], engine: str, parameters: JobParameters
) -> None:
    """Refuse, in one sentence, a model or views request the engine cannot honour (exit 2)."""
    views = args.views or []
    if views and args.inputs:
        raise SetupError("Give either photos or --views, not both.")
    if views and not 2 <= len(views) <= len(VIEW_NAMES):
        raise SetupError("--views takes 2 to 4 photos of one object: FRONT LEFT [BACK [RIGHT]].")
    if views and len(models) > 1:
        raise SetupError("--views makes one model with one generator; give one --model.")
    if engine != "fal":
        if models:
            raise SetupError("--model chooses one of FAL's generators; use it with --engine fal.")
        if views:
            raise SetupError(
                "--views needs a FAL generator that takes views, e.g. --engine fal "
                "--model tripo-v2.5."
            )
        return
    catalog = fal_policy()
    for name in models:
        catalog.check(parameters.model_copy(update={"model": name}))
    if views:
        catalog.check_views(parameters.model, len(views))


def plan_entries(
    entries: Sequence[BatchEntry], args: argparse.Namespace, models: Sequence[str]
) -> list[BatchEntry]:
    """The batch: one multiview entry, each photo once per model (compare), or as given."""
    if args.views:
        return [multiview_entry(entries)]
    if len(models) > 1:
        return compare_entries(entries, models)
    return list(entries)


def cost_lines(
    service: JobService,
    entries: Sequence[BatchEntry],
    parameters: JobParameters,
    *,
    reuse: bool,
) -> list[str]:
    """One "Estimated cost" line per model of the batch (compare: one per model)."""
    lines = []
    names = entry_models(entries, parameters.model)
    for name in names:
        mine = [e for e in entries if (e.model or parameters.model) == name]
        asked = parameters.model_copy(update={"model": name})
        planned = service.planned_submissions(mine, asked, reuse=reuse)
        staged = sum(1 for e in mine if isinstance(e, StagedInput))
        reused = f"; {staged - planned} reused for free" if staged > planned else ""
        with_model = f" with {name}" if len(names) > 1 else ""
        cost = service.estimate_cost(asked, planned)
        if cost is None and service.resolve_engine(parameters.engine) == "fal":
            lines.append(
                f"Estimated cost: unknown for {planned} models{with_model} "
                "(FAL publishes no price for it)"
            )
        elif cost is not None:
            lines.append(f"Estimated cost: ${cost:.2f} for {planned} models{with_model}{reused}")
    return lines


def engine_label(models: Sequence[str], parameters: JobParameters) -> str:
    """``FAL Tripo v2.5`` or ``FAL Tripo v2.5 and TRELLIS.2`` (compare)."""
    catalog = fal_policy()
    names = list(models) or [parameters.model]
    labels = [catalog.for_model(name).label.removeprefix("FAL's ") for name in names]
    return "FAL " + " and ".join(labels)
