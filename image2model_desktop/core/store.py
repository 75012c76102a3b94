"""The library: SQLite (WAL) holding jobs, tasks, files, states and outputs.

The store is the source of truth. The job engine commits every change here
before it tells anyone, so after a crash the next start finds each file in the
state it last reported, with its engine request id, and resumes from there.
Only one process owns a data directory at a time (an OS file lock); a second
one is refused with a sentence, because two engines resuming the same paid
request would pay twice.

Over 400 lines: the schema, its migrations and every query in one place, so
a change to a table is made and reviewed with all its readers.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from .errors import StoreError, StoreLockedError
from .models import FileItem, Job, JobParameters, OutputInfo
from .states import TERMINAL_STATES, FileState

log = logging.getLogger(__name__)

_FILE_COLUMNS = (
    "file_id",
    "job_id",
    "position",
    "filename",
    "input_name",
    "input_size",
    "content_type",
    "output_stem",
    "state",
    "progress",
    "queue_position",
    "message",
    "error_code",
    "error_message",
    "engine",
    "request_id",
    "attempts",
    "output",
    "created",
    "updated",
    "started",
    "finished",
    "pixel_hash",
    "reuse",
    "model",
    "endpoint",
    "view_names",
    "estimated_usd",
    "spent_usd",
    "parent_file_id",
    "entry_file_id",
    "version",
)


def _migrate_1(db: sqlite3.Connection) -> None:
    _run_statements(
        db,
        """
        CREATE TABLE jobs (
            job_id     TEXT PRIMARY KEY,
            task_id    TEXT NOT NULL,
            created    REAL NOT NULL,
            parameters TEXT NOT NULL,
            engine     TEXT NOT NULL
        );
        CREATE INDEX jobs_created ON jobs(created DESC);
        CREATE TABLE tasks (
            task_id  TEXT PRIMARY KEY,
            job_id   TEXT NOT NULL REFERENCES jobs(job_id) ON DELETE CASCADE,
            created  REAL NOT NULL,
            file_ids TEXT NOT NULL
        );
        CREATE INDEX tasks_job ON tasks(job_id);
        CREATE TABLE files (
            file_id        TEXT PRIMARY KEY,
            job_id         TEXT NOT NULL REFERENCES jobs(job_id) ON DELETE CASCADE,
            position       INTEGER NOT NULL,
            filename       TEXT NOT NULL,
            input_name     TEXT,
            input_size     INTEGER NOT NULL DEFAULT 0,
            content_type   TEXT,
            output_stem    TEXT NOT NULL,
            state          TEXT NOT NULL,
            progress       REAL NOT NULL DEFAULT 0,
            queue_position INTEGER,
            message        TEXT NOT NULL DEFAULT '',
            error_code     TEXT,
            error_message  TEXT,
            engine         TEXT,
            request_id     TEXT,
            attempts       INTEGER NOT NULL DEFAULT 0,
            output         TEXT,
            created        REAL NOT NULL,
            updated        REAL NOT NULL,
            started        REAL,
            finished       REAL
        );
        CREATE INDEX files_job ON files(job_id, position);
        CREATE INDEX files_state ON files(state);
        """,
    )


def _migrate_2(db: sqlite3.Connection) -> None:
    # Reuse of finished models (core.reuse): the photo's pixel hash, indexed for
    # the lookup, and whether the file may reuse one (False: "Generate again").
    _run_statements(
        db,
        """
        ALTER TABLE files ADD COLUMN pixel_hash TEXT;
        ALTER TABLE files ADD COLUMN reuse INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX files_pixel_hash ON files(pixel_hash);
        """,
    )


def _migrate_3(db: sqlite3.Connection) -> None:
    # Several generators (issue 16): which model made each file, the endpoint its
    # paid request went to (a resume asks the same one), and further views of
    # one object (a JSON list of stored names). Earlier files were Tripo v2.5's.
    _run_statements(
        db,
        """
        ALTER TABLE files ADD COLUMN model TEXT;
        ALTER TABLE files ADD COLUMN endpoint TEXT;
        ALTER TABLE files ADD COLUMN view_names TEXT NOT NULL DEFAULT '[]';
        UPDATE files SET model = 'tripo-v2.5' WHERE engine = 'fal'
        """,
    )


def _migrate_4(db: sqlite3.Connection) -> None:
    # Money you can trust (issue 20): what each file was estimated to cost and
    # what the engine billed (read after the fact). The version bump also keeps
    # an older app from opening a library whose files may be "unconfirmed".
    _run_statements(
        db,
        """
        ALTER TABLE files ADD COLUMN estimated_usd REAL;
        ALTER TABLE files ADD COLUMN spent_usd REAL
        """,
    )


def _migrate_5(db: sqlite3.Connection) -> None:
    # Versions (issue 22): a remesh or retexture is a new version of the same
    # library entry, made from a parent version; the entry is its first
    # version's file id, indexed to list an entry's versions.
    _run_statements(
        db,
        """
        ALTER TABLE files ADD COLUMN parent_file_id TEXT;
        ALTER TABLE files ADD COLUMN entry_file_id TEXT;
        ALTER TABLE files ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX files_entry ON files(entry_file_id)
        """,
    )


#: Migration N brings a database from version N-1 to N. Append, never edit.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_1,
    _migrate_2,
    _migrate_3,
    _migrate_4,
    _migrate_5,
)
SCHEMA_VERSION = len(MIGRATIONS)


class _InstanceLock:
    """An exclusive, advisory OS lock on a file; released when the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        handle = open(self._path, "a+")  # noqa: SIM115 - held open for the lock's life
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class Store:
    """A library database. Open it with :meth:`open`; close it when done."""

    def __init__(self, db: sqlite3.Connection, lock: _InstanceLock | None) -> None:
        self._db = db
        self._lock = lock
        # The loop thread does nearly all the work; the lock covers the rare
        # executor caller, since one sqlite3 connection is not thread-safe.
        self._mutex = threading.RLock()

    @classmethod
    def open(cls, path: Path, *, lock_path: Path | None = None) -> Store:
        """Open (creating or migrating) the database at ``path``."""
        lock = None
        if lock_path is not None:
            lock = _InstanceLock(lock_path)
            if not lock.acquire():
                raise StoreLockedError(
                    "Another Image2Model window or command is already using this library "
                    f"({path.parent}). Close it first, or set IMAGE2MODEL_DATA_DIR to "
                    "another folder."
                )
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
            _migrate(db)
        except sqlite3.DatabaseError as exc:
            if lock is not None:
                lock.release()
            log.error("Cannot open the library database %s: %s", path, exc)
            raise StoreError(
                f"The library database ({path}) cannot be opened: {exc}. "
                "Move it aside to start a fresh library."
            ) from exc
        return cls(db, lock)

    def close(self) -> None:
        with self._mutex:
            self._db.close()
        if self._lock is not None:
            self._lock.release()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- writes ---------------------------------------------------------------

    def insert_job(self, job: Job) -> None:
        """Insert a job, its files and its first task in one transaction."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs(job_id, task_id, created, parameters, engine) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    job.job_id,
                    job.task_id,
                    job.created,
                    job.parameters.model_dump_json(),
                    job.engine,
                ),
            )
            db.execute(
                "INSERT INTO tasks(task_id, job_id, created, file_ids) VALUES (?, ?, ?, ?)",
                (job.task_id, job.job_id, job.created, json.dumps([f.file_id for f in job.files])),
            )
            db.executemany(
                f"INSERT INTO files({', '.join(_FILE_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _FILE_COLUMNS)})",
                [_file_row(f) for f in job.files],
            )

    def save_file(self, item: FileItem) -> None:
        """Write every mutable field of ``item``."""
        row = _file_row(item)
        assignments = ", ".join(f"{c} = ?" for c in _FILE_COLUMNS[1:])
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE files SET {assignments} WHERE file_id = ?", (*row[1:], row[0])
            )
            if cursor.rowcount != 1:
                raise StoreError(f"The library has no file {item.file_id}.")

    def save_files(self, items: Iterable[FileItem]) -> None:
        with self._transaction():
            for item in items:
                self.save_file(item)

    def add_task(self, job_id: str, task_id: str, file_ids: Sequence[str]) -> None:
        """Record a new run of ``job_id`` covering ``file_ids`` (a retry)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tasks(task_id, job_id, created, file_ids) VALUES (?, ?, ?, ?)",
                (task_id, job_id, time.time(), json.dumps(list(file_ids))),
            )
            db.execute("UPDATE jobs SET task_id = ? WHERE job_id = ?", (task_id, job_id))

    def delete_job(self, job_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))

    # -- reads ----------------------------------------------------------------

    def load_job(self, job_id: str) -> Job | None:
        with self._mutex:
            row = self._db.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            return self._job_from_row(row)

    def list_jobs(self, limit: int = 50, offset: int = 0) -> list[Job]:
        """Return jobs newest first."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT * FROM jobs ORDER BY created DESC, rowid DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            return [self._job_from_row(r) for r in rows]

    def count_jobs(self) -> int:
        with self._mutex:
            return int(self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    def find_task(self, task_id: str) -> tuple[str, list[str]] | None:
        """Return ``(job_id, file_ids)`` of a task, or None."""
        with self._mutex:
            row = self._db.execute(
                "SELECT job_id, file_ids FROM tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
        if row is None:
            return None
        return str(row["job_id"]), list(json.loads(row["file_ids"]))

    def unfinished_job_ids(self) -> list[str]:
        """Jobs with at least one file not in a terminal state, oldest first."""
        terminal = tuple(sorted(s.value for s in TERMINAL_STATES))
        marks = ", ".join("?" for _ in terminal)
        with self._mutex:
            rows = self._db.execute(
                "SELECT DISTINCT f.job_id FROM files f JOIN jobs j USING(job_id) "
                f"WHERE f.state NOT IN ({marks}) ORDER BY j.created",
                terminal,
            ).fetchall()
        return [str(r[0]) for r in rows]

    def awaiting_cost(self, since: float, limit: int = 200) -> list[tuple[str, str, str]]:
        """(job id, file id, engine) of files with a request whose billed cost is unknown.

        Ended (completed, failed or cancelled: FAL may bill a request that then
        failed) after ``since``, newest first: what a restart still asks the
        engines about (``core.costs``).
        """
        ended = (FileState.COMPLETED.value, FileState.FAILED.value, FileState.CANCELLED.value)
        with self._mutex:
            rows = self._db.execute(
                "SELECT job_id, file_id, engine FROM files WHERE request_id IS NOT NULL "
                "AND engine IS NOT NULL AND spent_usd IS NULL AND state IN (?, ?, ?) "
                "AND finished >= ? ORDER BY finished DESC LIMIT ?",
                (*ended, since, limit),
            ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def jobs_with_unconfirmed(self) -> list[str]:
        """Jobs holding a file sent without an answer (``FileState.UNCONFIRMED``), oldest first."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT DISTINCT f.job_id FROM files f JOIN jobs j USING(job_id) "
                "WHERE f.state = ? ORDER BY j.created",
                (FileState.UNCONFIRMED.value,),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def jobs_with_output(self, filename: str) -> list[str]:
        """Job ids whose outputs include ``filename`` (model, preview or a file FAL gave)."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT DISTINCT job_id FROM files WHERE state = ? AND output IS NOT NULL "
                "AND (json_extract(output, '$.model_filename') = ? "
                "OR json_extract(output, '$.preview_filename') = ? "
                "OR EXISTS (SELECT 1 FROM json_each(output, '$.files') "
                "WHERE json_extract(value, '$.name') = ?))",
                (FileState.COMPLETED.value, filename, filename, filename),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def versions(self, file_id: str) -> list[FileItem]:
        """Every version of the library entry ``file_id`` belongs to, oldest first."""
        with self._mutex:
            row = self._db.execute(
                "SELECT COALESCE(entry_file_id, file_id) FROM files WHERE file_id = ?", (file_id,)
            ).fetchone()
            if row is None:
                return []
            rows = self._db.execute(
                f"SELECT {', '.join(_FILE_COLUMNS)} FROM files "
                "WHERE file_id = ? OR entry_file_id = ? ORDER BY version, created",
                (row[0], row[0]),
            ).fetchall()
        return [_file_from_row(r) for r in rows]

    def find_file(self, file_id: str) -> FileItem | None:
        with self._mutex:
            row = self._db.execute(
                f"SELECT {', '.join(_FILE_COLUMNS)} FROM files WHERE file_id = ?", (file_id,)
            ).fetchone()
        return _file_from_row(row) if row is not None else None

    def completed_with_pixels(
        self, pixel_hash: str
    ) -> list[tuple[FileItem, str, JobParameters, float]]:
        """Completed files of that photo, newest first: (file, engine, parameters, job created)."""
        with self._mutex:
            rows = self._db.execute(
                f"SELECT {', '.join('f.' + c for c in _FILE_COLUMNS)}, "
                "j.engine AS job_engine, j.parameters AS job_parameters, j.created AS job_created "
                "FROM files f JOIN jobs j USING(job_id) "
                "WHERE f.pixel_hash = ? AND f.state = ? AND f.output IS NOT NULL "
                "ORDER BY f.finished DESC",
                (pixel_hash, FileState.COMPLETED.value),
            ).fetchall()
        return [
            (
                _file_from_row(tuple(r)[: len(_FILE_COLUMNS)]),
                str(r["job_engine"]),
                JobParameters.model_validate_json(r["job_parameters"]),
                float(r["job_created"]),
            )
            for r in rows
        ]

    def recent_durations(self, engine: str, limit: int = 20) -> list[float]:
        """Processing times of the latest completed files of ``engine``."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT json_extract(output, '$.processing_time') FROM files "
                "WHERE engine = ? AND state = ? AND output IS NOT NULL "
                # A reused model took no time: it says nothing about the engine.
                "AND json_extract(output, '$.reused_from') IS NULL "
                "ORDER BY finished DESC LIMIT ?",
                (engine, FileState.COMPLETED.value, limit),
            ).fetchall()
        return [float(r[0]) for r in rows if r[0] is not None]

    # -- helpers --------------------------------------------------------------

    def _job_from_row(self, row: sqlite3.Row) -> Job:
        files = self._db.execute(
            f"SELECT {', '.join(_FILE_COLUMNS)} FROM files WHERE job_id = ? ORDER BY position",
            (row["job_id"],),
        ).fetchall()
        return Job(
            job_id=row["job_id"],
            task_id=row["task_id"],
            created=row["created"],
            parameters=JobParameters.model_validate_json(row["parameters"]),
            engine=row["engine"],
            files=tuple(_file_from_row(f) for f in files),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._mutex)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, nesting-safe, turning SQLite errors into StoreError."""

    def __init__(self, db: sqlite3.Connection, mutex: threading.RLock) -> None:
        self._db = db
        self._mutex = mutex
        self._outer = False

    def __enter__(self) -> sqlite3.Connection:
        self._mutex.acquire()
        self._outer = not self._db.in_transaction
        if self._outer:
            self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        try:
            if self._outer:
                if exc_type is None:
                    self._db.execute("COMMIT")
                else:
                    self._db.execute("ROLLBACK")
        except sqlite3.Error as error:
            log.error("Library write failed: %s", error)
            raise StoreError(
                f"The library could not be saved ({error}). Check that the disk has free space."
            ) from error
        finally:
            self._mutex.release()
        if isinstance(exc, sqlite3.Error):
            log.error("Library write failed: %s", exc)
            raise StoreError(
                f"The library could not be saved ({exc}). Check that the disk has free space."
            ) from exc


def _run_statements(db: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT first and break the migration's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migrate(db: sqlite3.Connection) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The library was written by a newer Image2Model (schema {version}); "
            "update the app to open it."
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number - 1](db)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        log.info("Library schema migrated to version %d", number)


def _file_row(item: FileItem) -> tuple[Any, ...]:
    values = item.model_dump(mode="json")
    values["output"] = item.output.model_dump_json() if item.output is not None else None
    values["view_names"] = json.dumps(list(item.view_names))
    return tuple(values[c] for c in _FILE_COLUMNS)


def _file_from_row(row: sqlite3.Row | tuple[Any, ...]) -> FileItem:
    data = dict(zip(_FILE_COLUMNS, tuple(row), strict=True))
    output = data.pop("output")
    data["view_names"] = tuple(json.loads(data["view_names"] or "[]"))
    return FileItem(
        **data, output=OutputInfo.model_validate_json(output) if output is not None else None
    )
