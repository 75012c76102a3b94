"""One window per library: a second launch hands its photos to the running one.

The running window listens on a local socket (a Unix socket or a Windows pipe,
Qt's ``QLocalServer``) named after its data folder, so two libraries (and two
users) never meet. A second ``image2model photo.jpg`` connects, sends the
photos as one JSON line, waits for "ok" and exits 0; the window adds the photos
to the upload page and comes to the front. No one listening means no window is
running: the launch goes on and opens one.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from image2model_desktop.gui.qt import QLocalServer, QLocalSocket, QObject

log = logging.getLogger(__name__)

#: How long a second launch waits for the window to connect and to answer.
CONNECT_MS, ANSWER_MS = 300, 700
_OK = b"ok\n"
_MAX_MESSAGE = 1 << 20


def server_name(root: Path) -> str:
    """A short socket name for the library at ``root`` (and this user)."""
    key = f"{getpass.getuser()}\0{root.resolve()}".encode()
    return "image2model-" + hashlib.sha256(key).hexdigest()[:20]


def hand_over(root: Path, photos: list[Path]) -> bool:
    """Give ``photos`` to a window already running on ``root``; False when none runs."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(root))
    if not socket.waitForConnected(CONNECT_MS):
        return False
    message = json.dumps({"photos": [str(p.resolve()) for p in photos]}).encode() + b"\n"
    socket.write(message)
    socket.flush()
    answer = b""
    while not answer.endswith(b"\n") and socket.waitForReadyRead(ANSWER_MS):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return answer == _OK


class InstanceServer(QObject):
    """Listen for later launches on this library; ``on_photos`` gets what they bring."""

    def __init__(self, root: Path, on_photos: Callable[[list[Path]], None]) -> None:
        super().__init__()
        self._on_photos = on_photos
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        name = server_name(root)
        if not self._server.listen(name):
            # A socket file left by a window that crashed: nobody answered hand_over
            # (we hold the library's lock, so no other window runs), so it is stale.
            QLocalServer.removeServer(name)
            if not self._server.listen(name):
                reason = self._server.errorString()
                log.warning("Later launches cannot reach this window: %s", reason)

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > _MAX_MESSAGE:
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            photos = [Path(p) for p in json.loads(line)["photos"] if isinstance(p, str)]
        except (ValueError, KeyError, TypeError):
            log.warning("A later launch sent a message this window does not read")
            socket.abort()
            return
        socket.write(_OK)
        socket.flush()
        self._on_photos(photos)
