"""A batch in the terminal: follow its progress, handle Ctrl-C, print its summary.

Shared by ``generate``, ``resume`` and ``watch``: the same words and exit codes
whichever command started the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image2model_desktop.core.errors import SetupError
from image2model_desktop.core.models import Job, JobParameters
from image2model_desktop.core.states import FileState

from .models import engine_label, spent_line, spent_note, unconfirmed_hint

if TYPE_CHECKING:
    from image2model_desktop.core.service import JobService

#: 0 every file completed, 1 some file failed or was cancelled, 2 usage or setup error.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: How long a finished batch waits for FAL's bills before its summary is printed.
COST_WAIT_SECONDS = 15.0


async def follow(service: JobService, job: Job, stream: Any) -> Job:
    """Show progress until the job ends; the first Ctrl-C cancels, the second quits."""
    from .console import ProgressDisplay

    display = ProgressDisplay(job, stream)
    unsubscribe = service.on_event(display.on_event, job.job_id)
    loop = asyncio.get_running_loop()
    interrupts = 0

    def on_interrupt() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            print("\nCancelling… finished models are kept (Ctrl-C again to quit now).", file=stream)
            service.cancel_job(job.job_id)
        else:
            # Leave at once; the library keeps every state for `image2model resume`.
            os._exit(EXIT_FAILED)

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        final: Job = await service.wait_finished(job.job_id)
    finally:
        unsubscribe()
        display.close()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
    return final


def engine_line(parameters: JobParameters, engine: str, models: Sequence[str] = ()) -> str:
    """The first line of a run: which engine, and whether it costs money."""
    if engine == "fal":
        label = engine_label(models, parameters)
        return f"Engine: {label} (cloud; each model is billed to your FAL account)"
    why = " (no FAL key is set)" if parameters.engine == "auto" else ""
    return f"Engine: offline{why} — a quick 2.5D model made on this computer"


def check_out_dir(out: Path) -> None:
    """Make ``--out`` or say in one sentence why it cannot be used."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SetupError(f"Cannot create the output folder {out}: {error.strerror}.") from error
    if not os.access(out, os.W_OK):
        raise SetupError(f"The output folder {out} is not writable.")


def copy_outputs(job: Job, outputs: Path, out: Path, stream: Any) -> None:
    """Copy the job's models into ``out`` (``--out``), saying what could not be copied."""
    from image2model_desktop.core.watch import copy_models

    _, problems = copy_models(job, outputs, out)
    for problem in problems:
        print(problem, file=stream)


def print_summary(job: Job, outputs: Path, stream: Any) -> None:
    """One line per file: where its model is, or why there is none."""
    from image2model_desktop.core.reuse import reused_sentence

    print(f"\n{job.summary_message()} (job {job.job_id})", file=stream)
    reused = 0
    for item in job.files:
        if item.output is not None:
            origin = item.output.reused_from
            note = f" ({reused_sentence(origin)}; $0)" if origin is not None else ""
            reused += origin is not None
            model = outputs / item.output.model_filename
            made_by = f"  [{item.model}]" if item.model else ""
            warning = item.output.warning
            mark, doubt = ("⚠", f" — warning: {warning}") if warning else ("✓", "")
            money = spent_note(item) if origin is None else ""
            print(f"  {mark} {item.filename} → {model}{made_by}{note}{money}{doubt}", file=stream)
        elif item.state == FileState.UNCONFIRMED:
            print(f"  ? {item.filename}: {item.error_message}", file=stream)
        else:
            reason = item.error_message or "cancelled"
            # Refusals already start with the file's name; engine errors do not.
            if not reason.startswith(f"{item.filename}:"):
                reason = f"{item.filename}: {reason}"
            print(f"  ✗ {reason}", file=stream)
    if reused:
        print(
            f"{reused} model{'s' if reused != 1 else ''} reused from earlier work: "
            "nothing submitted, $0 charged (--no-reuse generates anew).",
            file=stream,
        )
    for line in (spent_line(job), unconfirmed_hint(job)):
        if line:
            print(line, file=stream)
