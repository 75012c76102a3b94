"""HTTP/1.1 over TLS on a thread per connection, writing `Reply` objects byte-exactly.

The standard library server is used instead of uvicorn because the fake must
misbehave on purpose: drop a connection halfway through a body, throttle a
download, and keep answering while test code blocks the main thread. A thread
per connection also lets dozens of polling clients (other processes included)
wait without sharing an event loop with the test.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .protocol import FalProtocol, Reply, json_reply
from .state import FakeState, LoggedRequest, StartedReply

_CHUNK = 64 * 1024
_IDLE_TIMEOUT_SECONDS = 30.0
_EXPECTED_DISCONNECTS = (ConnectionError, TimeoutError, ssl.SSLError, BrokenPipeError)


class TlsThreadingServer(ThreadingHTTPServer):
    """Accept plain sockets, then do the TLS handshake in the connection's thread."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], ssl_context: ssl.SSLContext, state: FakeState
    ) -> None:
        super().__init__(address, FalRequestHandler)
        self.ssl_context = ssl_context
        self.state = state
        self.protocol: FalProtocol | None = None
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(_IDLE_TIMEOUT_SECONDS)
        try:
            # Handshaking here, not in accept(), keeps one stalled client (say, one
            # killed mid-handshake) from blocking every other connection.
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            request.close()
            return
        with self._open_lock:
            self._open.add(tls)
        try:
            FalRequestHandler(tls, client_address, self)
        finally:
            with self._open_lock:
                self._open.discard(tls)
            tls.close()

    def close_all_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, _EXPECTED_DISCONNECTS):
            return
        text = traceback.format_exc()
        self.state.record_error(text)
        print(f"fakefal: unexpected error\n{text}", file=sys.stderr)


class FalRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakefal"
    sys_version = ""
    server: TlsThreadingServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: FakeState keeps a structured log instead."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        started = time.monotonic()
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body(headers)
        assert self.server.protocol is not None
        try:
            reply = self.server.protocol.handle(self.command, path, query, headers, body)
        except Exception:
            text = traceback.format_exc()
            self.server.state.record_error(text)
            print(f"fakefal: error answering {self.command} {self.path}\n{text}", file=sys.stderr)
            reply = json_reply(500, {"detail": "fakefal internal error"}, "unknown")
        status = reply.status
        self.server.state.record_started(
            StartedReply(
                t=time.monotonic(),
                method=self.command,
                path=path,
                endpoint=reply.endpoint,
                status=reply.status,
                request_id=reply.request_id,
                detail=reply.detail,
            )
        )
        try:
            self._write(reply)
        except _EXPECTED_DISCONNECTS:
            status = 0
            self.close_connection = True
        finally:
            self.server.state.record(
                LoggedRequest(
                    t=started,
                    t_done=time.monotonic(),
                    method=self.command,
                    path=path,
                    query=query,
                    endpoint=reply.endpoint,
                    status=status,
                    request_id=reply.request_id,
                    detail=reply.detail,
                )
            )

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _write(self, reply: Reply) -> None:
        if reply.reset:
            # Linger 0: close() sends RST, as a crashed proxy or a dropped Wi-Fi would.
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            raise ConnectionResetError("reset on purpose")
        if reply.delay_seconds:
            time.sleep(reply.delay_seconds)
        if reply.chunks is not None:
            self._write_chunked(reply)
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.head_only or self.command == "HEAD":
            self.wfile.flush()
            return
        if reply.stall_after is not None:
            self.wfile.write(reply.body[: reply.stall_after])
            self.wfile.flush()
            time.sleep(reply.stall_seconds)
            # The client has given up by now (read timeout): drop what is left.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
        for offset in range(0, len(body), _CHUNK):
            self.wfile.write(body[offset : offset + _CHUNK])
            if reply.bytes_per_second:
                time.sleep(min(len(body) - offset, _CHUNK) / reply.bytes_per_second)
        self.wfile.flush()
        if reply.cut_after is not None:
            # Close without a TLS close_notify, as a dropped connection would.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write_chunked(self, reply: Reply) -> None:
        """Send a streamed body (server-sent events) chunk by chunk as it is produced."""
        assert reply.chunks is not None
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            for chunk in reply.chunks:
                if chunk is None:
                    # Cut midway: no closing chunk, no TLS close_notify.
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            # A finished stream leaves the connection open for the client's next
            # request (its pool reuses it at once, e.g. for the result).
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            close = getattr(reply.chunks, "close", None)
            if close is not None:
                close()
