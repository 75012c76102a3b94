"""Issue 20's acceptance for the window: a 25-photo batch against the FAL fake writes nothing
to stderr (the status streams are closed by their opener, nothing is left to the collector).

The window runs in its own process (tests/gui/window_batch.py: the app's own start, the
real fal-client and httpx, the fake over HTTPS), so its stderr is its own and whole.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import make_photo, subprocess_env

from tests.fakefal import FakeFal

pytestmark = pytest.mark.fal_fake(generation_seconds=0.5, patch=False)

REPO = Path(__file__).resolve().parents[2]


def test_a_25_photo_window_batch_on_fal_writes_nothing_to_stderr(
    fake: FakeFal, tmp_path: Path
) -> None:
    photos = [str(make_photo(tmp_path / f"shot{i:02d}.png", 64)) for i in range(25)]
    library = tmp_path / "library"
    env = subprocess_env(**fake.env(), IMAGE2MODEL_DATA_DIR=str(library))
    env.pop("QT_QPA_PLATFORM", None)  # the Xvfb display pytest-xvfb started, as a desktop's
    env.pop("QT_QPA_PLATFORMTHEME", None)  # the app picks its own (gui.app.platform_dialogs)
    result = subprocess.run(
        [sys.executable, "-m", "tests.gui.window_batch", str(library), *photos],
        capture_output=True,
        text=True,
        timeout=400,
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["engine"] == "fal" and outcome["completed"] == outcome["files"] == 25
    assert len(fake.submits()) == 25 and all(s.disables_fallbacks for s in fake.submits())
    assert result.stderr == ""
