"""The web service's bundle worker: builds queued bundle jobs one at a time in a thread.

`build_bundle` (the same builder as `somed bundle`) writes the package as a ZIP under
`<storage.dir>/bundles`; then `verify_package` (the same check as `somed verify`) re-reads it
and its result is stored with the job (`storage/bundle_jobs.py`). One worker per archive and
process: `worker_for(config)` starts it on first use and then fails the jobs a web process that
is gone left running, and takes up the jobs still queued. `somed web` starts it in its own
(supervising) process only, never in its worker processes: their pages queue the job in the
database and the worker finds it there (it looks every `POLL_SECONDS`; a job asked for in its
own process wakes it at once). Claiming a job is one atomic update (queued -> running), so a
job is built once even by two workers on one archive.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.model import canonical_json, parse_utc
from somed.config import Config
from storage import bundle_jobs
from storage.db import connect, connect_readonly

log = logging.getLogger("somed.web.bundles")

ABANDONED = "the web service stopped while the bundle was being built"
PROGRESS_EVERY_SECONDS = 1.0
POLL_SECONDS = 1.0  # how often the worker looks for jobs queued by other processes
PROBLEMS_KEPT = 50  # the verification's problems stored with a job (the count is always kept)
_workers: dict[Path, BundleWorker] = {}
_workers_lock = threading.Lock()


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def pid_alive(pid: int) -> bool:
    """True when another process with this id exists (this process's worker is new: not ours)."""
    from somed.bundle.staging import process_alive

    return pid != os.getpid() and process_alive(pid)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def verify_summary(report: Any) -> dict[str, Any]:
    """What is kept of a `VerifyReport`: format, id, counts and the first problems."""
    return {
        "format": report.format, "package_id": report.package_id, "checked": report.checked,
        "bytes": report.bytes, "problem_count": len(report.problems),
        "problems": [asdict(p) for p in report.problems[:PROBLEMS_KEPT]],
    }  # fmt: skip


class JobProgress:
    """`build_bundle`'s progress callback: the phase and bytes, stored now and then.

    The bundle reports from more than one thread (its media are copied beside the rest), and a
    SQLite connection serves only the thread that opened it: each reporting thread gets its own.
    """

    def __init__(self, db_path: Path, job_id: int,
                 monotonic: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.db_path, self.job_id, self.monotonic = db_path, job_id, monotonic
        self._phase = ""
        self._at = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        """Store the progress when the phase changes, else at most once a second."""
        with self._lock:
            now = self.monotonic()
            if phase == self._phase and now - self._at < PROGRESS_EVERY_SECONDS:
                return
            self._phase, self._at = phase, now
        text = canonical_json({"phase": phase, "done": done, "total": total})
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.db_path)
        bundle_jobs.note_progress(db, self.job_id, text)


class BundleWorker:
    """One thread building this archive's bundle jobs in the order they were asked for."""

    def __init__(self, config: Config, clock: Callable[[], datetime] = utc_now,
                 poll_seconds: float = POLL_SECONDS) -> None:  # fmt: skip
        self.config = config
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._queue: queue.Queue[int] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="bundle-worker", daemon=True)

    def start(self) -> None:
        """Fail jobs left running by a process that is gone, queue the waiting ones, start."""
        db = connect(self.config.db_path)
        try:
            gone = bundle_jobs.fail_abandoned(db, alive=pid_alive, error=ABANDONED,
                                              clock=self.clock)  # fmt: skip
            waiting = bundle_jobs.queued_ids(db)
        finally:
            db.close()
        for job_id in gone:
            log.warning("bundle job %d: %s", job_id, ABANDONED,
                        extra={"event": "bundle_abandoned", "job": job_id})  # fmt: skip
        for job_id in waiting:
            self._queue.put(job_id)
        self._thread.start()

    def submit(self, job_id: int) -> None:
        """Build the queued job `job_id` after those before it."""
        self._queue.put(job_id)

    def _serve(self) -> None:
        reader: Any = None
        while True:
            try:
                waiting = [self._queue.get(timeout=self.poll_seconds)]
            except queue.Empty:  # nothing asked for here: any queued by another process?
                try:
                    reader = reader or connect_readonly(self.config.db_path)
                    waiting = bundle_jobs.queued_ids(reader)
                except Exception as exc:  # the archive away for a moment: look again later
                    log.warning("bundle jobs cannot be read: %s", exc)
                    waiting, reader = [], None
            for job_id in waiting:
                try:
                    self.run(job_id)
                except Exception as exc:  # never let the worker die: the job says what went wrong
                    log.error("bundle job %d failed: %s", job_id, exc, exc_info=exc,
                              extra={"event": "bundle_failed", "job": job_id})  # fmt: skip

    def run(self, job_id: int) -> None:
        """Claim, build, hash and verify one job, storing each step's outcome."""
        db = connect(self.config.db_path)
        try:
            if not bundle_jobs.claim_job(db, job_id, pid=os.getpid(), clock=self.clock):
                return
            job = bundle_jobs.get_job(db, job_id)
            assert job is not None
            try:
                self._build(db, job)
            except Exception as exc:
                detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                log.warning("bundle job %d failed: %s", job_id, detail,
                            extra={"event": "bundle_failed", "job": job_id})  # fmt: skip
                bundle_jobs.fail_job(db, job_id, error=detail, clock=self.clock)
        finally:
            db.close()

    def _build(self, db: Any, job: bundle_jobs.BundleJob) -> None:
        from somed.bundle.build import build_bundle
        from somed.bundle.model import BundleRequest
        from somed.bundle.verify import verify_package

        request = BundleRequest(tuple(job.accounts), parse_utc(job.since), parse_utc(job.until),
                                job.format, True)  # type: ignore[arg-type]  # fmt: skip
        progress = JobProgress(self.config.db_path, job.id)
        result = build_bundle(self.config, request, progress=progress, clock=self.clock)
        path = Path(result.path)
        bundle_jobs.note_progress(db, job.id, canonical_json({"phase": "verify"}))
        report = verify_package(path)
        storage = Path(self.config.storage_dir).resolve()
        bundle_jobs.finish_job(
            db, job.id, package_id=result.package_id, sha256=file_sha256(path),
            size=path.stat().st_size, path=path.resolve().relative_to(storage).as_posix(),
            verify_ok=report.ok, verify=verify_summary(report), clock=self.clock,
        )  # fmt: skip
        log.info("bundle job %d: %s made (%d items), verified %s", job.id, result.package_id,
                 result.items, "ok" if report.ok else "with problems",
                 extra={"event": "bundle_made", "job": job.id})  # fmt: skip


def worker_for(config: Config) -> BundleWorker:
    """This process's worker for `config`'s archive, started on first use."""
    key = Path(config.db_path).resolve()
    with _workers_lock:
        worker = _workers.get(key)
        if worker is None:
            worker = BundleWorker(config)
            worker.start()
            _workers[key] = worker
        return worker
