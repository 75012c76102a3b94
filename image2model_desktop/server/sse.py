"""Write one task's events to a client as Server-Sent Events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from .hub import RETRY_MILLISECONDS, Listener, SseMessage, TaskEventHub
from .links import Links
from .payloads import now_ms

SSE_HEADERS = {
    # Set whole: Starlette would append "; charset=utf-8" to a text/* media type.
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


def _heartbeat(task_id: str) -> SseMessage:
    return SseMessage(
        "heartbeat", {"status": "heartbeat", "timestamp": now_ms(), "task_id": task_id}, None
    )


def _timed_out(task_id: str, last_id: int | None, timeout: float) -> SseMessage:
    data: dict[str, Any] = {
        "status": "timeout",
        "message": f"The stream ended after its {timeout:g} s timeout; reconnect to go on.",
        "task_id": task_id,
        "timestamp": now_ms(),
    }
    return SseMessage("connection_timeout", data, last_id, terminal=True)


async def event_stream(
    hub: TaskEventHub,
    task_id: str,
    listener: Listener,
    first: list[SseMessage],
    *,
    links: Links,
    heartbeat_interval: float,
    timeout: float,
) -> AsyncIterator[bytes]:
    """Yield the first messages, then live ones, heartbeats when idle, until an end.

    A task's outcome gets its download links here, per stream: they are absolute
    for the address this client used and signed when sent, not when the task ended.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_id: int | None = None
    top_progress = 0.0

    def encode(message: SseMessage) -> bytes:
        nonlocal last_id, top_progress
        progress = message.progress
        if progress is not None and message.event != "file_update":
            # Belt and braces: the hub never lowers task progress, and a stream never shows it.
            if progress < top_progress:
                message = message.with_progress(top_progress)
            top_progress = max(top_progress, progress)
        if message.id is not None:
            last_id = message.id if last_id is None else max(last_id, message.id)
        if message.terminal and "result" in message.data:
            message = message.with_data(links.add_to_event(message.data))
        return message.wire

    try:
        # The snapshot (or replay) goes out as one write, the retry field first.
        opening = b"".join(encode(m) for m in first) if first else b"\n"
        yield f"retry: {RETRY_MILLISECONDS}\n".encode() + opening
        if any(m.terminal for m in first):
            return
        last_write = loop.time()
        while True:
            now = loop.time()
            if now >= deadline:
                yield encode(_timed_out(task_id, last_id, timeout))
                return
            idle_left = heartbeat_interval - (now - last_write)
            if idle_left <= 0:
                yield encode(_heartbeat(task_id))
                last_write = now
                continue
            received: SseMessage | None
            try:
                async with asyncio.timeout(min(idle_left, deadline - now)):
                    received = await listener.get()
            except TimeoutError:
                continue
            # Under load many messages wait: send them as one write, which keeps
            # the per-event cost (and so the delay) flat as clients are added.
            batch: list[bytes] = []
            ended = False
            for message in (received, *listener.drain()):
                if message is None:
                    ended = True  # the server is stopping (or the client fell too far behind)
                    break
                if message.id is not None and last_id is not None and message.id < last_id:
                    continue  # already covered by the snapshot
                batch.append(encode(message))
                if message.terminal:
                    ended = True
                    break
            if batch:
                yield b"".join(batch)
                last_write = loop.time()
            if ended:
                return
    finally:
        hub.detach(task_id, listener)


def event_stream_response(body: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(body, headers=SSE_HEADERS)
