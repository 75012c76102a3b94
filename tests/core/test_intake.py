"""The one way in: folders, photo checks, batch entries and parameters, on real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from testkit import make_photo

from image2model_desktop.core.intake import (
    RejectedInput,
    StagedInput,
    check_photos,
    expand_paths,
    merge_parameters,
    unique_stems,
)
from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.settings import Settings


def test_folders_expand_to_their_photos_sorted_and_files_stay_as_given(tmp_path: Path) -> None:
    folder = tmp_path / "shoot"
    (folder / "sub").mkdir(parents=True)
    b = make_photo(folder / "b.png", 32)
    a = make_photo(folder / "sub" / "a.JPG", 32)
    (folder / "notes.txt").write_text("not a photo")
    loose = make_photo(tmp_path / "loose.png", 32)

    expansion = expand_paths([folder, loose])

    assert expansion.files == [*sorted([a, b]), loose]
    assert expansion.problems == []


def test_empty_folders_and_missing_paths_are_one_sentence_each(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    expansion = expand_paths([tmp_path / "empty", tmp_path / "gone.jpg"])
    assert expansion.files == []
    assert expansion.problems == [
        f"The folder {tmp_path / 'empty'} holds no JPEG or PNG photos.",
        f"No such file or folder: {tmp_path / 'gone.jpg'}",
    ]


def test_checked_photos_become_entries_and_refusals_name_the_file(tmp_path: Path) -> None:
    good = make_photo(tmp_path / "good.png", 48)
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is text, not a JPEG")

    staged, rejected = check_photos([good, fake])

    assert isinstance(staged, StagedInput)
    assert staged.display_name == "good.png" and staged.content_type == "image/png"
    assert staged.file_size == good.stat().st_size
    assert isinstance(rejected, RejectedInput)
    assert rejected.display_name == "fake.jpg" and rejected.reason.startswith("fake.jpg: ")


def test_parameters_given_win_over_the_defaults_and_none_means_not_given() -> None:
    settings = Settings(engine="offline", defaults=JobParameters(face_limit=9000, texture="HD"))

    merged = merge_parameters(settings, {"face_limit": None, "texture": "no", "seed": 5})

    assert merged == JobParameters(engine="offline", face_limit=9000, texture="no", seed=5)
    assert merge_parameters(settings, {}).engine == "offline"
    with pytest.raises(ValidationError):
        merge_parameters(settings, {"texture": "ultra"})


def test_output_stems_are_safe_and_unique_within_a_batch() -> None:
    names = ["chair.jpg", "Chair.png", "../../etc/passwd", "стул.png", ".png"]
    assert unique_stems(names) == ["chair", "Chair_2", "passwd", "model", "png"]
