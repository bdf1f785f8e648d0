"""The bookkeeping beside the archive: runs, stream state, health, audit log, account register."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import canonical_json, parse_utc, utc_iso
from storage import audit
from storage.audit import audit_row
from storage.db import transaction

SYSTEM_ACTOR = "somed"
RUN_TRIGGERS = ("scheduled", "manual", "demo", "close")
RUN_STATUSES = ("running", "ok", "partial", "auth_failed", "rate_limited", "failed", "interrupted")
STREAM_STATUSES = ("ok", "partial", "permission_denied", "failed")
HEALTH_STATUSES = ("ok", "failing", "auth_failed")
CRASHED = "run.crashed"  # the reason of a run whose process ended without closing it


class RunLog:
    """Records runs, stream and health states, audit entries and the account register."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._run_started: dict[int, datetime] = {}

    def _now(self) -> str:
        """Return the clock's time as stored (UTC ISO 8601 with Z)."""
        now = utc_iso(self.clock())
        assert now is not None
        return now

    def set_media_error(
        self, account: str, media_key: str, message: str, *, retry: bool = False
    ) -> None:
        """Note why a media file could not be downloaded (kept until a download succeeds).

        `retry`: the failure may pass (the next runs try the stored URL again, a few times).
        """
        with transaction(self.db):
            self.db.execute(
                "UPDATE item_media SET last_error = ?, retry = ?, attempts = attempts + 1"
                " WHERE media_key = ? AND sha256 IS NULL"
                " AND EXISTS (SELECT 1 FROM items WHERE items.platform = item_media.platform"
                " AND items.id = item_media.item_id AND items.account = ?)",
                [message, int(retry), media_key, account],
            )

    # --- runs, streams, health -------------------------------------------------------------

    def start_run(self, account: str, platform: str, trigger: str) -> int:
        """Open a run in the run log (status "running", this process's pid) and return its id."""
        _check("trigger", trigger, RUN_TRIGGERS)
        started = self.clock()
        with transaction(self.db):
            cursor = self.db.execute(
                "INSERT INTO runs (account, platform, trigger, started_at, status, pid)"
                " VALUES (?, ?, ?, ?, 'running', ?)",
                [account, platform, trigger, utc_iso(started), os.getpid()],
            )
            run_id = int(cursor.lastrowid or 0)
        self._run_started[run_id] = started
        return run_id

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        new: int,
        changed: int,
        deleted: int,
        requests: int,
        message: str | None = None,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
        retries: int = 0,
        quarantined: int = 0,
        cost_units: int | None = None,
    ) -> None:
        """Close a run: its outcome, counts (retries, quota units too), reason, finished_at and
        duration."""
        _check("run status", status, RUN_STATUSES)
        finished = self.clock()
        with transaction(self.db):
            row = self.db.execute("SELECT started_at FROM runs WHERE id = ?", [run_id]).fetchone()
            if row is None:
                raise LookupError(f"no run with id {run_id}")
            started = self._run_started.pop(run_id, None) or parse_utc(row[0])
            duration = max(0.0, (finished - started).total_seconds()) if started else None
            self.db.execute(
                "UPDATE runs SET status = ?, finished_at = ?, duration_seconds = ?, new = ?,"
                " changed = ?, deleted = ?, requests = ?, message = ?, reason = ?,"
                " reason_params = ?, retries = ?, quarantined = ?, cost_units = ? WHERE id = ?",
                [status, utc_iso(finished), duration, new, changed, deleted, requests, message,
                 reason, reason_json(reason, params), retries, quarantined, cost_units,
                 run_id],
            )  # fmt: skip

    def mark_interrupted_runs(self, account: str | None = None, *, lock_held: bool = False) -> int:
        """Mark runs left "running" by a process that no longer exists as "interrupted".

        With `lock_held` the caller holds the account's run lock, so no other process can be
        archiving it: every run still "running" is dead, whatever its (possibly reused) pid.
        """
        if lock_held and account is None:
            raise ValueError("lock_held needs the account whose lock is held")
        now = self._now()
        with transaction(self.db):
            sql = "SELECT id, pid FROM runs WHERE status = 'running'"
            params: list[Any] = []
            if account is not None:
                sql += " AND account = ?"
                params.append(account)
            dead = [
                run_id
                for run_id, pid in self.db.execute(sql, params)
                if lock_held or not _alive(pid)
            ]
            self.db.conn.executemany(
                "UPDATE runs SET status = 'interrupted', finished_at = ?,"
                " message = COALESCE(message, 'the process running it ended unexpectedly'),"
                f" reason = COALESCE(reason, '{CRASHED}') WHERE id = ?",
                [(now, run_id) for run_id in dead],
            )
        return len(dead)

    def running_accounts(self) -> list[str]:
        """The accounts that have runs still marked "running"."""
        rows = self.db.execute("SELECT DISTINCT account FROM runs WHERE status = 'running'")
        return [account for (account,) in rows]

    def set_stream_state(
        self,
        account: str,
        stream: str,
        status: str,
        message: str | None = None,
        *,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Record how a stream fared on its last attempt ("ok" also sets last_ok_at)."""
        _check("stream status", status, STREAM_STATUSES)
        now = self._now()
        with transaction(self.db):
            self.db.execute(
                "INSERT INTO stream_state (account, stream, status, message, reason,"
                " reason_params, updated_at, last_ok_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (account, stream) DO UPDATE SET"
                " status = excluded.status, message = excluded.message,"
                " reason = excluded.reason, reason_params = excluded.reason_params,"
                " updated_at = excluded.updated_at,"
                " last_ok_at = COALESCE(excluded.last_ok_at, stream_state.last_ok_at)",
                [
                    account,
                    stream,
                    status,
                    message,
                    reason,
                    reason_json(reason, params),
                    now,
                    now if status == "ok" else None,
                ],  # fmt: skip
            )

    def set_health(
        self,
        account: str,
        status: str,
        message: str | None = None,
        *,
        run_id: int | None = None,
        reason: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Set an account's health; return the previous status when it changed, else None.

        An account seen for the first time counts as previously "unknown" unless it is "ok".
        """
        _check("health status", status, HEALTH_STATUSES)
        now = self._now()
        with transaction(self.db):
            row = self.db.execute(
                "SELECT status, since, last_ok_at, last_run_id FROM account_health"
                " WHERE account = ?",
                [account],
            ).fetchone()
            previous, since, last_ok_at, last_run_id = row if row else (None, None, None, None)
            changed = previous != status
            self.db["account_health"].upsert(
                {"account": account, "status": status, "since": now if changed else since,
                 "message": message, "reason": reason,
                 "reason_params": reason_json(reason, params),
                 "last_ok_at": now if status == "ok" else last_ok_at,
                 "last_run_id": run_id if run_id is not None else last_run_id},
                pk="account",
            )  # fmt: skip
        if previous is None:
            return None if status == "ok" else "unknown"
        return previous if changed else None

    # --- audit log and account register ----------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one entry to the audit log."""
        with transaction(self.db):
            audit.append(self.db, [audit_row(self._now(), actor, action, target, reason, details)])

    def sync_accounts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Upsert the account register from config; audit changes, keep each field's history."""
        from storage.register import sync_register  # it builds on this module's audit rows

        sync_register(self.db, rows, self._now())


def reason_json(reason: str | None, params: Mapping[str, Any] | None) -> str | None:
    """The stored form of a reason's params: canonical JSON, or NULL without a reason."""
    return canonical_json(dict(params or {})) if reason else None


def decode_reason(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row with `reason_params` turned back from JSON into a dict (empty if none)."""
    text = row.get("reason_params")
    try:
        params = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        params = {}
    return {**row, "reason": row.get("reason"), "reason_params": params}


def _check(what: str, value: str, allowed: Sequence[str]) -> None:
    """Raise ValueError unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


def _alive(pid: int | None) -> bool:
    """Return True when a process with this pid exists on this machine."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True
