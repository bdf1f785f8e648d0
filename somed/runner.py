"""Runs one archive pass for one account: retries, backoff, cursors, sweep, run log, health."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import filelock
from sqlite_utils import Database

from connectors.base import (
    AccountSpec,
    AuthError,
    Connector,
    ConnectorError,
    FatalError,
    PermissionDenied,
    RateLimited,
    StreamSpec,
    TransientError,
)
from connectors.http import ThreadSessions
from connectors.model import Batch, Entry, Record, Span, parse_utc, utc_iso
from connectors.registry import connector_class
from somed.config import Config, TokenError
from somed.media_fetch import MediaFetcher, media_refs
from somed.moderation import scan as moderation
from somed.netsetup import download_plan, media_limits, sessions_for
from somed.prefetch import prefetched
from somed.progress import Progress, Reason
from somed.reasons import PARTIAL, reason_of
from storage import queries
from storage.db import connect
from storage.errors import StorageError, storage_error
from storage.media import MediaStore
from storage.register import closed_accounts
from storage.reserve import ensure_reserve, release_reserve
from storage.runlog import RunLog, decode_reason
from storage.writer import ArchiveWriter, PreparedBatch, WriteStats, prepare_batch
from storage.writer_process import WriterProcess, tune_gc

log = logging.getLogger("somed.runner")

PERMISSION_RECHECK = timedelta(hours=24)
DEEP_SWEEP = "deep_sweep"  # its state is kept as a cursor of this name
DEEP_SWEEP_SLICE_POSTS = 500  # posts (with their comments) one run's deep-sweep slice covers
KEPT_RESUME = ".resume"  # a walk's resume point kept across runs: the cursor "<stream>.resume"


# How long a thread may hold the interpreter lock while another waits for it. A run fetches in
# one thread while it stores in another; SQLite releases the lock while it works, and with
# Python's default of 5 ms every return from SQLite waited up to that long for the fetching
# thread to let go (a first archive made some 1,300 such calls).
SWITCH_INTERVAL_SECONDS = 0.0005


def tune_threads() -> None:
    """Let the fetching and the storing thread of a run take turns quickly, and the garbage
    collector run seldom (`storage.writer_process.tune_gc`); process-wide."""
    if sys.getswitchinterval() > SWITCH_INTERVAL_SECONDS:
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    tune_gc()


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Interrupted(Exception):
    """The daemon is stopping: the current batch was stored, the run ends here."""


class _Reasoned(Exception):
    """An exception of the runner's own that carries a reason code and params."""

    def __init__(self, message: str, *, reason: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = dict(params or {})


class RunRateLimited(_Reasoned):
    """The platform asked for a longer pause than a run may wait."""


class StreamFailed(_Reasoned):
    """A stream could not be completed in this run (retries spent, or a fatal error)."""


class StreamPartial(_Reasoned):
    """A walk was stopped before its end on purpose (`walk.repeating`, `walk.budget`)."""


def _caused(exc: BaseException, **params: Any) -> dict[str, Any]:
    """Params naming `exc`'s reason as the cause of a runner reason."""
    code, cause_params = reason_of(exc)
    return {**params, "cause": code, "cause_params": cause_params}


@dataclass
class RunOutcome:
    """What one account's run did, for the CLI summary and the daemon's status line."""

    account: str
    platform: str
    status: str
    new: int = 0
    changed: int = 0
    deleted: int = 0
    requests: int = 0
    duration: float = 0.0
    message: str | None = None  # English, for logs
    streams: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # the reason code (somed/reasons.py renders it) and its params
    reason_params: dict[str, Any] = field(default_factory=dict)
    stream_reasons: dict[str, dict[str, Any]] = field(default_factory=dict)  # {"reason","params"}
    retries: int = 0
    quarantined: int = 0  # distinct items this run put or kept in quarantine
    run_id: int | None = None  # the run log's row (None when the run never started: busy)

    @property
    def failed(self) -> bool:
        """True when the run did not do its work (busy or closed counts as not done)."""
        return self.status != "ok"


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Capped exponential backoff with equal jitter: half fixed, half random."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class Runner:
    """Archives accounts from a validated config into the archive under `[storage] dir`."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], datetime] = utc_now,
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
        progress: Progress | None = None,
        moderate: bool = True,
    ) -> None:
        """`moderate`: check a run's new items for moderation right after it (the CLI); the
        daemon leaves that to its moderation lane, so the next poll need not wait for it."""
        self.config = config
        self.moderate = moderate
        self.clock = clock
        self.stop = stop or threading.Event()
        self.rng = rng or random.Random()
        self.progress: Progress = progress or Progress()
        self.media_store = MediaStore(config.storage_dir)
        # run ends that could not be recorded (disk full): account -> run id -> finish_run kwargs
        self.unrecorded: dict[str, dict[int, dict[str, Any]]] = {}

    # --- public ------------------------------------------------------------------------------

    def lock_path(self, key: str) -> Path:
        """The per-account lock file that keeps two processes from polling one account."""
        return self.config.storage_dir / "locks" / f"{key}.lock"

    def run_account(self, key: str, *, trigger: str = "manual", wait: float = 0.0) -> RunOutcome:
        """Archive one account once; never raises for platform or network trouble."""
        account = self.config.account(key)
        lock_file = self.lock_path(key)
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(lock_file))
        try:
            lock.acquire(timeout=wait)
        except filelock.Timeout:
            message = "another process is archiving this account right now"
            log.info("%s: skipped, %s", key, message, extra={"account": key, "event": "busy"})
            return RunOutcome(key, account.platform, "busy", message=message, reason="run.busy")
        try:
            outcome = _AccountRun(self, key).run(trigger)
            if self.moderate:
                moderation.after_run(self.config, key, clock=self.clock)  # never raises
            return outcome
        finally:
            lock.release()

    def close_stale_runs(self, runlog: RunLog, *, own: str) -> None:
        """Close runs left "running" of accounts nobody is archiving now (their lock is free).

        The lock tells more than a pid, which another process may have been given since.
        """
        for key in runlog.running_accounts():
            if key == own:
                continue
            lock = filelock.FileLock(str(self.lock_path(key)))
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                continue  # being archived right now
            try:
                runlog.mark_interrupted_runs(key, lock_held=True)
            finally:
                lock.release()

    def run_accounts(
        self, keys: Sequence[str], *, trigger: str = "manual", wait: float = 0.0
    ) -> list[RunOutcome]:
        """Archive several accounts one after another."""
        return [self.run_account(k, trigger=trigger, wait=wait) for k in keys]

    # --- shared helpers for _AccountRun --------------------------------------------------------

    def sleep(self, seconds: float) -> None:
        """Wait, but wake at once when the daemon is stopping."""
        if seconds > 0 and self.stop.wait(seconds):
            raise Interrupted()
        if self.stop.is_set():
            raise Interrupted()


T = TypeVar("T")


class _PerStream(Generic[T]):
    """An attribute of a run that a stream walked beside the others has a value of its own for.

    Read: the calling thread's own value (set in `_beside`), else the run's. Written: the
    thread's own when it is a stream thread (it has a connection of its own), else the run's.
    """

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc

    def __get__(self, run: _AccountRun, owner: type | None = None) -> T:
        return getattr(run._here, self.name, None) or run._main[self.name]

    def __set__(self, run: _AccountRun, value: T) -> None:
        if getattr(run._here, "db", None) is not None:
            setattr(run._here, self.name, value)
        else:
            run._main[self.name] = value


class _AccountRun:
    """The state of one account's run: connector, writer, counters."""

    def __init__(self, runner: Runner, key: str) -> None:
        self.runner = runner
        self.config = runner.config
        self.key = key
        self.account = self.config.account(key)
        self.settings = self.config.platform_settings(self.account.platform)
        self.stats = WriteStats()
        self.stream_status: dict[str, str] = {}
        self.stream_reasons: dict[str, dict[str, Any]] = {}  # {"reason", "params"} per stream
        self.batches_stored = 0
        self.retries = 0
        self.items_seen = 0
        self.connector: Connector
        self.media: MediaFetcher
        self.bulk: WriterProcess | None = None  # the run's writer process, once a walk needs it
        # a stream walked beside the others has a thread, a connection and a stage of its own
        self._here = threading.local()
        self._main: dict[str, Any] = {"stage": "profile"}
        self._counts = threading.Lock()  # the run's counts, updated from every stream's thread
        self._halt = threading.Event()  # a stream of the main thread ended the run

    # --- what belongs to the calling thread (see `_beside`) ----------------------------------

    db: _PerStream[Database] = _PerStream("db", "The calling stream's connection.")
    writer: _PerStream[ArchiveWriter] = _PerStream("writer", "The calling stream's writer.")
    stage: _PerStream[str] = _PerStream("stage", "What the calling thread walks (progress line).")

    def _stored_here(self) -> int:
        """Batches the calling thread's walks stored (a retry counts afresh after progress)."""
        return int(getattr(self._here, "stored", 0))

    def run(self, trigger: str) -> RunOutcome:
        started = time.monotonic()
        try:
            db = connect(self.config.db_path)
        except (OSError, sqlite3.Error) as exc:
            return self._not_started(exc, None)
        if self.key in closed_accounts(db):  # closing is final: its archive is kept, not grown
            db.close()
            log.info("%s: skipped, the account is closed", self.key,
                     extra={"account": self.key, "event": "closed"})  # fmt: skip
            return RunOutcome(self.key, self.account.platform, "closed", reason="run.closed")
        writer = ArchiveWriter(db, self.runner.clock)
        self.writer = writer
        self.db = db
        ensure_reserve(self.config.storage_dir)  # room to record a run's end on a full disk
        try:
            self._record_earlier_ends()
            writer.runlog.mark_interrupted_runs(self.key, lock_held=True)  # we hold the lock
            self.runner.close_stale_runs(writer.runlog, own=self.key)
            run_id = writer.runlog.start_run(self.key, self.account.platform, trigger)
        except (OSError, sqlite3.Error) as exc:
            return self._not_started(exc, db)
        log.info(
            "%s: run started (%s)",
            self.key,
            trigger,
            extra={"account": self.key, "event": "run_started", "run_id": run_id},
        )
        self._progress("run_started", self.key)
        status, message = "ok", None
        reason: tuple[str | None, dict[str, Any]] = (None, {})
        connector: Connector | None = None
        media: MediaFetcher | None = None
        sessions: ThreadSessions | None = None
        try:
            cls = connector_class(self.account.platform)
            spec = self._account_spec()  # reads the token: a missing one fails this run only
            sessions = sessions_for(self.config, self.key, cls)
            connector = cls(spec, self.settings, sessions, self.runner.clock)
            self.connector = connector
            self.media = media = self._media_fetcher(connector, sessions)
            status, message, reason = self._work(cls.streams)
        except AuthError as exc:
            status, message, reason = "auth_failed", str(exc), reason_of(exc)
        except RunRateLimited as exc:
            status, message, reason = "rate_limited", str(exc), reason_of(exc)
        except Interrupted:
            status, message = "interrupted", "the daemon was stopping"
            reason = ("run.interrupted", {})
        except (ConnectorError, StorageError) as exc:
            status, message, reason = "failed", str(exc), reason_of(exc)
        except Exception as exc:  # a bug must not kill the daemon; it is logged with its trace
            trouble = storage_error(exc, self.config.storage_dir)
            if trouble is not None:
                status, message, reason = "failed", str(trouble), reason_of(trouble)
            else:
                log.exception("%s: unexpected error", self.key, extra={"account": self.key})
                status, message = "failed", f"internal error: {type(exc).__name__}: {exc}"
                reason = ("run.internal", {"error": type(exc).__name__})
        finally:
            if self.bulk is not None:
                _close_bulk(self.bulk)
                self.bulk = None
            if media:
                media.close()
            requests_made = connector.request_count() if connector else 0
            cost_units = connector.cost_units() if connector else None
            if connector:
                _close_connector(connector, self.key, self.config.storage_dir)
        if message and sessions is not None:  # the network layer scrubbed; this is a backstop
            message = sessions.scrubber.text(message)
        duration = time.monotonic() - started
        self._record_end(
            run_id,
            status,
            new=self.stats.new,
            changed=self.stats.changed,
            deleted=self.stats.deleted,
            requests=requests_made,
            message=message,
            reason=reason[0],
            params=reason[1],
            retries=self.retries,
            quarantined=self._quarantined(),
            cost_units=cost_units,
        )
        outcome = RunOutcome(
            self.key,
            self.account.platform,
            status,
            self.stats.new,
            self.stats.changed,
            self.stats.deleted,
            requests_made,
            duration,
            message,
            dict(self.stream_status),
            reason[0],
            reason[1],
            dict(self.stream_reasons),
            self.retries,
            self._quarantined(),
            run_id=run_id,
        )
        self._progress("run_finished", self.key, status, self.items_seen, requests_made)
        log.info(
            "%s: run finished status=%s new=%d changed=%d deleted=%d quarantined=%d requests=%d"
            " in %.1fs%s",
            self.key,
            status,
            outcome.new,
            outcome.changed,
            outcome.deleted,
            outcome.quarantined,
            requests_made,
            duration,
            f" ({message})" if message else "",
            extra={
                "account": self.key,
                "event": "run_finished",
                "status": status,
                "new": outcome.new,
                "changed": outcome.changed,
                "deleted": outcome.deleted,
                "quarantined": outcome.quarantined,
                "requests": requests_made,
                "cost_units": cost_units,
                "retries": self.retries,
                "duration": round(duration, 3),
            },
        )
        db.close()
        return outcome

    def _quarantined(self) -> int:
        """How many distinct items this run put (or kept) in quarantine."""
        return len(set(self.stats.quarantined_keys))

    # --- bookkeeping that may meet a full disk -----------------------------------------------

    def _not_started(self, exc: Exception, db: Database | None) -> RunOutcome:
        """The archive could not even record the run's start: say why in one line."""
        trouble = storage_error(exc, self.config.storage_dir)
        message = str(trouble) if trouble else f"the archive cannot be opened: {exc}"
        code, params = reason_of(trouble) if trouble else ("storage.io", {"error": str(exc)})
        log.warning("%s: run not started: %s", self.key, message, extra={"account": self.key})
        if db is not None:
            db.close()
        return RunOutcome(
            self.key, self.account.platform, "failed", message=message, reason=code,
            reason_params=params,
        )  # fmt: skip

    def _media_fetcher(self, connector: Connector, sessions: ThreadSessions) -> MediaFetcher:
        """The run's downloads: in threads, and in a child process for a run with many files
        when the connector downloads plainly."""
        limits = media_limits(self.config, self.account.platform)
        plan = download_plan(self.config, sessions, limits) if connector.plain_downloads else None
        return MediaFetcher(connector, self.runner.media_store, account=self.key,
                            sleep=self.runner.sleep, backoff=self._backoff, limits=limits,
                            plan=plan, workers=self.config.media.parallel_downloads)  # fmt: skip

    def _record_end(self, run_id: int, status: str, **counts: Any) -> None:
        """Close the run and set health; on a full disk retry briefly, then leave it for later.

        A run end that cannot be written is kept in memory and written by the account's next
        run in this process; a process that ends first leaves it to the stale-run closer.
        """
        for pause in (0.1, 0.5, 0.0):
            try:
                self.writer.runlog.finish_run(run_id, status, **counts)
                reason = (counts.get("reason"), counts.get("params") or {})
                self._update_health(status, counts.get("message"), run_id, reason)
                return
            except (OSError, sqlite3.Error) as exc:
                trouble = storage_error(exc, self.config.storage_dir) or exc
                if getattr(trouble, "reason", None) == "storage.disk_full" and release_reserve(
                    self.config.storage_dir
                ):
                    continue  # the reserve's space is free now: record the end in it
                if not pause:
                    log.warning(
                        "%s: the end of run %d could not be recorded: %s",
                        self.key,
                        run_id,
                        trouble,
                        extra={"account": self.key, "event": "run_not_recorded"},
                    )
                    self.runner.unrecorded.setdefault(self.key, {})[run_id] = {
                        "status": status, **counts
                    }  # fmt: skip
                    return
                time.sleep(pause)

    def _record_earlier_ends(self) -> None:
        """Write the ends of this account's earlier runs that met a full disk (if any)."""
        pending = self.runner.unrecorded.get(self.key, {})
        for run_id, values in list(pending.items()):
            given = dict(values)
            status = str(given.pop("status"))
            self.writer.runlog.finish_run(run_id, status, **given)
            del pending[run_id]

    def _account_spec(self) -> AccountSpec:
        """The connector's view of the account; a token that cannot be read fails this run only."""
        try:
            return self.config.account_spec(self.key)
        except TokenError as exc:
            raise AuthError(str(exc), reason=exc.reason, params=exc.params) from None

    # --- the work ----------------------------------------------------------------------------

    def _work(
        self, specs: Sequence[StreamSpec]
    ) -> tuple[str, str | None, tuple[str | None, dict[str, Any]]]:
        offered = {spec.name: spec for spec in specs}
        wanted = self.account.streams or list(offered)
        # attachments a previous run could not finish (it ended before they were linked)
        self.media.submit(queries.pending_media(self.db, self.key))
        if any(offered[name].cursor != "none" and queries.get_cursor(self.db, self.key, name)
               is None for name in wanted if name in offered):  # fmt: skip
            self._bulk_writer()  # a first walk lies ahead: its writer starts while we fetch
        problems: list[str] = []
        parts: list[dict[str, Any]] = []  # the reason of each problem, for run.partial
        beside: list[tuple[StreamSpec, _Beside]] = []  # streams walked in threads of their own
        try:
            for index, stream in enumerate(wanted):
                if index == 1:  # the first stream (the profile) is read: start those beside
                    beside = self._start_beside(offered, wanted[1:])
                if stream not in offered:
                    raise FatalError(
                        f"unknown stream {stream!r} (this platform offers {', '.join(offered)})",
                        reason="run.unknown_stream",
                        params={"stream": stream},
                    )
                spec = offered[stream]
                if index > 0 and spec.beside and self.config.runner.streams_beside:
                    continue  # started with the others beside after the first stream
                if self._denied_lately(spec):
                    continue
                outcome = self._contained(stream, lambda s=spec: self._walk(s))
                failed = self._settle(spec, outcome, problems, parts)
                if failed is not None:
                    return failed
            for spec, lane in beside:  # in the order the streams were asked for
                lane.thread.join()
                if lane.error is not None:  # what ends a run in any stream ends it here
                    raise lane.error
                self._settle(spec, lane.outcome, problems, parts)
        finally:
            if any(lane.thread.is_alive() for _, lane in beside):
                self._halt.set()  # the run ends early: a stream beside stops at its next batch
                for _, lane in beside:
                    lane.thread.join()
                self._halt.clear()
        if self.stream_status.get("posts") == "ok":
            for problem, part in self._sweeps():
                problems.append(problem)
                parts.append(part)
        self._link_remaining_media()
        if problems:
            worked = any(v in ("ok", "partial") for v in self.stream_status.values())
            status = "partial" if worked else "failed"
            return status, "; ".join(problems), (PARTIAL, {"parts": parts})
        return "ok", None, (None, {})

    def _settle(
        self,
        spec: StreamSpec,
        outcome: tuple[str, str, tuple[str, dict[str, Any]]] | None,
        problems: list[str],
        parts: list[dict[str, Any]],
    ) -> tuple[str, str | None, tuple[str | None, dict[str, Any]]] | None:
        """Record how a stream's walk ended; the run's failure when the account cannot be read."""
        stream = spec.name
        self._progress("stream_done", self.key, stream, outcome[0] if outcome else "ok")
        if outcome is None:
            self.writer.runlog.set_stream_state(self.key, stream, "ok")
            log.info(
                "%s: %s complete (so far new=%d changed=%d)",
                self.key,
                stream,
                self.stats.new,
                self.stats.changed,
                extra={"account": self.key, "event": "stream_done", "stream": stream},
            )
            return None
        status, detail, (code, params) = outcome
        self.stream_reasons[stream] = {"reason": code, "params": params}
        self.writer.runlog.set_stream_state(
            self.key, stream, status, detail, reason=code, params=params
        )
        if status == "permission_denied":
            # an optional stream (Messenger) may be out of the token's reach for good; the
            # account's profile and posts may not: that is a problem people must see
            log.warning(
                "%s: stream %s skipped: %s",
                self.key,
                stream,
                detail,
                extra={"account": self.key, "event": "permission_denied", "stream": stream},
            )
            if spec.optional:
                return None
        elif status == "failed" and stream == "profile":  # the account cannot be read
            return "failed", detail, (code, params)
        problems.append(f"{stream}: {detail}")
        parts.append({"stream": stream, "reason": code, "params": params})
        return None

    def _start_beside(
        self, offered: dict[str, StreamSpec], later: Sequence[str]
    ) -> list[tuple[StreamSpec, _Beside]]:
        """Start the walks of the streams after the first that may go beside the others."""
        if not self.config.runner.streams_beside:
            return []
        started = []
        for stream in later:
            spec = offered.get(stream)
            if spec is None or not spec.beside:
                continue
            if not self._denied_lately(spec):
                started.append((spec, self._beside(spec)))
        return started

    def _denied_lately(self, spec: StreamSpec) -> bool:
        """True (and the stream marked so) for an optional stream denied within the last day."""
        if not spec.optional or not self._permission_recently_denied(spec.name):
            return False
        self.stream_status[spec.name] = "permission_denied"
        state = decode_reason(queries.stream_state(self.db, self.key, spec.name) or {})
        self.stream_reasons[spec.name] = {"reason": state["reason"],
                                          "params": state["reason_params"]}  # fmt: skip
        return True

    def _beside(self, spec: StreamSpec) -> _Beside:
        """Walk `spec` in a thread of its own, with its own connection to the archive.

        Its batches are stored by that connection (never by the run's writer process, which
        stores the first walk of the main thread's streams), each with its cursor as always,
        so whatever stops the run, every stream resumes where its last stored batch ended.
        """
        lane = _Beside()

        def body() -> None:
            try:
                db = connect(self.config.db_path)
            except BaseException as exc:  # noqa: BLE001 - carried to the run's thread
                lane.error = storage_error(exc, self.config.storage_dir) or exc
                return
            self._here.db, self._here.stage = db, spec.name
            self._here.writer = ArchiveWriter(db, self.runner.clock)
            try:
                lane.outcome = self._contained(spec.name, lambda: self._walk(spec))
            except BaseException as exc:  # noqa: BLE001 - carried to the run's thread
                lane.error = exc
            finally:
                db.close()

        lane.thread = threading.Thread(target=body, name=f"somed-{spec.name}", daemon=True)
        lane.thread.start()
        return lane

    def _contained(
        self, stream: str, walk: Callable[[], None]
    ) -> tuple[str, str, tuple[str, dict[str, Any]]] | None:
        """Run one stream's walk; None when complete, else its status, why, and the reason.

        Whatever goes wrong inside one stream stays in that stream: a bug is logged once with
        its traceback and the stream marked failed, and the other streams and accounts go on.
        A token the platform refuses, a long rate limit, a stopping daemon and a full disk end
        the whole run (they concern every stream).
        """
        status = "failed"
        try:
            walk()
        except (AuthError, RunRateLimited, Interrupted, StorageError):
            raise
        except PermissionDenied as exc:
            status, detail, reason = "permission_denied", str(exc), reason_of(exc)
        except (StreamFailed, StreamPartial) as exc:
            status = "partial" if isinstance(exc, StreamPartial) else "failed"
            detail, reason = str(exc), reason_of(exc)
        except Exception as exc:  # noqa: BLE001 - contained to this stream, logged with its trace
            trouble = storage_error(exc, self.config.storage_dir)
            if trouble is not None:
                raise trouble from None
            log.exception(
                "%s: %s: unexpected error; this stream is marked failed, the others go on",
                self.key,
                stream,
                extra={"account": self.key, "event": "stream_error", "stream": stream},
            )
            detail = f"internal error: {type(exc).__name__}: {exc}"
            reason = ("run.internal", {"error": type(exc).__name__})
        else:
            self.stream_status[stream] = "ok"
            return None
        self.stream_status[stream] = status
        return status, detail, reason

    def _permission_recently_denied(self, stream: str) -> bool:
        state = queries.stream_state(self.db, self.key, stream)
        if not state or state.get("status") != "permission_denied":
            return False
        since = parse_utc(state["updated_at"])
        return since is not None and self.runner.clock() - since < PERMISSION_RECHECK

    def _retrying(self, what: str, attempt_walk: Callable[[], None]) -> None:
        """Run `attempt_walk` until it completes, retrying typed transient failures."""
        cfg = self.config.runner
        self.stage = what
        attempt = 0
        while True:
            stored_before = self._stored_here()
            try:
                attempt_walk()
                return
            except RateLimited as exc:
                # a walk that stored something since the last failure starts counting afresh
                attempt = 1 if self._stored_here() > stored_before else attempt + 1
                wait = max(exc.retry_after or 0.0, self._backoff(attempt))
                if (exc.retry_after or 0) > cfg.max_wait_seconds:
                    raise RunRateLimited(
                        f"{exc} (asked to wait {exc.retry_after:.0f} s)",
                        reason="run.rate_limited_wait",
                        params=_caused(exc, seconds=round(exc.retry_after or 0)),
                    ) from None
                if attempt >= cfg.max_attempts:
                    raise RunRateLimited(
                        f"{exc} ({attempt} attempts)",
                        reason="run.rate_limited_attempts",
                        params=_caused(exc, count=attempt),
                    ) from None
                self._log_retry(what, exc, wait, attempt)
                self.runner.sleep(min(wait, cfg.max_wait_seconds))
            except TransientError as exc:
                attempt = 1 if self._stored_here() > stored_before else attempt + 1
                if attempt >= cfg.max_attempts:
                    raise StreamFailed(
                        f"{exc} (gave up after {attempt} attempts)",
                        reason="run.gave_up",
                        params=_caused(exc, count=attempt),
                    ) from None
                wait = self._backoff(attempt)
                self._log_retry(what, exc, wait, attempt)
                self.runner.sleep(wait)
            except (AuthError, PermissionDenied):
                raise
            except ConnectorError as exc:  # FatalError, or an error the connector left untyped
                code, params = reason_of(exc)
                raise StreamFailed(str(exc), reason=code, params=params) from None

    def _backoff(self, attempt: int) -> float:
        cfg = self.config.runner
        return backoff_seconds(
            attempt, cfg.backoff_base_seconds, cfg.backoff_max_seconds, self.runner.rng
        )

    def _log_retry(self, what: str, exc: Exception, wait: float, attempt: int) -> None:
        with self._counts:
            self.retries += 1
        code, params = reason_of(exc)
        why = Reason(code, params, self.account.platform)
        self._progress("retry_wait", self.key, what, why, wait, attempt)
        log.info(
            "%s: %s: %s; retry %d in %.1fs",
            self.key,
            what,
            exc,
            attempt,
            wait,
            extra={
                "account": self.key,
                "event": "retry",
                "attempt": attempt,
                "wait": round(wait, 2),
            },
        )

    def _walk(self, spec: StreamSpec) -> None:
        """Walk a stream to its end, resuming after failures where the last stored batch ended.

        The walk is bounded: it stops (partial) after `max_repeated_pages` pages in a row that
        bring no item it has not seen in this walk (a platform handing out fresh cursors over
        the same items), and when the run has spent its request budget.
        """
        stream = spec.name
        keeps_cursor = spec.cursor != "none"
        cursor = queries.get_cursor(self.db, self.key, stream) if keeps_cursor else None
        # where an earlier run's walk stopped, when the connector's resume tokens last (a
        # platform's daily quota ends a run mid-walk; the next one goes on from there)
        kept = f"{stream}{KEPT_RESUME}"
        state: dict[str, str | None] = {"resume": queries.get_cursor(self.db, self.key, kept)}
        limit = self.config.runner.max_repeated_pages
        self._check_budget(stream)

        def attempt() -> None:
            seen: set[str] = set()
            idle = 0
            batches = self.connector.fetch(stream, cursor, state["resume"])
            # a stream read for the first time is stored by a writer process (second core)
            alone = getattr(self._here, "db", None) is not None  # walked beside: stored here
            bulk = self._bulk_writer() if keeps_cursor and cursor is None and not alone else None
            try:
                # the writer process hashes the records on its own core
                prepare = _prepared(self.key, batches, stream, hashed=bulk is None)
                feed = prefetched(prepare)
                for batch, ready in feed:
                    final_mark = batch.high_water if batch.final and keeps_cursor else None
                    resumed = batch.resume
                    keep: tuple[str, str | None] | None = None
                    if batch.final:
                        keep = (kept, None)
                    elif batch.durable_resume and batch.resume:
                        keep = (kept, batch.resume)

                    def stored(resume: str | None = resumed) -> None:
                        state["resume"] = resume

                    self._store(batch, (stream, final_mark) if final_mark else None, stream,
                                ready, bulk=bulk, on_stored=stored, resume=keep,
                                walk=True)  # fmt: skip
                    listed = [
                        *map(_entry_key, batch.records),
                        *(f"{self.account.platform}:{i}" for i in batch.passed_over),
                    ]
                    idle = 0 if _any_new(listed, seen) or batch.final else idle + 1
                    if idle >= limit:
                        raise StreamPartial(
                            f"the platform kept sending pages with nothing new ({idle} in a "
                            "row): the walk was stopped there; the next run tries again",
                            reason="walk.repeating",
                            params={"stream": stream, "pages": idle},
                        )
                    if not batch.final:
                        self._check_budget(stream)
                    self._after_batch()
            except BaseException:
                if bulk is not None:  # count what was stored before the failure, then let the
                    _drain_quietly(bulk)  # writer go: it stores nothing after a failed batch
                    self._discard_bulk()
                _close_walk(feed)  # the prefetch thread stops first, then the walk itself
                _close_walk(batches)
                raise
            else:
                if bulk is not None:
                    bulk.drain()  # the next stream's first walk uses the same writer

        self._retrying(stream, attempt)

    def _bulk_writer(self) -> WriterProcess | None:
        """The run's writer process for a walk that stores much ([runner] writer_process),
        started by the first such walk and kept for the next; or None."""
        if self.bulk is not None or not self.config.runner.writer_process:
            return self.bulk
        try:
            self.bulk = WriterProcess(self.config.db_path)
        except OSError as exc:  # no process to be had: store in this one
            log.warning("%s: storing in the run's own process: %s", self.key, exc,
                        extra={"account": self.key, "event": "writer_process"})  # fmt: skip
        return self.bulk

    def _discard_bulk(self) -> None:
        """Close the run's writer process after a failed walk (the next walk starts another)."""
        if self.bulk is not None:
            _close_bulk(self.bulk)
            self.bulk = None

    def _check_budget(self, stream: str) -> None:
        """Stop the walk (partial) once the run has made `max_requests_per_run` requests."""
        budget = self.config.runner.max_requests_per_run
        made = self.connector.request_count()
        if made >= budget:
            raise StreamPartial(
                f"the run used its budget of {budget} requests ([runner] max_requests_per_run) "
                "before this walk was complete; the next run continues",
                reason="walk.budget",
                params={"stream": stream, "budget": budget, "requests": made},
            )

    def _after_batch(self) -> None:
        pause = self.connector.pause_hint()
        if pause > 0:
            self.runner.sleep(min(pause, self.config.runner.max_wait_seconds))
        elif self.runner.stop.is_set() or self._halt.is_set():
            raise Interrupted()

    def _sweeps(self) -> list[tuple[str, dict[str, Any]]]:
        """Re-read the recent window, then a slice of the deep sweep when one is due.

        Returns each problem as its English text and its part of the run's reason.
        """
        problems: list[tuple[str, dict[str, Any]]] = []
        now = self.runner.clock()
        window = int(self.account.refetch_window_days)
        edge = now - timedelta(days=window)
        work_list: list[tuple[str, Callable[[], None]]] = []
        if window > 0:
            work_list.append(("sweep", lambda: self._sweep(Span(edge, now + timedelta(days=1)))))
        work_list.append(("deep_sweep", lambda: self._deep_sweep(edge, now)))
        for name, work in work_list:
            outcome = self._contained(name, work)
            if outcome is not None:
                _, detail, (code, params) = outcome
                text = f"{'re-read' if name == 'sweep' else 'deep sweep'}: {detail}"
                problems.append((text, {"stream": name, "reason": code, "params": params}))
        return problems

    def _sweep(self, span: Span, cursor: tuple[str, str] | None = None) -> None:
        """Re-read what changed among the stored items created in `span` (edits, deletions,
        new and deleted comments); `cursor` is stored with the last batch."""
        if span.start >= span.end:
            return
        refs = queries.refetch_refs(self.db, self.key, since=span.start, until=span.end)
        self._check_budget("sweep")

        def attempt() -> None:
            for batch in self.connector.refetch(refs, span):
                self._store(batch, cursor if batch.final else None, "posts")
                if not batch.final:
                    self._check_budget("sweep")
                self._after_batch()

        self._retrying("re-read", attempt)

    def _deep_sweep(self, edge: datetime, now: datetime) -> None:
        """One slice of the slow sweep over every post older than the window, newest first;
        its position and last completion live in the cursors table (`deep_sweep`)."""
        days = int(self.account.deep_sweep_days)
        if days <= 0:
            return
        text = queries.get_cursor(self.db, self.key, DEEP_SWEEP)
        if text is None:  # the first walk read everything in full: the first pass is due later
            state = {"completed_at": utc_iso(now)}
            self.writer.write_batch(self.key, [], cursor=(DEEP_SWEEP, json.dumps(state)))
            return
        state: dict[str, str | None] = json.loads(text)
        position = parse_utc(state.get("position"))
        if position is None:  # between passes: is the next one due?
            completed = parse_utc(state.get("completed_at"))
            if completed is not None and now - completed < timedelta(days=days):
                return
            position, state["started_at"] = edge, utc_iso(now)
        start = queries.sweep_slice_start(
            self.db, self.key, before=position, posts=DEEP_SWEEP_SLICE_POSTS
        )
        done = (
            start is None
            or queries.sweep_slice_start(self.db, self.key, before=start, posts=1) is None
        )
        state["position"] = None if done else utc_iso(start)
        if done:
            state["completed_at"] = utc_iso(now)
        cursor = (DEEP_SWEEP, json.dumps(state, sort_keys=True))
        if start is None:
            self.writer.write_batch(self.key, [], cursor=cursor)
            return
        self._sweep(Span(start, position), cursor)

    # --- storing -----------------------------------------------------------------------------

    def _store(
        self,
        batch: Batch,
        cursor: tuple[str, str] | None,
        stream: str,
        ready: PreparedBatch | None = None,
        *,
        bulk: WriterProcess | None = None,
        on_stored: Callable[[], None] | None = None,
        resume: tuple[str, str | None] | None = None,
        walk: bool = False,
    ) -> None:
        """Write a batch (and its cursor) in one transaction; link downloads finished so far.

        Quarantined items are stored beside the records: the cursor may pass them, because
        their raw form is kept for a later retry. With `bulk` the batch is stored by the
        writer process, and what follows a stored batch (`on_stored`, the counts) happens
        once it is committed; until that process is ready, this one stores (in order: its
        writes are committed before the process is sent anything).
        """
        self._start_downloads(batch.records)
        entries = ready or prepare_batch(self.key, batch.records, stream)
        if walk:  # a walk's markers never stand for a re-read (see `PreparedBatch.walk`)
            entries = replace(entries, walk=True)
        seen = len(batch.records)

        def stored(stats: WriteStats) -> None:
            with self._counts:
                self.stats = self.stats + stats
                self.batches_stored += 1
                self.items_seen += seen
                items = self.items_seen
            self._here.stored = self._stored_here() + 1
            if on_stored is not None:
                on_stored()
            requests = self.connector.request_count()
            self._progress("batch_stored", self.key, self.stage, items, requests)

        media = self.media.ready()
        if bulk is not None and bulk.ready():
            now = utc_iso(self.runner.clock())
            assert now is not None
            bulk.submit(
                self.key,
                entries,
                media=media,
                cursor=cursor,
                now=now,
                on_stored=stored,
                resume=resume,
            )
        else:
            stored(self.writer.write_batch(
                self.key, entries, media=media, cursor=cursor, stream=stream, resume=resume
            ))  # fmt: skip
        for entry in entries.held:
            log.warning(
                "%s: %s: item %s quarantined: %s",
                self.key,
                stream,
                entry.id or "without a readable id",
                entry.error,
                extra={"account": self.key, "event": "quarantined", "stream": stream},
            )

    def _progress(self, event: str, *args: object) -> None:
        """Tell the progress observer (one call at a time); a failing one never harms the run."""
        try:
            with self._counts:
                getattr(self.runner.progress, event)(*args)
        except Exception:
            log.debug("progress observer failed on %s", event, exc_info=True)

    def _start_downloads(self, entries: Sequence[Entry]) -> None:
        refs = media_refs(entries)
        if refs:  # a disposed item's attachments are not fetched again
            platform = self.account.platform
            with_media = (e.id for e in entries if isinstance(e, Record) and e.media)
            gone = queries.disposed_ids(self.db, platform, with_media)
            if gone:
                refs = media_refs(e for e in entries if e.id not in gone)
            have = queries.downloaded_media_keys(self.db, platform, refs)
            self.media.submit(ref for key, ref in refs.items() if key not in have)

    def _link_remaining_media(self) -> None:
        """Wait for the downloads still under way, link them, and note the ones that failed."""
        media = self.media.drain()
        if media:
            self.writer.write_batch(self.key, [], media=media)
        for key, why in self.media.failures.items():
            retry = key in self.media.retryable
            self.writer.runlog.set_media_error(self.key, key, why, retry=retry)

    # --- health ------------------------------------------------------------------------------

    def _update_health(
        self,
        status: str,
        message: str | None,
        run_id: int,
        reason: tuple[str | None, dict[str, Any]],
    ) -> None:
        if status == "interrupted":
            return
        health = {"ok": "ok", "auth_failed": "auth_failed"}.get(status, "failing")
        previous = self.writer.runlog.set_health(
            self.key, health, message, run_id=run_id, reason=reason[0], params=reason[1]
        )
        if previous is not None:
            level = logging.INFO if health == "ok" else logging.WARNING
            word = "recovered" if health == "ok" else health
            log.log(
                level,
                "%s: health %s -> %s%s",
                self.key,
                previous,
                word,
                f": {message}" if message else "",
                extra={"account": self.key, "event": "health_changed", "health": health},
            )


@dataclass
class _Beside:
    """A stream walked in a thread of its own: how it ended, or what ends the whole run."""

    thread: threading.Thread = field(default_factory=threading.Thread)
    outcome: tuple[str, str, tuple[str, dict[str, Any]]] | None = None
    error: BaseException | None = None


def _drain_quietly(bulk: WriterProcess) -> None:
    """Take the answers of the batches still in flight; a failure there is the walk's own."""
    try:
        bulk.drain()
    except Exception:  # noqa: BLE001 - the error that stopped the walk is the one raised
        log.debug("a batch in flight failed after the walk had stopped", exc_info=True)


def _close_connector(connector: Connector, key: str, storage_dir: Path) -> None:
    """Close a run's connector; a failure to close (its state file on a full disk) is logged
    and never replaces the run's own outcome, nor leaves the run unrecorded."""
    try:
        connector.close()
    except Exception as exc:  # noqa: BLE001 - the run is over either way
        trouble = storage_error(exc, storage_dir)
        if trouble is None:
            log.exception("%s: closing the connector failed", key, extra={"account": key})
        else:
            log.warning("%s: closing the connector: %s", key, trouble, extra={"account": key})


def _close_bulk(bulk: WriterProcess) -> None:
    """Close a walk's writer process; a failure to close never hides the walk's own error."""
    try:
        bulk.close()
    except Exception:  # noqa: BLE001 - the child is gone either way
        log.debug("closing the writer process failed", exc_info=True)


def _prepared(
    account: str, batches: Iterable[Batch], stream: str, *, hashed: bool = True
) -> Iterator[tuple[Batch, PreparedBatch]]:
    """Each batch with its stored columns computed (run in the prefetch thread)."""
    for batch in batches:
        yield batch, prepare_batch(account, batch.records, stream, hashed=hashed)


def _entry_key(entry: Entry) -> str:
    """What identifies an entry within one walk (a quarantined item without id: its raw)."""
    if entry.id is not None:
        return f"{entry.platform}:{entry.id}"
    digest = hashlib.sha256(repr(getattr(entry, "raw", None)).encode("utf-8", "replace"))
    return f"{entry.platform}:raw:{digest.hexdigest()}"


def _any_new(keys: Sequence[str], seen: set[str]) -> bool:
    """True when some key was not seen before in this walk (adds them all to `seen`)."""
    before = len(seen)
    seen.update(keys)
    return len(seen) > before


def _close_walk(batches: Iterable[Batch]) -> None:
    """End a connector's walk now (its `finally` runs here), not whenever it is collected."""
    close = getattr(batches, "close", None)
    if close is None:
        return
    with contextlib.suppress(ValueError):  # still running in the prefetch thread: it ends at
        close()  # its next step
