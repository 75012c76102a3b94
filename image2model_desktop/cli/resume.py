"""``image2model resume``: finish the files a crash or a quit left unfinished."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .batch import COST_WAIT_SECONDS, EXIT_FAILED, EXIT_OK, follow, print_summary


def add_resume_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    resume = commands.add_parser("resume", help="finish files left unfinished by a crash or quit")
    resume.add_argument(
        "--resend-unconfirmed",
        action="store_true",
        help="also send again the photos sent without an answer (FAL may have received "
        "them: each may be billed twice)",
    )


def run_resume(args: argparse.Namespace) -> int:
    return asyncio.run(_resume(resend_unconfirmed=args.resend_unconfirmed))


async def _resume(*, resend_unconfirmed: bool) -> int:
    from image2model_desktop.runtime import open_runtime

    runtime = open_runtime(hold_on_balance=False)
    try:
        resumed = await runtime.service.start()
        if resend_unconfirmed:
            for job_id in runtime.service.unconfirmed_jobs():
                await runtime.service.resend(job_id)
                print(f"Sending again the unconfirmed photos of batch {job_id}.")
                if job_id not in resumed:
                    resumed.append(job_id)
        if not resumed:
            print("Nothing to resume: every batch in the library has finished.")
            return EXIT_OK
        failed = False
        for job_id in resumed:
            job = await follow(runtime.service, runtime.service.get_job(job_id), sys.stdout)
            job = await runtime.service.settle_costs(job_id, COST_WAIT_SECONDS)
            print_summary(job, runtime.paths.outputs(job_id), sys.stdout)
            failed = failed or job.completed_count != len(job.files)
        return EXIT_FAILED if failed else EXIT_OK
    finally:
        await runtime.aclose()
        from image2model_desktop.core.workers import shutdown_process_pool

        shutdown_process_pool()
