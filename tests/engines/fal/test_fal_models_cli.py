"""Issue 16 through the real CLI and fal-client against the loopback FAL fake: each
generator by name, one model from several views, and one photo through two models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import make_photo, subprocess_env

from image2model_desktop.engines.fal import registry
from tests.fakefal import FakeFal

pytestmark = pytest.mark.fal_fake(generation_seconds=0.5, patch=False)

CLI = [sys.executable, "-m", "image2model_desktop"]


def run_cli(fake: FakeFal, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(**fake.env()),
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("name", list(registry.GENERATORS))
def test_each_model_by_name_makes_one_glb_at_its_endpoint(
    name: str, fake: FakeFal, tmp_path: Path
) -> None:
    photo = make_photo(tmp_path / "photo.png", 96)
    out = tmp_path / "out"
    result = run_cli(
        fake,
        "generate",
        str(photo),
        "--engine",
        "fal",
        "--model",
        name,
        "--out",
        str(out),
        "--json",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in out.glob("*.glb")] == ["photo.glb"]
    generator = registry.get(name)
    (submit,) = fake.submits()
    assert submit.endpoint_id == generator.endpoint
    assert submit.image_field == generator.image_field
    (summary,) = json.loads(result.stdout)["results"]
    assert summary["model"] == name and summary["status"] == "completed"
    assert fake.status_poll_count() == 0  # followed over the status stream


def test_four_views_submit_once_with_every_view_field(fake: FakeFal, tmp_path: Path) -> None:
    views = [make_photo(tmp_path / f"{view}.png", 96) for view in registry.VIEW_ORDER]
    out = tmp_path / "out"
    result = run_cli(
        fake,
        "generate",
        "--views",
        *map(str, views),
        "--engine",
        "fal",
        "--model",
        "tripo-v2.5",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (submit,) = fake.submits()
    assert submit.endpoint_id == "tripo3d/tripo/v2.5/multiview-to-3d"
    fields = ("front_image_url", "left_image_url", "back_image_url", "right_image_url")
    assert set(fields) <= submit.fields
    assert len(submit.image_urls) == 4
    # Each view went up under its own place's name, in order.
    for field, view in zip(fields, registry.VIEW_ORDER, strict=True):
        assert submit.arguments[field].endswith(f".{view}.png") or view == "front"
    assert [p.name for p in out.glob("*.glb")] == ["front.glb"]


def test_two_models_on_one_photo_submit_twice_and_write_two_models(
    fake: FakeFal, tmp_path: Path
) -> None:
    photo = make_photo(tmp_path / "chair.png", 96)
    out = tmp_path / "out"
    result = run_cli(
        fake,
        "generate",
        str(photo),
        "--engine",
        "fal",
        "--model",
        "tripo-v2.5,trellis-2",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(s.endpoint_id for s in fake.submits()) == [
        "fal-ai/trellis-2",
        "tripo3d/tripo/v2.5/image-to-3d",
    ]
    assert sorted(p.name for p in out.glob("*.glb")) == [
        "chair.trellis-2.glb",
        "chair.tripo-v2.5.glb",
    ]
    assert "Estimated cost: $0.30 for 1 models with tripo-v2.5" in result.stdout
    assert "Estimated cost: $0.30 for 1 models with trellis-2" in result.stdout
    assert "Engine: FAL Tripo v2.5 and TRELLIS.2" in result.stdout
    # Each file of the compare batch is known as its own model's (core.reuse): asking
    # TRELLIS.2 alone for the same photo reuses that one, and pays nothing more.
    again = run_cli(fake, "generate", str(photo), "--engine", "fal", "--model", "trellis-2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(fake.submits()) == 2
    assert "1 reused for free" in again.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--model", "tripo-v9"], "Unknown model 'tripo-v9': choose one of tripo-v2.5, "),
        (["--model", "tripo-p1", "--face-limit", "10"], "from 48 to 20,000 for FAL's Tripo P1"),
        (["--model", "trellis-2", "--face-limit", "5000"], "TRELLIS.2 takes no face limit"),
        (["--model", "hunyuan3d-v3", "--seed", "3"], "Hunyuan3D v3 takes no seed"),
        (["--model", "rodin-v2.5", "--seed", "70000"], "from 0 to 65,535"),
        (["--model", "trellis-2", "--pbr"], "TRELLIS.2 has no PBR option"),
    ],
)
def test_model_refusals_are_one_sentence_and_exit_2(
    args: list[str], words: str, fake: FakeFal, tmp_path: Path
) -> None:
    photo = make_photo(tmp_path / "photo.png", 96)
    result = run_cli(fake, "generate", str(photo), "--engine", "fal", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fake.submits() == []


def test_views_with_a_single_photo_model_exit_2(fake: FakeFal, tmp_path: Path) -> None:
    views = [make_photo(tmp_path / f"{view}.png", 96) for view in ("front", "left")]
    result = run_cli(
        fake, "generate", "--views", *map(str, views), "--engine", "fal", "--model", "trellis-2"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "TRELLIS.2 makes a model from one photo; use tripo-v2.5, " in result.stderr
    assert fake.submits() == []


def test_models_prints_the_table() -> None:
    result = subprocess.run(
        [*CLI, "models"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr
    # The table, then a blank line and where the prices come from (no key: the table).
    table, note = result.stdout.split("\n\n")
    assert "No FAL key is set" in note
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["NAME", "GOOD", "AT"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == list(registry.GENERATORS)
    hunyuan = next(line for line in lines if line.startswith("hunyuan3d-v3"))
    assert hunyuan.endswith("unknown") and "4 views" in hunyuan
    assert "no" in next(line for line in lines if line.startswith("trellis-2")).split()
