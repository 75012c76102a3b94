"""The window's asyncio loop: a task stepped in qasync's last turn still sees its loop."""

from __future__ import annotations

import asyncio
from typing import Any

from image2model_desktop.gui.qt import QTimer


def test_a_task_started_as_a_wait_ends_sees_its_running_loop(loop: Any) -> None:
    """qasync runs one more turn after the awaited future is done and the loop has stopped.

    A task spawned in the same Qt callback that ended the wait takes its first
    step in that turn; with plain qasync, ``asyncio.get_running_loop()`` there
    raises "no running event loop" (a model shown right as a test's wait ended
    never appeared).
    """
    seen: list[object] = []

    async def spawned() -> None:
        try:
            seen.append(asyncio.get_running_loop())
        except RuntimeError as error:
            seen.append(error)

    async def wait_ended_by_qt() -> None:
        done = loop.create_future()
        QTimer.singleShot(
            0, lambda: (done.set_result(None), loop.create_task(spawned()), loop.stop())
        )
        await done

    # Directly, not through the ``run`` fixture: its timeout wrapper needs more turns.
    loop.run_until_complete(wait_ended_by_qt())
    assert seen == [loop]
