"""A scriptable engine: a real Engine implementation whose steps the test controls.

It writes a real GLB (a trimesh box) so the job engine's inspection, store and
summary run for real; only the generator itself is scripted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
from image2model_desktop.core.errors import EngineError
from image2model_desktop.core.models import FileItem
from image2model_desktop.core.states import FileState

Step = Callable[[FileRun], Awaitable[None]]


def write_box(path_str: str) -> None:
    import trimesh

    trimesh.creation.box(extents=(1.0, 2.0, 0.5)).export(path_str)


@dataclass
class ScriptedEngine(Engine):
    """Go through upload → queue → generate; block on a gate; fail on demand."""

    name: str = "offline"  # type: ignore[assignment]
    expected_seconds: float = 0.5
    gate: asyncio.Event | None = None
    errors: dict[str, EngineError] = field(default_factory=dict)
    request_ids: bool = False
    running: int = 0
    max_running: int = 0
    runs: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    remote_cancels: list[str] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, run: FileRun) -> EngineOutput:
        item = run.file
        self.runs.append(item.filename)
        if item.request_id is not None:
            self.resumed.append(item.filename)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if item.request_id is None:
                await run.update(FileState.UPLOADING, fraction=0.5)
                rid = f"req-{item.file_id}" if self.request_ids else None
                await run.update(FileState.QUEUED, queue_position=2, request_id=rid)
                await run.update(FileState.QUEUED, queue_position=1)
            await run.update(FileState.GENERATING, message="Progress: 10%", fraction=0.1)
            self.started.set()
            if item.filename in self.errors:
                raise self.errors[item.filename]
            if self.gate is not None:
                await self.gate.wait()
            await run.update(FileState.GENERATING, message="Progress: 80%", fraction=0.8)
            await run.update(FileState.DOWNLOADING, fraction=0.5)
            out = run.output_path(".glb")
            await asyncio.get_running_loop().run_in_executor(None, write_box, str(out))
            return EngineOutput(model_path=out)
        finally:
            self.running -= 1

    async def cancel_remote(self, item: FileItem) -> None:
        self.remote_cancels.append(item.filename)
