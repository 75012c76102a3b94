"""One parameter policy: each engine's declaration, checked at submission, one default engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from engines_for_tests import ScriptedEngine
from testkit import open_test_runtime

from image2model_desktop.core.errors import ParameterError
from image2model_desktop.core.intake import StagedInput
from image2model_desktop.core.models import JobParameters
from image2model_desktop.core.parameters import EngineParameters
from image2model_desktop.core.settings import Settings
from image2model_desktop.engines import ENGINE_PARAMETERS

OFFLINE = ENGINE_PARAMETERS["offline"]
FAL = ENGINE_PARAMETERS["fal"]


@pytest.mark.parametrize(
    ("policy", "low", "high"), [(OFFLINE, 100, 2_000_000), (FAL, 1, 2_000_000)]
)
def test_face_limit_range_is_inclusive_and_outside_names_field_and_range(
    policy: EngineParameters, low: int, high: int
) -> None:
    for fine in (low, high, None):
        policy.check(JobParameters(face_limit=fine))
    for wrong in (low - 1, high + 1, -5):
        with pytest.raises(ParameterError) as caught:
            policy.check(JobParameters(face_limit=wrong))
        assert caught.value.field == "face_limit"
        assert caught.value.allowed == {"minimum": low, "maximum": high}
        assert f"from {low:,} to {high:,}" in caught.value.user_message
        assert caught.value.code == "INVALID_PARAMETER"


def test_what_an_engine_ignores_is_declared() -> None:
    assert OFFLINE.textures == () and not OFFLINE.pbr and not OFFLINE.seed
    assert OFFLINE.face_limit.default == 20_000
    assert FAL.textures == ("no", "standard", "HD") and FAL.pbr and FAL.seed
    assert FAL.face_limit.default is None


@pytest.mark.asyncio
async def test_submission_refuses_parameters_outside_the_engine_and_keeps_nothing(
    tmp_path: Path, photo: Path
) -> None:
    runtime = open_test_runtime(tmp_path / "lib", lambda name: ScriptedEngine())
    try:
        service = runtime.service
        entry = StagedInput(photo, "disc.png", photo.stat().st_size, "image/png")
        with pytest.raises(ParameterError):
            await service.submit([entry], JobParameters(engine="offline", face_limit=50))
        assert service.count_jobs() == 0
        assert not (runtime.paths.root / "jobs").exists()
        assert service.parameter_policy("offline") is OFFLINE
        assert service.parameter_policy("auto") is FAL  # a key is set in this runtime
    finally:
        await runtime.aclose()


def test_one_default_engine_whichever_side_changed_wins() -> None:
    old = Settings()
    assert old.engine == "auto" == old.defaults.engine

    from_dialog = old.model_copy(update={"defaults": JobParameters(engine="offline")})
    taken = from_dialog.with_one_engine(old)
    assert taken.engine == "offline" == taken.defaults.engine

    from_serve = taken.model_copy(update={"engine": "fal"})
    taken = from_serve.with_one_engine(taken)
    assert taken.engine == "fal" == taken.defaults.engine == taken.job_defaults().engine


def test_settings_files_written_before_the_engines_were_one_keep_the_chosen_default(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"engine": "auto", "defaults": {"engine": "offline", "face_limit": 9000}}')
    loaded = Settings.load(path)
    assert loaded.engine == "offline" and loaded.defaults.engine == "offline"
    assert loaded.job_defaults() == JobParameters(engine="offline", face_limit=9000)
