"""Versions of a library entry: a remesh or a retexture of a finished model is a new version.

A library entry is the model made from photos (version 1) and every version made
from it since. A version is its own one-file job whose parameters carry the
request (``JobParameters.post``), whose input is a copy of the parent version's
model (and the style photo of a retexture), and whose file names its parent
and its entry (``FileItem.parent_file_id``, ``entry_file_id``, ``version``).
So it runs through the same runner, ledger and store as a generation: the
request id is committed before anything else, a restart resumes it by that id,
and ``core.reuse`` matches the parent's bytes (``files.pixel_hash`` is
``model:<sha256>``) and the request. The original is never touched.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import SetupError
from .models import FileItem, Job, JobParameters, PostProcess, new_id
from .paths import LibraryPaths
from .states import FileState
from .store import Store


@dataclass(frozen=True)
class VersionPlan:
    """What a new version needs before it is committed (made in a thread: it reads files)."""

    source: FileItem
    source_model: Path
    model_hash: str
    #: The style photo and its pixel hash (a retexture from a photo).
    style: Path | None
    style_hash: str | None
    style_content_type: str | None


def find_model(store: Store, paths: LibraryPaths, ref: str) -> tuple[Job, FileItem]:
    """A finished model of the library from ``JOB/FILE``, a file id, a job id with one
    model, or the path of a model file in the library's outputs (``SetupError`` if none)."""
    text = ref.strip()
    path = Path(text)
    if path.suffix and path.exists():
        return _by_path(store, paths, path)
    job_id, _, file_id = text.partition("/")
    if file_id:
        job = store.load_job(job_id)
        if job is not None:
            return job, _finished(job, file_id, ref)
    item = store.find_file(text)
    if item is not None:
        job = store.load_job(item.job_id)
        if job is not None:
            return job, _finished(job, item.file_id, ref)
    job = store.load_job(text)
    if job is not None:
        done = [f for f in job.files if f.state == FileState.COMPLETED and f.output is not None]
        if len(done) == 1:
            return job, done[0]
        raise SetupError(
            f"Batch {text[:8]} holds {len(done)} models; name one as {text}/FILE_ID "
            "(`image2model versions` lists them)."
        )
    raise SetupError(
        f"No model {ref!r} in the library: give JOB_ID/FILE_ID, a file id, or the path of a "
        "model file in the library."
    )


def _by_path(store: Store, paths: LibraryPaths, path: Path) -> tuple[Job, FileItem]:
    resolved = path.resolve()
    jobs_root = (paths.root / "jobs").resolve()
    if not resolved.is_relative_to(jobs_root):
        raise SetupError(
            f"{path} is not in the library ({jobs_root}); remesh and retexture work on "
            "library models, so generate it first or give its job and file id."
        )
    job_id = resolved.relative_to(jobs_root).parts[0]
    job = store.load_job(job_id)
    if job is not None:
        for item in job.files:
            if item.output is not None and item.output.model_filename == resolved.name:
                return job, _finished(job, item.file_id, str(path))
    raise SetupError(f"{path.name} is not a finished model of the library.")


def _finished(job: Job, file_id: str, ref: str) -> FileItem:
    try:
        item = job.file(file_id)
    except KeyError:
        raise SetupError(f"No model {ref!r} in the library.") from None
    if item.state != FileState.COMPLETED or item.output is None:
        raise SetupError(f"{item.filename} has no finished model yet ({item.state.value}).")
    return item


def plan_version(paths: LibraryPaths, source: FileItem, style: Path | None) -> VersionPlan:
    """Hash the parent's model and check the style photo (blocking: run it in a thread)."""
    from .images import validate_image
    from .reuse import model_hash, pixel_hash

    assert source.output is not None  # find_model returns finished models only
    model = paths.outputs(source.job_id) / source.output.model_filename
    if not model.is_file():
        raise SetupError(
            f"The model file of {source.filename} is missing from the library; generate it again."
        )
    style_hash = content_type = None
    if style is not None:
        info = validate_image(style, style.name)
        style_hash, content_type = pixel_hash(style), info.content_type
    return VersionPlan(source, model, model_hash(model), style, style_hash, content_type)


def new_version(
    plan: VersionPlan,
    post: PostProcess,
    parameters: JobParameters,
    version: int,
    now: float,
    *,
    reuse: bool,
) -> tuple[Job, list[tuple[Path, str]]]:
    """The version's job (one file) and which file goes to which stored input name."""
    source = plan.source
    job_id, file_id = new_id(), new_id()
    model_name = f"{file_id}{plan.source_model.suffix.lower()}"
    placements = [(plan.source_model, model_name)]
    if plan.style is not None:
        suffix = ".png" if plan.style_content_type == "image/png" else ".jpg"
        style_name = f"{file_id}.style{suffix}"
        placements.append((plan.style, style_name))
        post = post.model_copy(update={"style_image": style_name})
    item = FileItem(
        file_id=file_id,
        job_id=job_id,
        position=0,
        filename=source.filename,
        input_name=model_name,
        input_size=plan.source_model.stat().st_size,
        content_type="model/gltf-binary",
        output_stem=f"{source.output_stem}.v{version}",
        engine="fal",
        model=post.service,
        pixel_hash=plan.model_hash,
        reuse=reuse,
        parent_file_id=source.file_id,
        entry_file_id=source.entry_id,
        version=version,
        created=now,
        updated=now,
    )
    job = Job(
        job_id=job_id,
        task_id=new_id(),
        created=now,
        parameters=parameters.model_copy(update={"model": post.service, "post": post}),
        engine="fal",
        files=(item,),
    )
    return job, placements


def place_version_inputs(
    paths: LibraryPaths, job_id: str, placements: list[tuple[Path, str]]
) -> None:
    """Copy the parent's model (and the style photo) into the version's job (blocking)."""
    inputs = paths.inputs(job_id)
    try:
        inputs.mkdir(parents=True, exist_ok=True)
        paths.outputs(job_id).mkdir(parents=True, exist_ok=True)
        for source, name in placements:
            shutil.copyfile(source, inputs / name)
    except OSError:
        shutil.rmtree(paths.job_dir(job_id), ignore_errors=True)
        raise


def version_label(item: FileItem, *, short: bool = False) -> str:
    """ "v2 · remeshed (meshy-remesh)" (``short``: "v2 · remeshed"): a version in lists."""
    if item.parent_file_id is None:
        kind = "generated"
    else:
        kind = "retextured" if (item.model or "").endswith("retexture") else "remeshed"
    maker = f" ({item.model})" if item.model and not short else ""
    return f"v{item.version} · {kind}{maker}"
