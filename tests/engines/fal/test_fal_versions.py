"""Every file FAL returns is kept, generator options reach FAL, and a remesh or retexture
is a new version of the same library entry: priced, submitted once, reused. The real
fal-client against the fake (issue 22)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from testkit import make_photo, open_test_runtime

from image2model_desktop.core.errors import ParameterError
from image2model_desktop.core.models import Job, JobParameters, PostProcess
from image2model_desktop.core.service import StagedInput
from image2model_desktop.core.states import FileState
from image2model_desktop.engines.fal.engine import FalEngine
from image2model_desktop.mesh.deliverables import given_choice, save_as_given, save_choices
from image2model_desktop.runtime import Runtime
from tests.fakefal import FakeFal

pytestmark = [pytest.mark.asyncio, pytest.mark.fal_fake(generation_seconds=0.3)]
WAIT = 60.0


@pytest_asyncio.fixture
async def rt(tmp_path: Path, fake: FakeFal) -> AsyncIterator[Runtime]:
    runtime = open_test_runtime(
        tmp_path / "lib", lambda name: FalEngine(key=fake.key), hold_on_balance=False
    )
    yield runtime
    await runtime.aclose()


async def generate(rt: Runtime, tmp_path: Path, parameters: JobParameters, name: str) -> Job:
    photo = make_photo(tmp_path / name, 96)
    entry = StagedInput(photo, photo.name, photo.stat().st_size, "image/png")
    job = await rt.service.submit([entry], parameters)
    return await asyncio.wait_for(rt.service.wait_finished(job.job_id), WAIT)


def fal_file(fake: FakeFal, request_id: str, suffix: str) -> bytes:
    """The bytes the fake served for a request's file of that suffix."""
    state = fake._state  # the files FAL "holds" for the request
    with state.cond:
        found = [
            f.data
            for f in state.files.values()
            if f.request_id == request_id and f.name.endswith(suffix)
        ]
    assert len(found) == 1, (suffix, len(found))
    return found[0]


async def test_hunyuan_fbx_and_usdz_are_kept_and_saved_byte_for_byte(
    rt: Runtime, fake: FakeFal, tmp_path: Path
) -> None:
    job = await generate(
        rt, tmp_path, JobParameters(engine="fal", model="hunyuan3d-v3"), "vase.png"
    )
    (item,) = job.files
    assert item.state == FileState.COMPLETED, item.error_message
    assert item.output is not None and item.request_id is not None
    kept = {f.format: f for f in item.output.files}
    assert set(kept) == {"glb", "fbx", "obj", "usdz"}
    assert item.output.model_filename == kept["glb"].name == "vase.glb"
    assert {f.source for f in kept.values()} == {"fal"}
    outputs = rt.paths.outputs(job.job_id)
    choices = save_choices(outputs, item.output, "fal")
    labels = [c.label for c in choices]
    assert any(label.startswith("FBX") and "as FAL gave it" in label for label in labels)
    assert any(label.startswith("3MF") and "converted" in label for label in labels)
    for fmt in ("fbx", "usdz"):
        choice = given_choice(choices, fmt)
        assert choice is not None
        dest = tmp_path / "saved" / f"vase.{fmt}"
        dest.parent.mkdir(exist_ok=True)
        save_as_given(choice, dest)
        assert dest.read_bytes() == fal_file(fake, item.request_id, f".{fmt}")


async def test_rodin_usdz_is_what_fal_returns(rt: Runtime, fake: FakeFal, tmp_path: Path) -> None:
    parameters = JobParameters(
        engine="fal", model="rodin-v2.5", output_format="usdz", quad=True, t_pose=True
    )
    job = await generate(rt, tmp_path, parameters, "robot.png")
    (item,) = job.files
    assert item.state == FileState.COMPLETED, item.error_message
    (submit,) = fake.submits()
    assert submit.arguments["geometry_file_format"] == "usdz"
    assert submit.arguments["quality_mesh_option"] == "200K Quad"
    assert submit.arguments["TAPose"] is True
    assert item.output is not None and item.request_id is not None
    assert item.output.model_filename == "robot.usdz"
    saved = rt.paths.outputs(job.job_id) / "robot.usdz"
    assert saved.read_bytes() == fal_file(fake, item.request_id, ".usdz")
    # Nothing here reads USDZ: the model is kept unmeasured, and the person is told so.
    assert item.output.warning is not None and "USDZ" in item.output.warning
    choices = save_choices(rt.paths.outputs(job.job_id), item.output, "fal")
    assert [c.format for c in choices] == ["usdz"]


async def test_tripo_h31_quad_answers_fbx_and_real_size(
    rt: Runtime, fake: FakeFal, tmp_path: Path
) -> None:
    parameters = JobParameters(engine="fal", model="tripo-h3.1", quad=True, real_size=True)
    # The quad's 5 credits are in the estimate (community figure, docs/fal-models.md).
    assert rt.service.estimate_cost(parameters, 1) == pytest.approx(0.35)
    job = await generate(rt, tmp_path, parameters, "chair.png")
    (item,) = job.files
    assert item.state == FileState.COMPLETED, item.error_message
    (submit,) = fake.submits()
    assert submit.arguments["quad"] is True and submit.arguments["auto_size"] is True
    assert item.output is not None and item.request_id is not None
    assert item.output.model_filename == "chair.fbx"
    assert item.output.real_size is True
    saved = rt.paths.outputs(job.job_id) / "chair.fbx"
    assert saved.read_bytes() == fal_file(fake, item.request_id, ".fbx")


async def test_an_option_the_model_lacks_is_refused_before_anything_is_sent(
    rt: Runtime, fake: FakeFal, tmp_path: Path
) -> None:
    with pytest.raises(ParameterError, match=r"TRELLIS\.2 makes no quad meshes"):
        await generate(
            rt, tmp_path, JobParameters(engine="fal", model="trellis-2", quad=True), "a.png"
        )
    with pytest.raises(ParameterError, match=r"Tripo v2\.5 returns GLB only"):
        await generate(
            rt,
            tmp_path,
            JobParameters(engine="fal", model="tripo-v2.5", output_format="fbx"),
            "b.png",
        )
    assert fake.submits() == []


async def test_remesh_is_a_new_version_submitted_once_then_reused(
    rt: Runtime, fake: FakeFal, tmp_path: Path
) -> None:
    original = await generate(rt, tmp_path, JobParameters(engine="fal"), "duck.png")
    (source,) = original.files
    service = rt.service
    post = PostProcess(
        service="meshy-remesh",
        source_job_id=original.job_id,
        source_file_id=source.file_id,
        quad=True,
        faces=5000,
        formats=("fbx",),
    )
    plan, post = await service.plan_version(original.job_id, source.file_id, post)
    assert service.estimate_version(plan, post) == pytest.approx(0.20)
    job = await service.submit_version(plan, post)
    done = await asyncio.wait_for(service.wait_finished(job.job_id), WAIT)
    (version,) = done.files
    assert version.state == FileState.COMPLETED, version.error_message
    assert (version.version, version.parent_file_id, version.entry_file_id) == (
        2,
        source.file_id,
        source.file_id,
    )
    assert version.estimated_usd == pytest.approx(0.20)
    remesh = fake.submits_to("fal-ai/meshy/v5/remesh")
    assert len(remesh) == 1
    assert remesh[0].arguments["topology"] == "quad"
    assert remesh[0].arguments["target_polycount"] == 5000
    assert remesh[0].arguments["target_formats"] == ["glb", "fbx"]
    assert version.output is not None and version.output.face_count == 5120
    assert {f.format for f in version.output.files} == {"glb", "fbx"}
    # The original is kept, and the entry lists both versions.
    outputs = rt.paths.outputs(original.job_id)
    assert (outputs / "duck.glb").is_file()
    assert [v.version for v in service.versions(version.file_id)] == [1, 2]

    # The same model with the same request again: no submit, nothing paid.
    again, post_again = await service.plan_version(original.job_id, source.file_id, post)
    assert service.estimate_version(again, post_again) == 0.0
    job2 = await service.submit_version(again, post_again)
    done2 = await asyncio.wait_for(service.wait_finished(job2.job_id), WAIT)
    (copy,) = done2.files
    assert copy.state == FileState.COMPLETED and copy.output is not None
    assert copy.output.reused_from is not None and copy.spent_usd == 0.0
    assert len(fake.submits_to("fal-ai/meshy/v5/remesh")) == 1
    assert {f.format for f in copy.output.files} == {"glb", "fbx"}


async def test_retexture_from_words_and_from_a_photo(
    rt: Runtime, fake: FakeFal, tmp_path: Path
) -> None:
    original = await generate(rt, tmp_path, JobParameters(engine="fal"), "mug.png")
    (source,) = original.files
    service = rt.service
    words = PostProcess(
        service="meshy-retexture",
        source_job_id=original.job_id,
        source_file_id=source.file_id,
        prompt="red and black chest",
    )
    plan, words = await service.plan_version(original.job_id, source.file_id, words)
    job = await service.submit_version(plan, words)
    done = await asyncio.wait_for(service.wait_finished(job.job_id), WAIT)
    assert done.files[0].state == FileState.COMPLETED, done.files[0].error_message
    style = make_photo(tmp_path / "style.png", 64)
    photo = PostProcess(
        service="trellis-retexture", source_job_id=original.job_id, source_file_id=source.file_id
    )
    plan2, photo = await service.plan_version(original.job_id, source.file_id, photo, style)
    job2 = await service.submit_version(plan2, photo)
    done2 = await asyncio.wait_for(service.wait_finished(job2.job_id), WAIT)
    assert done2.files[0].state == FileState.COMPLETED, done2.files[0].error_message
    meshy = fake.submits_to("fal-ai/meshy/v5/retexture")
    trellis = fake.submits_to("fal-ai/trellis-2/retexture")
    assert meshy[0].arguments["text_style_prompt"] == "red and black chest"
    assert trellis[0].arguments["image_url"] != trellis[0].arguments["mesh_url"]
    assert [v.version for v in service.versions(source.file_id)] == [1, 2, 3]
    # A retexture needs a style; a remesh takes none.
    bare = PostProcess(
        service="trellis-retexture", source_job_id=original.job_id, source_file_id=source.file_id
    )
    with pytest.raises(ParameterError, match="needs a style photo"):
        await service.plan_version(original.job_id, source.file_id, bare)
