"""Run the fake standalone: `python -m tests.fakefal --port 0 --generation-seconds 3`.

The first stdout line is the client environment as JSON; it serves until killed.
Scenarios come from file-name markers only (there is no plan() from outside).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .scenarios import SCENARIO_KINDS, STREAM_MODES, Scenario
from .server import FakeFal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakefal", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 lets the OS pick")
    parser.add_argument("--generation-seconds", type=float, default=0.3)
    parser.add_argument("--default-scenario", choices=SCENARIO_KINDS, default="ok")
    parser.add_argument("--status-stream", choices=STREAM_MODES, default="ok")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with FakeFal(
        port=args.port,
        generation_seconds=args.generation_seconds,
        default_scenario=Scenario(kind=args.default_scenario),
        status_stream=args.status_stream,
    ) as fake:
        print(json.dumps(fake.env()), flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
