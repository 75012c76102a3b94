"""Run the fake in its own process (benches: its server threads then share no GIL with us)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_fake_process(generation_seconds: float) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``python -m tests.fakefal``; return it and the environment a client needs."""
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakefal",
            "--port",
            "0",
            "--generation-seconds",
            str(generation_seconds),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    env: dict[str, str] = json.loads(fake.stdout.readline())
    return fake, env
