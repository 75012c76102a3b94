"""Helpers the benchmark scripts share (imported as ``benchkit``: scripts run from bench/)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak RSS in MiB, from ``VmHWM``.

    Not ``ru_maxrss`` (the fallback where /proc is missing): Linux carries that
    over from the parent across fork and exec, so a child would report the
    parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_json_child(script: str, *args: str) -> dict[str, float]:
    """Run ``script`` with ``args`` in a fresh interpreter; return its last stdout line as JSON."""
    result = subprocess.run(
        [sys.executable, script, *args], check=True, capture_output=True, text=True
    )
    row: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return row
