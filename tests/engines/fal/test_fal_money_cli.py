"""Money on FAL through the real CLI (subprocesses) and fal-client against the loopback fake:
ranges from FAL's schemas, prices with their source, what was spent, a submit whose
answer was cut, and a 25-photo batch that writes nothing to stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import make_photo, subprocess_env

from tests.fakefal import FakeFal

pytestmark = pytest.mark.fal_fake(generation_seconds=0.3, patch=False)

CLI = [sys.executable, "-m", "image2model_desktop"]
TRIPO = "tripo3d/tripo/v2.5/image-to-3d"


def run_cli(
    fake: FakeFal | None, *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(**fake.env()) if fake is not None else subprocess_env()
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_a_face_limit_outside_fals_published_range_is_one_sentence(
    fake: FakeFal, tmp_path: Path
) -> None:
    photo = make_photo(tmp_path / "photo.jpg", 96)
    args = ["generate", str(photo), "--engine", "fal", "--model", "tripo-h3.1"]
    result = run_cli(fake, *args, "--face-limit", "500")
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "1,000 to 2,000,000" in line and "Tripo H3.1" in line and line.endswith(".")
    assert fake.uploads() == [] and fake.submits() == []


def test_pbr_without_a_texture_is_refused_before_anything_is_paid(
    fake: FakeFal, tmp_path: Path
) -> None:
    photo = make_photo(tmp_path / "photo.png", 96)
    result = run_cli(fake, "generate", str(photo), "--engine", "fal", "--texture", "no", "--pbr")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "PBR materials only on a textured model" in result.stderr
    assert fake.uploads() == []


def test_models_shows_fals_prices_and_where_they_come_from(fake: FakeFal) -> None:
    fake.set_price(TRIPO, 0.015, "credits")
    result = run_cli(fake, "models")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "$0.30–0.60" in rows["tripo-v2.5"] and rows["tripo-v2.5"].endswith("FAL, today")
    assert rows["rodin-v2.5"].endswith("FAL, today")
    assert "unknown" in rows["hunyuan3d-v3"]
    asked = fake.log("pricing")
    assert len(asked) == 1 and asked[0].status == 200


def test_models_without_a_key_shows_the_table_and_says_so() -> None:
    result = run_cli(None, "models")
    assert result.returncode == 0, result.stderr
    tripo = next(line for line in result.stdout.splitlines() if line.startswith("tripo-v2.5"))
    assert "$0.20–0.40" in tripo and tripo.endswith("table of 2026-12-01")
    assert "No FAL key is set" in result.stdout


def test_the_summary_shows_what_fal_billed_beside_the_estimate(
    fake: FakeFal, tmp_path: Path
) -> None:
    fake.set_price(TRIPO, 0.012, "credits")
    photos = [str(make_photo(tmp_path / f"p{i}.png", 96)) for i in range(2)]
    result = run_cli(fake, "generate", *photos, "--engine", "fal", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Estimated cost: $0.72 for 2 models (price: FAL, today)" in result.stderr
    assert "spent $0.36 (estimated $0.36)" in result.stderr
    assert "Spent on FAL: $0.72 (estimated $0.72)." in result.stderr
    summary = json.loads(result.stdout)
    billed = sum(e.usd for e in fake.billing_events())
    assert summary["spent_usd"] == pytest.approx(billed) == pytest.approx(0.72)
    assert [r["estimated_usd"] for r in summary["results"]] == [0.36, 0.36]


def test_a_cut_answer_waits_for_resume_resend_unconfirmed(fake: FakeFal, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "cup_submitcut.png", 96)
    result = run_cli(fake, "generate", str(photo), "--engine", "fal", "--fal-retention", "1h")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "? cup_submitcut.png: The connection broke after this request was sent" in result.stdout
    assert "image2model resume --resend-unconfirmed" in result.stdout
    assert len(fake.submits()) == 1 and fake.submits()[0].answer_cut
    assert fake.upload_lifecycles() == [
        ("cup_submitcut.png", {"expiration_duration_seconds": 3600})
    ]

    again = run_cli(fake, "resume")
    assert again.returncode == 0 and "Nothing to resume" in again.stdout
    assert len(fake.submits()) == 1

    resent = run_cli(fake, "resume", "--resend-unconfirmed")
    assert resent.returncode == 0, resent.stdout + resent.stderr
    assert len(fake.submits()) == 2 and not fake.submits()[1].answer_cut
    assert "1 successful" in resent.stdout
    # The resend keeps the batch's own retention.
    assert [life for _, life in fake.upload_lifecycles()] == [
        {"expiration_duration_seconds": 3600}
    ] * 2


def test_a_25_photo_batch_writes_nothing_to_stderr(fake: FakeFal, tmp_path: Path) -> None:
    photos = [str(make_photo(tmp_path / f"shot{i:02d}.png", 64)) for i in range(25)]
    result = run_cli(
        fake, "generate", *photos, "--engine", "fal", "--concurrency", "25", timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "25 successful" in result.stdout
    assert result.stderr == ""
    assert len(fake.submits()) == 25
    assert all(s.disables_fallbacks for s in fake.submits())
