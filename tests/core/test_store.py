"""The library database: schema versions, locking, and surviving a killed writer."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from image2model_desktop.core.errors import StoreError, StoreLockedError
from image2model_desktop.core.models import FileItem, Job, JobParameters, new_id
from image2model_desktop.core.states import FileState
from image2model_desktop.core.store import MIGRATIONS, SCHEMA_VERSION, Store


def make_job(files: int = 2) -> Job:
    job_id = new_id()
    return Job(
        job_id=job_id,
        task_id=new_id(),
        created=time.time(),
        parameters=JobParameters(engine="offline", face_limit=5000),
        engine="offline",
        files=tuple(
            FileItem(
                file_id=new_id(),
                job_id=job_id,
                position=i,
                filename=f"photo {i}.jpg",
                input_name=f"{i}.jpg",
                output_stem=f"photo_{i}",
            )
            for i in range(files)
        ),
    )


def test_round_trip_and_newest_first(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib.sqlite3")
    first, second = make_job(), make_job(3)
    store.insert_job(first)
    store.insert_job(second)
    item = first.files[0].model_copy(
        update={"state": FileState.QUEUED, "queue_position": 3, "request_id": "req-1"}
    )
    store.save_file(item)
    assert [j.job_id for j in store.list_jobs()] == [second.job_id, first.job_id]
    loaded = store.load_job(first.job_id)
    assert loaded is not None
    assert loaded.files[0] == item
    assert loaded.parameters == first.parameters
    assert store.find_task(first.task_id) == (first.job_id, [f.file_id for f in first.files])
    assert store.unfinished_job_ids() == [first.job_id, second.job_id]
    store.close()


def test_older_schema_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    sqlite3.connect(path).close()  # an empty database is schema version 0
    store = Store.open(path)
    assert store.schema_version == SCHEMA_VERSION
    store.insert_job(make_job())
    store.close()


def test_a_version_3_library_gains_costs_and_keeps_its_files(tmp_path: Path) -> None:
    """Migration 4 (issue 20): estimated and billed costs; nothing else changes."""
    path = tmp_path / "lib.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for migrate in MIGRATIONS[:3]:
        db.execute("BEGIN")
        migrate(db)
        db.execute("COMMIT")
    db.execute("PRAGMA user_version = 3")
    job = make_job(1)
    db.execute(
        "INSERT INTO jobs VALUES (?, ?, ?, ?, ?)",
        (job.job_id, job.task_id, job.created, job.parameters.model_dump_json(), job.engine),
    )
    item = job.files[0]
    db.execute(
        "INSERT INTO files(file_id, job_id, position, filename, input_name, output_stem, state,"
        " request_id, created, updated) VALUES (?, ?, 0, ?, ?, ?, 'completed', 'req-9', ?, ?)",
        (item.file_id, job.job_id, item.filename, item.input_name, item.output_stem, 1.0, 1.0),
    )
    db.close()
    store = Store.open(path)
    assert store.schema_version == SCHEMA_VERSION
    loaded = store.load_job(job.job_id)
    assert loaded is not None
    (found,) = loaded.files
    assert found.request_id == "req-9" and found.state == FileState.COMPLETED
    assert found.estimated_usd is None and found.spent_usd is None
    # An old job's parameters have no retention: the default (a day) applies.
    assert loaded.parameters.fal_retention == "1d"
    store.save_file(found.model_copy(update={"spent_usd": 0.3, "estimated_usd": 0.3}))
    reloaded = store.load_job(job.job_id)
    assert reloaded is not None and reloaded.files[0].spent_usd == 0.3
    store.close()


def test_unconfirmed_files_end_their_job_and_are_listed_for_a_resend(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib.sqlite3")
    job = make_job(1)
    store.insert_job(job)
    store.save_file(job.files[0].model_copy(update={"state": FileState.UNCONFIRMED}))
    assert store.unfinished_job_ids() == []
    assert store.jobs_with_unconfirmed() == [job.job_id]
    store.close()


def test_newer_schema_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(StoreError, match="newer Image2Model"):
        Store.open(path)


def test_garbage_database_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        Store.open(path)


def test_second_owner_is_refused_and_lock_dies_with_the_process(tmp_path: Path) -> None:
    db, lock = tmp_path / "lib.sqlite3", tmp_path / "lib.lock"
    owner = Store.open(db, lock_path=lock)
    with pytest.raises(StoreLockedError, match="already using this library"):
        Store.open(db, lock_path=lock)
    owner.close()
    Store.open(db, lock_path=lock).close()


WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_store import make_job
from image2model_desktop.core.store import Store
store = Store.open(Path({db!r}), lock_path=Path({lock!r}))
count = 0
while True:
    job = make_job(5)
    store.insert_job(job)
    for item in job.files:
        store.save_file(item.model_copy(update={{"progress": 50.0, "message": "x" * 200}}))
    count += 1
    if count == 20:
        print("committed 20", flush=True)
"""


def test_killed_writer_leaves_a_consistent_library(tmp_path: Path) -> None:
    db, lock = tmp_path / "lib.sqlite3", tmp_path / "lib.lock"
    code = WRITER.format(tests=str(Path(__file__).parent), db=str(db), lock=str(lock))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    # Once it has committed a good number of transactions, kill it mid-write.
    assert proc.stdout.readline().strip() == "committed 20"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    store = Store.open(db, lock_path=lock)  # the lock died with the writer
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # Every job is whole: its five files were inserted in the same transaction.
    counts = raw.execute("SELECT COUNT(*) FROM files GROUP BY job_id").fetchall()
    raw.close()
    assert len(counts) >= 20 and {c[0] for c in counts} == {5}
    assert store.count_jobs() == len(counts)
    store.close()


def test_a_version_4_library_gains_versions_and_keeps_its_files(tmp_path: Path) -> None:
    """Migration 5 (issue 22): every old file is the first version of its own entry."""
    path = tmp_path / "lib.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for migrate in MIGRATIONS[:4]:
        db.execute("BEGIN")
        migrate(db)
        db.execute("COMMIT")
    db.execute("PRAGMA user_version = 4")
    job = make_job(1)
    db.execute(
        "INSERT INTO jobs VALUES (?, ?, ?, ?, ?)",
        (job.job_id, job.task_id, job.created, job.parameters.model_dump_json(), job.engine),
    )
    item = job.files[0]
    db.execute(
        "INSERT INTO files(file_id, job_id, position, filename, input_name, output_stem, state,"
        " created, updated) VALUES (?, ?, 0, ?, ?, ?, 'completed', ?, ?)",
        (item.file_id, job.job_id, item.filename, item.input_name, item.output_stem, 1.0, 1.0),
    )
    db.close()
    store = Store.open(path)
    assert store.schema_version == SCHEMA_VERSION == 5
    (found,) = store.versions(item.file_id)
    assert (found.version, found.parent_file_id, found.entry_file_id) == (1, None, None)
    assert found.entry_id == item.file_id
    # A second version names its entry; both list together, oldest first.
    version = make_job(1)
    second = version.files[0].model_copy(
        update={"parent_file_id": item.file_id, "entry_file_id": item.file_id, "version": 2}
    )
    store.insert_job(version.model_copy(update={"files": (second,)}))
    assert [v.version for v in store.versions(second.file_id)] == [1, 2]
    assert store.versions("no-such-file") == []
    store.close()
