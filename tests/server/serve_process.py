"""``image2model serve`` as a user runs it: a real process on its own library and port."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testkit import subprocess_env

START_TIMEOUT = 90.0
_LISTENING = re.compile(r"Image2Model API on (http://\S+)")


@dataclass
class Served:
    url: str
    data_dir: Path
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "image2model.log"


@contextmanager
def serve(data_dir: Path, api_key: str, settings: dict[str, Any] | None = None) -> Iterator[Served]:
    """Run ``image2model serve --engine offline --port 0`` until the block ends (then Ctrl-C)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if settings is not None:
        (data_dir / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    env = subprocess_env(
        IMAGE2MODEL_DATA_DIR=str(data_dir),
        IMAGE2MODEL_API_KEY=api_key,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "image2model_desktop",
            "serve",
            "--engine",
            "offline",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        url = None
        while url is None:
            line = lines.get(timeout=START_TIMEOUT)
            if line is None:
                raise AssertionError("serve ended before listening:\n" + "".join(output))
            match = _LISTENING.search(line)
            url = match.group(1) if match else None
        yield Served(url, data_dir, process, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=10)
