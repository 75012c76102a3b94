"""The data of a batch: parameters, jobs, files and their outputs."""

from __future__ import annotations

import time
import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .states import FileState

EngineName = Literal["offline", "fal"]
EngineChoice = Literal["auto", "offline", "fal"]
TextureQuality = Literal["no", "standard", "HD"]
#: How long FAL keeps the photos a batch uploads: an hour, a day, a week, or
#: whatever the FAL account's storage settings say (no lifecycle sent).
FalRetention = Literal["1h", "1d", "7d", "account"]
#: The model a batch gets when nobody chose one (FAL's Tripo v2.5, the original's).
DEFAULT_MODEL = "tripo-v2.5"
#: A model file's format as FAL names it (Rodin's ``geometry_file_format``,
#: Meshy's ``target_formats``, the keys of FAL's ``model_urls``).
ModelFormat = Literal["glb", "usdz", "fbx", "obj", "stl", "blend"]
#: Where a file Save as offers comes from: FAL's own bytes, the offline engine's,
#: or a conversion we make when saving.
FileSource = Literal["fal", "offline", "converted"]
#: The FAL services that make a new version of a finished model (issue 22).
PostService = Literal["meshy-remesh", "hunyuan-topology", "meshy-retexture", "trellis-retexture"]


def new_id() -> str:
    """Return a lowercase UUID4 string (the API promises that shape)."""
    return str(uuid.uuid4())


class PostProcess(BaseModel):
    """A remesh or retexture of a finished model: what a version job asks FAL for.

    Every field but the source and the style image's stored name is part of the
    request (``core.reuse``: the same model, by its bytes, with the same request
    reuses the earlier version). Ranges are checked by the engine's policy.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: PostService
    #: The version this one is made from (display and lineage; not part of the request).
    source_job_id: str
    source_file_id: str
    #: Quad faces instead of triangles (remesh).
    quad: bool = False
    #: The faces asked for (Meshy's ``target_polycount``).
    faces: int | None = None
    #: Hunyuan's ``face_level``.
    face_level: Literal["high", "medium", "low"] | None = None
    #: Further formats FAL should return beside the GLB (Meshy's ``target_formats``).
    formats: tuple[ModelFormat, ...] = ()
    #: Meshy's ``resize_height`` in metres (None: not resized).
    resize_height: float | None = None
    #: Meshy's ``origin_at``.
    origin_at: Literal["bottom", "center"] | None = None
    #: The texture described in words (Meshy's ``text_style_prompt``).
    prompt: str | None = None
    #: The style photo's stored name in the job's inputs, and its pixel hash
    #: (``core.reuse.pixel_hash``: the hash is what the request compares).
    style_image: str | None = None
    style_image_hash: str | None = None
    #: PBR maps with the new texture (Meshy's ``enable_pbr``).
    pbr: bool = False

    @property
    def kind(self) -> Literal["remesh", "retexture"]:
        return "retexture" if self.service.endswith("retexture") else "remesh"


class JobParameters(BaseModel):
    """What the user asked for; the same for every file of a batch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engine: EngineChoice = "auto"
    #: None means "let the engine decide" (Auto in the window). Its range is the
    #: chosen engine's (``core.parameters``), checked when a batch is submitted.
    face_limit: int | None = None
    texture: TextureQuality = "standard"
    pbr: bool = False
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    #: Which of the engine's models makes the batch (FAL's generators; the
    #: offline engine has one and ignores it). Checked against the engine's list
    #: at submission (``core.parameters``).
    model: str = DEFAULT_MODEL
    #: How long FAL keeps this batch's uploaded photos (the CDN serves them to
    #: anyone with the URL until then). Ignored offline; not part of what a
    #: model is made with (``core.reuse`` ignores it).
    fal_retention: FalRetention = "1d"
    #: Quad faces (Tripo's ``quad``, answered as FBX; Rodin's quad
    #: ``quality_mesh_option``; Hunyuan3D's LowPoly ``quadrilateral``).
    quad: bool = False
    #: Scaled to real-world metres (Tripo H3.1's ``auto_size``).
    real_size: bool = False
    #: The model file's format where the model lets us choose it (Rodin's
    #: ``geometry_file_format``); None: the model's default (GLB).
    output_format: ModelFormat | None = None
    #: Characters in T/A pose, ready to rig (Rodin's ``TAPose``).
    t_pose: bool = False
    #: Hunyuan3D's LowPoly generation type (polygon reduction).
    low_poly: bool = False
    #: Set on a version job (remesh, retexture of a finished model); None for photos.
    post: PostProcess | None = None


class ReusedFrom(BaseModel):
    """The earlier file whose finished model a file reused instead of paying again."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    file_id: str
    #: The photo's name in that batch (display text only).
    filename: str
    #: When that batch was created (seconds since the epoch).
    job_created: float


class OutputFile(BaseModel):
    """One file of a finished model kept in the job's outputs folder beside the model."""

    model_config = ConfigDict(frozen=True)

    #: Its name in ``jobs/<job_id>/outputs``.
    name: str
    #: "glb", "fbx", "usdz", "obj", "mtl", "png"…: what the file is.
    format: str
    size: int
    source: FileSource = "fal"
    #: "model" (a whole model), "material" (an OBJ's .mtl) or "texture" (an image).
    role: Literal["model", "material", "texture"] = "model"
    #: The name FAL gave it (``file_name``): an OBJ names its .mtl, and the .mtl
    #: its texture, by these names, so Save as writes companions under them.
    fal_name: str | None = None


class OutputInfo(BaseModel):
    """What a completed file produced, as saved in the job's outputs folder."""

    model_config = ConfigDict(frozen=True)

    model_filename: str
    model_size: int
    face_count: int
    vertex_count: int
    extents: tuple[float, float, float]
    textured: bool
    preview_filename: str | None = None
    preview_size: int | None = None
    preview_content_type: str | None = None
    processing_time: float
    #: Set when the model was copied from an earlier identical photo (nothing was paid).
    reused_from: ReusedFrom | None = None
    #: The engine's sentence about a doubtful model (the offline engine found no clear
    #: subject). The one place it is kept: every front end shows it from here.
    warning: str | None = None
    #: Every file the engine returned for this model, the model file included
    #: (FBX, USDZ, OBJ, textures…), each kept as it came. Empty for rows made
    #: before issue 22 and for engines that return one file.
    files: tuple[OutputFile, ...] = ()
    #: Whether the model's size is its real-world size. The offline engine makes every
    #: model 1 m tall and most generators answer in arbitrary units, so front ends say
    #: "size not known" and ask for a height before a print export; an engine sets it
    #: only when it knows (e.g. Tripo's ``auto_size``).
    real_size: bool = False


class FileItem(BaseModel):
    """One photo of a batch and everything known about its way to a model."""

    model_config = ConfigDict(frozen=True)

    file_id: str
    job_id: str
    position: int
    #: The name the user knows the photo by. Display text only: never a path.
    filename: str
    #: Name of the stored photo inside ``jobs/<job_id>/inputs`` (None if refused).
    input_name: str | None
    input_size: int = 0
    content_type: str | None = None
    #: Safe, job-unique stem for outputs (``chair.jpg`` → ``chair``).
    output_stem: str
    state: FileState = FileState.PENDING
    progress: float = 0.0
    queue_position: int | None = None
    #: The latest human-readable line about this file (a FAL log line, …).
    message: str = ""
    error_code: str | None = None
    error_message: str | None = None
    #: The engine that ran (or runs) this file.
    engine: EngineName | None = None
    #: The engine's request id (FAL), saved the moment the request is enqueued.
    request_id: str | None = None
    #: The engine's model that makes (made) this file, e.g. ``trellis-2``; None offline.
    model: str | None = None
    #: Where the request went (FAL's endpoint id), saved with the request id so a
    #: resume asks the same endpoint even if the model's registry entry changed.
    endpoint: str | None = None
    #: Stored names of further views of the same object (left, back, right, in
    #: that order) when this file is one model made from several photos.
    view_names: tuple[str, ...] = ()
    attempts: int = 0
    #: What the engine's price said this file would cost (USD), committed with
    #: its request id; 0 when nothing was submitted (a reused model); None for
    #: a free engine or an unknown price.
    estimated_usd: float | None = None
    #: What the engine billed for it (USD), read after the request finished
    #: (``core.costs``); None until known, or when the engine cannot tell.
    spent_usd: float | None = None
    output: OutputInfo | None = None
    #: The photo's size and the SHA-256 of its upright pixels (``core.reuse``):
    #: the same photo, renamed or re-saved losslessly, has the same hash.
    pixel_hash: str | None = None
    #: False when the person asked for a new model even if one exists ("Generate again").
    reuse: bool = True
    #: The version this file was made from (a remesh or retexture); None for a
    #: model made from photos.
    parent_file_id: str | None = None
    #: The first version of the library entry this file belongs to (None: it is one).
    entry_file_id: str | None = None
    #: Its number among the entry's versions (1: the model made from photos).
    version: int = 1
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    @property
    def entry_id(self) -> str:
        """The library entry this file is a version of (its first version's file id)."""
        return self.entry_file_id or self.file_id


class JobStatus(StrEnum):
    """The outcome of a batch as a whole."""

    #: Files are still pending or in progress.
    PROCESSING = "processing"
    #: Every file completed.
    COMPLETED = "completed"
    #: Some completed, some failed or were cancelled.
    PARTIALLY_COMPLETED = "partially_completed"
    #: None completed and at least one failed.
    FAILED = "failed"
    #: None completed and the batch was cancelled.
    CANCELLED = "cancelled"


class Job(BaseModel):
    """One batch of photos sent together with the same parameters."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    #: The id used to follow the latest run of this job (changes on retry).
    task_id: str
    created: float
    parameters: JobParameters
    #: The engine the batch resolved to (``auto`` is resolved at submit).
    engine: EngineName
    files: tuple[FileItem, ...] = ()

    @property
    def is_finished(self) -> bool:
        return all(f.state.is_terminal for f in self.files)

    @property
    def completed_count(self) -> int:
        return sum(1 for f in self.files if f.state == FileState.COMPLETED)

    @property
    def failed_count(self) -> int:
        return sum(1 for f in self.files if f.state == FileState.FAILED)

    @property
    def cancelled_count(self) -> int:
        return sum(1 for f in self.files if f.state == FileState.CANCELLED)

    @property
    def unconfirmed_count(self) -> int:
        return sum(1 for f in self.files if f.state == FileState.UNCONFIRMED)

    @property
    def finished_count(self) -> int:
        return sum(1 for f in self.files if f.state.is_terminal)

    @property
    def progress(self) -> float:
        """Overall progress: the mean of the files, ended files counting 100."""
        if not self.files:
            return 100.0
        total = sum(100.0 if f.state.is_terminal else f.progress for f in self.files)
        return round(total / len(self.files), 1)

    @property
    def status(self) -> JobStatus:
        if not self.is_finished:
            return JobStatus.PROCESSING
        completed = self.completed_count
        if completed == len(self.files):
            return JobStatus.COMPLETED
        if completed:
            return JobStatus.PARTIALLY_COMPLETED
        if self.failed_count == 0 and self.cancelled_count:
            return JobStatus.CANCELLED
        return JobStatus.FAILED

    def parameters_of(self, item: FileItem) -> JobParameters:
        """What ``item`` is made with: the batch's parameters, with the file's own
        model (a compare batch runs one photo through several models)."""
        if item.model is None or item.model == self.parameters.model:
            return self.parameters
        return self.parameters.model_copy(update={"model": item.model})

    def file(self, file_id: str) -> FileItem:
        for item in self.files:
            if item.file_id == file_id:
                return item
        raise KeyError(file_id)

    def summary_message(self) -> str:
        """A short sentence like "2 successful, 1 failed"."""
        parts = [f"{self.completed_count} successful"]
        if self.failed_count:
            parts.append(f"{self.failed_count} failed")
        if self.cancelled_count:
            parts.append(f"{self.cancelled_count} cancelled")
        if self.unconfirmed_count:
            parts.append(
                f"{self.unconfirmed_count} unconfirmed (sent without an answer; not sent again)"
            )
        pending = len(self.files) - self.finished_count
        if pending:
            parts.append(f"{pending} in progress")
        return ", ".join(parts)
