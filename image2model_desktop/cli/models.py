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
from image2model_desktop.core.models import FileItem, Job, JobParameters
from image2model_desktop.core.parameters import EngineParameters

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService
    from image2model_desktop.engines.fal.pricing import PriceBook

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
    """Print the table of generators, priced by FAL now when a key is set."""
    import asyncio

    from image2model_desktop.core.credentials import load_fal_key
    from image2model_desktop.core.paths import data_dir
    from image2model_desktop.engines.fal.client import FalHosts
    from image2model_desktop.engines.fal.pricing import current_price_book

    root = data_dir()
    book, note = asyncio.run(current_price_book(load_fal_key(root), root, FalHosts.from_env()))
    print(models_table(fal_policy(), book))
    if note:
        print(f"\n{note}")
    return 0


def price_text(policy: EngineParameters, book: PriceBook) -> tuple[str, str]:
    """(``$0.20–0.40`` over its texture choices, or ``unknown``; where the price comes from)."""
    from image2model_desktop.engines.fal import registry

    generator = registry.get(policy.model or registry.DEFAULT_MODEL)
    quotes = [book.quote(generator, t) for t in policy.textures]
    prices = [q.usd for q in quotes if q.usd is not None]
    source = quotes[0].source if prices else ""
    if not prices:
        return "unknown", source
    low, high = min(prices), max(prices)
    return (f"${low:.2f}" if low == high else f"${low:.2f}–{high:.2f}"), source


def multiview_text(policy: EngineParameters) -> str:
    return f"{policy.max_views} views" if policy.max_views > 1 else "no"


def models_table(catalog: EngineParameters, book: PriceBook) -> str:
    """The generators, one a row, each price saying where it comes from."""
    rows = [("NAME", "GOOD AT", "MULTIVIEW", "PRICE (USD/model)", "PRICE FROM")]
    for policy in catalog.models:
        default = " (default)" if policy is catalog.models[0] else ""
        price, source = price_text(policy, book)
        rows.append(
            (f"{policy.model}{default}", policy.good_at, multiview_text(policy), price, source)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
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
            source = service.price_source(asked)
            from_where = f" (price: {source})" if source else ""
            lines.append(
                f"Estimated cost: ${cost:.2f} for {planned} models{with_model}{reused}{from_where}"
            )
    return lines


def engine_label(models: Sequence[str], parameters: JobParameters) -> str:
    """``FAL Tripo v2.5`` or ``FAL Tripo v2.5 and TRELLIS.2`` (compare)."""
    catalog = fal_policy()
    names = list(models) or [parameters.model]
    labels = [catalog.for_model(name).label.removeprefix("FAL's ") for name in names]
    return "FAL " + " and ".join(labels)


def add_money_arguments(gen: argparse.ArgumentParser) -> None:
    gen.add_argument(
        "--fal-retention",
        choices=("1h", "1d", "7d", "account"),
        default=None,
        help="how long FAL keeps the uploaded photos: 1h, 1d (the default setting), 7d, "
        "or account (the FAL account's storage setting)",
    )


def spent_note(item: FileItem) -> str:
    """`` — spent $0.30 (estimated $0.30)`` for a file with a paid request, else ""."""
    if item.spent_usd is None and item.estimated_usd is None:
        return ""
    if item.spent_usd is None:
        return f" — estimated ${item.estimated_usd:.2f}, spent not known yet"
    estimate = f" (estimated ${item.estimated_usd:.2f})" if item.estimated_usd is not None else ""
    return f" — spent ${item.spent_usd:.2f}{estimate}"


def spent_line(job: Job) -> str | None:
    """One line with what the batch cost on FAL, or None when nothing was estimated."""
    estimated = [f.estimated_usd for f in job.files if f.estimated_usd is not None]
    if not estimated:
        return None
    spent = [f.spent_usd for f in job.files if f.spent_usd is not None]
    known = f"${sum(spent):.2f}" if spent else "not known yet"
    # Unconfirmed files have no request id to ask about (``unconfirmed_hint`` words them).
    missing = sum(1 for f in job.files if f.request_id is not None and f.spent_usd is None)
    later = (
        f"; {missing} not billed yet or not readable with this key (fal.ai/dashboard/usage)"
        if missing and spent
        else ""
    )
    return f"Spent on FAL: {known} (estimated ${sum(estimated):.2f}){later}."


def unconfirmed_hint(job: Job) -> str | None:
    """What to do about files sent without an answer, or None when there are none."""
    count = job.unconfirmed_count
    if not count:
        return None
    files, them = ("photo was", "it") if count == 1 else ("photos were", "them")
    return (
        f"{count} {files} sent without an answer and not sent again (FAL may have received "
        f"and billed {them}). Check fal.ai/dashboard; to send {them} again, run "
        "`image2model resume --resend-unconfirmed`."
    )
