"""Real photographs through the offline engine: one solid of the subject, or a warning."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from real_photos import (
    ACCEPTED,
    NO_SUBJECT,
    assert_one_part_or_warned,
    parts_and_share,
    real_photo,
    save_real_photo,
)
from testkit import subprocess_env

from image2model_desktop.engines.offline.model import build_offline_model


@pytest.mark.parametrize("name", ACCEPTED)
def test_a_photograph_gives_one_part_or_a_warning(tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.glb"
    stats = build_offline_model(real_photo(name), out, face_limit=5000)
    assert_one_part_or_warned(out, stats.warning)


def test_a_clear_subject_on_a_busy_background_is_found(tmp_path: Path) -> None:
    # A cup on its saucer on a wooden table: found, so one part and no warning.
    out = tmp_path / "coffee.glb"
    stats = build_offline_model(real_photo("coffee"), out, face_limit=5000)
    assert stats.warning is None
    assert parts_and_share(out) == (1, 1.0)


def test_a_subject_split_in_two_warns_and_keeps_the_larger(tmp_path: Path) -> None:
    # The astronaut's black collar matches the black helmet at the border, so her head
    # and her suit come apart: the model is the suit, and the file says so.
    out = tmp_path / "astronaut.glb"
    stats = build_offline_model(real_photo("astronaut"), out, face_limit=5000)
    assert stats.warning is not None and "(2 separate parts)" in stats.warning
    assert parts_and_share(out) == (1, 1.0)


def test_a_field_of_galaxies_warns(tmp_path: Path) -> None:
    out = tmp_path / "hubble.glb"
    stats = build_offline_model(real_photo(NO_SUBJECT), out, face_limit=5000)
    assert stats.warning is not None and "separate parts" in stats.warning
    assert parts_and_share(out)[0] == 1


def test_cli_line_and_json_carry_the_warning(tmp_path: Path, isolated_environment: Path) -> None:
    photos = [save_real_photo(name, tmp_path) for name in (*ACCEPTED, NO_SUBJECT)]
    out = tmp_path / "out"
    options = ["--engine", "offline", "--face-limit", "5000", "--out", str(out), "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "image2model_desktop", "generate", *map(str, photos), *options],
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    results = {r["filename"]: r for r in json.loads(result.stdout)["results"]}
    assert set(results) == {p.name for p in photos}
    for name, entry in results.items():
        assert entry["status"] == "completed"
        assert_one_part_or_warned(out / entry["model_filename"], entry["warning"])
        if entry["warning"]:
            # The summary's line for the file, on stderr beside --json, says it too.
            assert f"⚠ {name} → " in result.stderr
            assert f"— warning: {entry['warning']}" in result.stderr
    assert results[f"{NO_SUBJECT}.png"]["warning"]
    assert results["coffee.png"]["warning"] is None
