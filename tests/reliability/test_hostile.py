"""Hostile photos: validation directly (many generated files), then a whole batch in the CLI.

Every refused file gets one sentence naming it and the reason; a file that is
accepted can really be decoded and prepared for upload (nothing accepted
crashes later); the good photos of the same batch complete; no traceback.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from hostile import build_hostile_corpus
from hostile_bytes import hostile_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testkit import make_photo, subprocess_env

from image2model_desktop.core.errors import InvalidImageError
from image2model_desktop.core.images import load_rgba_array, validate_image, write_upload_copy
from tests.fakefal import FakeFal

CLI = [sys.executable, "-m", "image2model_desktop"]


@settings(max_examples=300, deadline=None)
@given(data=hostile_bytes(), suffix=st.sampled_from([".jpg", ".png"]))
def test_validation_accepts_only_what_it_can_decode(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"photo{suffix}"
        path.write_bytes(data)
        try:
            info = validate_image(path, "Ürlaub/photo" + suffix)
        except InvalidImageError as error:
            assert error.user_message.startswith("Ürlaub/photo" + suffix + ": ")
            assert "\n" not in error.user_message and len(error.user_message) < 300
            return
        pixels = load_rgba_array(path, max_side=512)
        assert pixels.ndim == 3 and pixels.shape[2] == 4 and pixels.size > 0
        assert max(pixels.shape[:2]) <= 512
        copy = write_upload_copy(path, info, Path(tmp) / "staging")
        assert validate_image(copy, "copy").content_type in ("image/jpeg", "image/png")


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(blobs=st.lists(hostile_bytes(), min_size=4, max_size=4))
def test_cli_batch_of_hostile_files_through_fal(
    isolated_environment: Path, blobs: list[bytes]
) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeFal(generation_seconds=0.3) as fake:
        folder = Path(tmp)
        corpus = build_hostile_corpus(folder / "hostile")
        good = [make_photo(folder / f"good{i}.png", 80 + 8 * i) for i in range(2)]
        random_files = []
        for number, blob in enumerate(blobs):
            path = folder / f"random{number}{'.jpg' if number % 2 else '.png'}"
            path.write_bytes(blob)
            random_files.append(path)
        accepted = set()
        for path in [*good, *random_files]:
            try:
                validate_image(path, path.name)
                accepted.add(path.name)
            except InvalidImageError:
                pass
        files = [*good, *(c.path for c in corpus), *random_files]

        result = subprocess.run(
            # Each example shares the library: --no-reuse sends the good photos every time.
            [*CLI, "generate", *map(str, files), "--engine", "fal", "--no-reuse"],
            capture_output=True,
            text=True,
            timeout=120,
            env=subprocess_env(**fake.env()),
            stdin=subprocess.DEVNULL,
        )

        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "Traceback" not in output
        lines = result.stdout.splitlines()
        for path in files:
            mine = [line.strip() for line in lines if line.strip()[2:].startswith(path.name)]
            assert len(mine) == 1, (path.name, output)
            if path.name in accepted:
                assert mine[0].startswith(f"✓ {path.name} "), mine[0]  # then (model) → path
            else:
                assert mine[0].startswith(f"✗ {path.name}: "), mine[0]
        for case in corpus:
            line = next(x for x in lines if x.strip().startswith(f"✗ {case.path.name}:"))
            assert case.expect_reason_contains in line.lower(), line
        # Only accepted photos ever reached FAL, each once.
        assert sorted(fake.submit_count_by_input()) == sorted(accepted)
        assert set(fake.submit_count_by_input().values()) == {1}
        assert fake.server_errors() == []
