"""The `bundle_jobs` table: bundles asked for in the web UI, built in the background.

A job is added `queued` with what to bundle (accounts, `[]` for every account; the half-open
period; the format) and who asked; the web service's worker claims it (queued -> running, with
its pid), notes its progress now and then, and ends it `done` (the package's id, SHA-256, size,
path relative to the storage folder, and the verification's result) or `failed` (a one-line
reason). A job left running by a web process that is gone is failed at the next start
(`fail_abandoned`). Every state change is one short write transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from storage.db import transaction

STATES = ("queued", "running", "done", "failed")
_COLUMNS = (
    "id", "accounts", "since", "until", "format", "requested_by", "requested_at", "state",
    "worker_pid", "started_at", "finished_at", "progress", "package_id", "sha256", "size", "path",
    "verify_ok", "verify", "error",
)  # fmt: skip
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM bundle_jobs"


@dataclass(frozen=True)
class BundleJob:
    """One bundle job as stored."""

    id: int
    accounts: list[str]
    since: str | None
    until: str | None
    format: str
    requested_by: str
    requested_at: str
    state: str
    worker_pid: int | None
    started_at: str | None
    finished_at: str | None
    progress: str | None
    package_id: str | None
    sha256: str | None
    size: int | None
    path: str | None  # relative to the storage folder
    verify_ok: bool | None
    verify: dict[str, Any] | None
    error: str | None

    @property
    def finished(self) -> bool:
        """True once the job is done or failed."""
        return self.state in ("done", "failed")


def _job(values: Sequence[Any]) -> BundleJob:
    row = dict(zip(_COLUMNS, values, strict=True))
    row["accounts"] = json.loads(row["accounts"] or "[]")
    row["verify"] = json.loads(row["verify"]) if row["verify"] else None
    row["verify_ok"] = None if row["verify_ok"] is None else bool(row["verify_ok"])
    return BundleJob(**row)


def _now(clock: Callable[[], datetime]) -> str:
    text = utc_iso(clock())
    assert text is not None
    return text


def add_job(
    db: Database,
    accounts: Iterable[str],
    *,
    since: datetime | None,
    until: datetime | None,
    fmt: str,
    requested_by: str,
    clock: Callable[[], datetime],
) -> int:
    """Queue a bundle job and return its id (call inside the caller's transaction, or alone)."""
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO bundle_jobs (accounts, since, until, format, requested_by, requested_at,"
            " state) VALUES (?, ?, ?, ?, ?, ?, 'queued')",
            [json.dumps(list(accounts)), utc_iso(since), utc_iso(until), fmt, requested_by,
             _now(clock)],
        )  # fmt: skip
    return int(cursor.lastrowid or 0)


def claim_job(db: Database, job_id: int, *, pid: int, clock: Callable[[], datetime]) -> bool:
    """Move a queued job to running for the worker `pid`; False when it was not queued."""
    with transaction(db):
        row = db.execute(
            "UPDATE bundle_jobs SET state = 'running', started_at = ?, worker_pid = ?"
            " WHERE id = ? AND state = 'queued' RETURNING id",
            [_now(clock), pid, job_id],
        ).fetchone()
    return row is not None


def note_progress(db: Database, job_id: int, progress: str) -> None:
    """Store a running job's progress text."""
    with transaction(db):
        db.execute(
            "UPDATE bundle_jobs SET progress = ? WHERE id = ? AND state = 'running'",
            [progress, job_id],
        )


def finish_job(
    db: Database,
    job_id: int,
    *,
    package_id: str,
    sha256: str,
    size: int,
    path: str,
    verify_ok: bool,
    verify: Mapping[str, Any],
    clock: Callable[[], datetime],
) -> None:
    """Store a built and verified bundle (running -> done)."""
    with transaction(db):
        db.execute(
            "UPDATE bundle_jobs SET state = 'done', finished_at = ?, progress = NULL,"
            " package_id = ?, sha256 = ?, size = ?, path = ?, verify_ok = ?, verify = ?"
            " WHERE id = ? AND state = 'running'",
            [_now(clock), package_id, sha256, size, path, int(verify_ok),
             json.dumps(dict(verify), ensure_ascii=False), job_id],
        )  # fmt: skip


def fail_job(db: Database, job_id: int, *, error: str, clock: Callable[[], datetime]) -> None:
    """End a queued or running job as failed, with a one-line reason."""
    with transaction(db):
        db.execute(
            "UPDATE bundle_jobs SET state = 'failed', finished_at = ?, error = ?"
            " WHERE id = ? AND state IN ('queued', 'running')",
            [_now(clock), " ".join(error.split())[:2000], job_id],
        )


def running_jobs(db: Database) -> list[BundleJob]:
    """The jobs in state running, oldest first."""
    rows = db.execute(f"{_SELECT} WHERE state = 'running' ORDER BY id").fetchall()
    return [_job(r) for r in rows]


def queued_ids(db: Database) -> list[int]:
    """The ids of the queued jobs, oldest first."""
    return [int(r[0]) for r in db.execute("SELECT id FROM bundle_jobs WHERE state = 'queued'"
                                          " ORDER BY id")]  # fmt: skip


def fail_abandoned(
    db: Database, *, alive: Callable[[int], bool], error: str, clock: Callable[[], datetime]
) -> list[int]:
    """Fail the running jobs whose worker process is gone (`alive(pid)` False); their ids."""
    gone = [job.id for job in running_jobs(db)
            if job.worker_pid is None or not alive(job.worker_pid)]  # fmt: skip
    for job_id in gone:
        fail_job(db, job_id, error=error, clock=clock)
    return gone


def get_job(db: Database, job_id: int) -> BundleJob | None:
    """The job with this id, or None."""
    row = db.execute(f"{_SELECT} WHERE id = ?", [job_id]).fetchone()
    return _job(row) if row else None


def list_jobs(db: Database, *, limit: int = 100) -> list[BundleJob]:
    """The newest jobs first."""
    rows = db.execute(f"{_SELECT} ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    return [_job(r) for r in rows]
