"""Benchmark: 200 SSE clients follow one 25-file batch through the local API.

    .venv/bin/python bench/api_sse.py [--clients 200] [--files 25] [--engine fake|offline]

The server runs in a child process (the real EmbeddedApiServer on 127.0.0.1,
port 0, over a real library in a temporary data directory). It records the
wall-clock time at which each engine event was published, i.e. right after the
state change was committed to the store. The clients (raw sockets, in this
process) record when each event's last line arrived. The delay of an event is
the difference, on the same machine's clock.

Engines: ``fake`` walks every file through the real state machine with short
sleeps and writes a small GLB, so the numbers measure the API's fan-out rather
than two CPU cores shared with mesh building; ``offline`` is the real offline
engine (its mesh work competes with the clients for the CPU).

The batch is held at the start until every client has connected, so every
measured event is live (no snapshots). Printed: p50/p99/max delay, events
delivered, clients that saw ``task_completed``, and the server's peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchkit import peak_rss_mb

API_KEY = "bench-key"


ROOT = Path(__file__).resolve().parent.parent


# -- the server (child process) --------------------------------------------------------


async def _serve(engine_choice: str, data_dir: Path) -> None:
    from image2model_desktop.core.engine import Engine, EngineOutput, FileRun
    from image2model_desktop.core.models import EngineName
    from image2model_desktop.core.paths import LibraryPaths
    from image2model_desktop.core.service import JobService
    from image2model_desktop.core.settings import ApiServerSettings, Settings
    from image2model_desktop.core.states import FileState
    from image2model_desktop.core.store import Store
    from image2model_desktop.core.workers import shutdown_process_pool
    from image2model_desktop.engines import create_engine
    from image2model_desktop.engines.stats import model_stats
    from image2model_desktop.server import EmbeddedApiServer

    gate = asyncio.Event()

    class FakeEngine(Engine):
        name = "offline"
        expected_seconds = 0.5

        async def run(self, run: FileRun) -> EngineOutput:
            await run.update(FileState.UPLOADING, fraction=0.5)
            await asyncio.sleep(0.05)
            await run.update(FileState.QUEUED, queue_position=1)
            for step in range(1, 6):
                await asyncio.sleep(0.05)
                await run.update(FileState.GENERATING, fraction=step / 6, message=f"step {step}")
            await run.update(FileState.DOWNLOADING, fraction=0.5)
            out = run.output_path(".glb")
            out.write_bytes(_TINY_GLB)
            return EngineOutput(model_path=out)

    class Held(Engine):
        """Delegate to the real engine once the bench says go."""

        def __init__(self, inner: Engine) -> None:
            self.inner = inner
            self.name = inner.name
            self.expected_seconds = inner.expected_seconds

        async def run(self, run: FileRun) -> EngineOutput:
            await gate.wait()
            return await self.inner.run(run)

    def factory(name: EngineName) -> Engine:
        inner = FakeEngine() if engine_choice == "fake" else create_engine(name, data_dir=data_dir)
        return Held(inner)

    paths = LibraryPaths(data_dir)
    store = Store.open(paths.database, lock_path=paths.lock_file)
    service = JobService(
        store,
        paths,
        Settings(engine="offline", concurrency=4),
        factory,
        inspect_model=model_stats,
    )
    published: dict[int, float] = {}
    service.on_event(lambda event: published.setdefault(event.seq, time.time()))
    await service.start()
    server = EmbeddedApiServer(
        service, ApiServerSettings(port=0, upload_rate_per_minute=1000), API_KEY
    )
    port = await server.start()
    print(json.dumps({"port": port}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "go":
            gate.set()
        elif line in ("quit", ""):
            break
    await server.stop()
    await service.aclose()
    store.close()
    shutdown_process_pool()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "published": published,
        "peak_mib": peak_rss_mb(),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }
    print(json.dumps(report), flush=True)


def _tiny_glb() -> bytes:
    import io

    import trimesh

    buffer = io.BytesIO()
    trimesh.creation.box().export(buffer, file_type="glb")
    return buffer.getvalue()


_TINY_GLB = b""


# -- the clients (this process) ------------------------------------------------------------


async def _upload(port: int, files: int) -> dict[str, Any]:
    import io

    import httpx
    from PIL import Image, ImageDraw

    parts = []
    for index in range(files):
        image = Image.new("RGB", (96, 96), (235, 235, 230))
        ImageDraw.Draw(image).ellipse((20, 20, 76, 76), (40 + index * 8, 90, 160))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        parts.append(("files", (f"photo{index:02d}.png", buffer.getvalue(), "image/png")))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        response = await client.post(
            "/api/v1/upload/", files=parts, headers={"Authorization": f"Bearer {API_KEY}"}
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


async def _client(
    port: int, task_id: str, connected: asyncio.Event, counter: list[int], total: int
) -> tuple[list[tuple[int, float]], bool]:
    """Follow the stream on a raw socket; return (event id, arrival time) pairs."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"GET /api/v1/status/tasks/{task_id}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\nConnection: close\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    arrivals: list[tuple[int, float]] = []
    completed = False
    snapshot_id: int | None = None
    pending = b""
    # Read whole chunks and split them: per-line reads would make the clients'
    # own parsing the bottleneck and inflate the delays being measured.
    while not completed:
        chunk = await reader.read(65536)
        if not chunk:
            break
        now = time.time()
        messages = (pending + chunk).split(b"\n\n")
        pending = messages.pop()
        for message in messages:
            event_id: int | None = None
            event = b""
            for line in message.split(b"\n"):
                if line.startswith(b"id: "):
                    event_id = int(line[4:])
                elif line.startswith(b"event: "):
                    event = line[7:]
            if event_id is None:
                continue
            if snapshot_id is None:
                snapshot_id = event_id
                counter[0] += 1
                if counter[0] == total:
                    connected.set()
            elif event_id > snapshot_id:
                arrivals.append((event_id, now))
            if event in (b"task_completed", b"task_failed"):
                completed = event == b"task_completed"
                break
    writer.close()
    return arrivals, completed


async def _bench(args: argparse.Namespace) -> None:
    global _TINY_GLB
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "IMAGE2MODEL_DATA_DIR": data_dir}
        env.pop("FAL_KEY", None)
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", args.engine, data_dir],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert server.stdin is not None and server.stdout is not None
        try:
            port = json.loads(server.stdout.readline())["port"]
            batch = await _upload(port, args.files)
            connected = asyncio.Event()
            counter = [0]
            clients = [
                asyncio.ensure_future(
                    _client(port, batch["task_id"], connected, counter, args.clients)
                )
                for _ in range(args.clients)
            ]
            await asyncio.wait_for(connected.wait(), 60)
            started = time.monotonic()
            server.stdin.write("go\n")
            server.stdin.flush()
            results = await asyncio.wait_for(asyncio.gather(*clients), 600)
            elapsed = time.monotonic() - started
            server.stdin.write("quit\n")
            server.stdin.flush()
            report = json.loads(server.stdout.readline())
        finally:
            server.stdin.close()
            server.wait(30)
    published = {int(k): v for k, v in report["published"].items()}
    delays = sorted(
        (arrived - published[seq]) * 1000
        for arrivals, _ in results
        for seq, arrived in arrivals
        if seq in published
    )
    done = sum(1 for _, completed in results if completed)
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"engine: {args.engine}; {args.clients} SSE clients; one batch of {args.files} files")
    print(f"batch finished in {elapsed:.1f} s; {done}/{args.clients} clients saw task_completed")
    print(f"events delivered: {len(delays)} ({len(delays) // max(1, args.clients)} per client)")
    print(
        f"delay state change -> event received: p50 {statistics.median(delays):.1f} ms, "
        f"p99 {p99:.1f} ms, max {delays[-1]:.1f} ms  (goal p99 < 100 ms)"
    )
    print(f"server peak memory (RSS of the API/engine process): {report['peak_mib']:.0f} MiB")
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"CPU: server process {report['cpu_seconds']:.1f} s, "
        f"clients {own.ru_utime + own.ru_stime:.1f} s ({os.cpu_count()} cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--files", type=int, default=25)
    parser.add_argument("--engine", choices=("fake", "offline"), default="fake")
    parser.add_argument("--serve", nargs=2, metavar=("ENGINE", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        global _TINY_GLB
        _TINY_GLB = _tiny_glb()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx(
                "asyncio.run(_serve(args.serve[0], Path(args.serve[1])))",
                globals(),
                locals(),
                os.environ["BENCH_PROFILE"],
            )
        else:
            asyncio.run(_serve(args.serve[0], Path(args.serve[1])))
    else:
        asyncio.run(_bench(args))


if __name__ == "__main__":
    main()
