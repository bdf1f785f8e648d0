"""The queue of run requests: "archive (or capture) this account now", served by the daemon.

A requester (`somed archive`, `somed capture`, later the web UI's "archive now") adds one request
per account, of kind `archive` (a run) or `capture` (a capture of its public page, or of `url`);
the daemon claims queued requests (queued -> running), runs them, and stores the run id and
outcome (running -> done). A requester that gives up before its request was claimed cancels it
(queued -> cancelled). Every state change is one short write transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from storage.db import transaction

STATES = ("queued", "running", "done", "cancelled")
KINDS = ("archive", "capture")
_COLUMNS = (
    "id, account, requested_by, requested_at, wait_seconds, state, started_at, finished_at,"
    " run_id, outcome, kind, url"
)


@dataclass(frozen=True)
class RunRequest:
    """One request to archive one account now, as stored."""

    id: int
    account: str
    requested_by: str
    requested_at: str
    wait_seconds: float
    state: str
    started_at: str | None
    finished_at: str | None
    run_id: int | None
    outcome: dict[str, Any] | None
    kind: str = "archive"  # archive | capture
    url: str | None = None  # capture: a post permalink (None: the account's public page)

    @property
    def finished(self) -> bool:
        """True once the daemon has stored the outcome, or the request was cancelled."""
        return self.state in ("done", "cancelled")


def _row(values: Sequence[Any]) -> RunRequest:
    fields = list(values)
    fields[9] = json.loads(fields[9]) if fields[9] else None
    return RunRequest(*fields)


def _now(clock: Callable[[], datetime]) -> str:
    text = utc_iso(clock())
    assert text is not None
    return text


def add_requests(
    db: Database,
    accounts: Iterable[str],
    *,
    requested_by: str,
    clock: Callable[[], datetime],
    wait_seconds: float = 0.0,
    kind: str = "archive",
    url: str | None = None,
) -> list[int]:
    """Queue one request per account (in one transaction) and return their ids, in order."""
    if kind not in KINDS:
        raise ValueError(f"unknown request kind {kind!r}; expected one of {KINDS}")
    now = _now(clock)
    ids: list[int] = []
    with transaction(db):
        for account in accounts:
            cursor = db.execute(
                "INSERT INTO run_requests (account, requested_by, requested_at, wait_seconds,"
                " state, kind, url) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                [account, requested_by, now, float(wait_seconds), kind, url],
            )
            ids.append(int(cursor.lastrowid or 0))
    return ids


def has_queued(db: Database) -> bool:
    """True when a request waits to be claimed (a read: cheap enough to ask every 2 s)."""
    return (
        db.execute("SELECT 1 FROM run_requests WHERE state = 'queued' LIMIT 1").fetchone()
        is not None
    )


def claim_queued(db: Database, *, clock: Callable[[], datetime]) -> list[RunRequest]:
    """Move every queued request to running and return them, oldest first."""
    now = _now(clock)
    with transaction(db):
        rows = db.execute(
            f"UPDATE run_requests SET state = 'running', started_at = ? WHERE state = 'queued'"
            f" RETURNING {_COLUMNS}",
            [now],
        ).fetchall()
    return sorted((_row(r) for r in rows), key=lambda r: r.id)


def finish_request(
    db: Database,
    request_id: int,
    *,
    run_id: int | None,
    outcome: dict[str, Any],
    clock: Callable[[], datetime],
) -> None:
    """Store a claimed request's run id and outcome (running -> done)."""
    with transaction(db):
        db.execute(
            "UPDATE run_requests SET state = 'done', finished_at = ?, run_id = ?, outcome = ?"
            " WHERE id = ? AND state = 'running'",
            [_now(clock), run_id, json.dumps(outcome, ensure_ascii=False), request_id],
        )


def cancel_if_queued(
    db: Database, request_ids: Iterable[int], *, clock: Callable[[], datetime]
) -> list[int]:
    """Cancel those of the requests nobody has claimed yet; return the ids cancelled."""
    ids = list(request_ids)
    if not ids:
        return []
    now = _now(clock)
    with transaction(db):
        rows = db.execute(
            "UPDATE run_requests SET state = 'cancelled', finished_at = ?"
            " WHERE state = 'queued' AND id IN (SELECT value FROM json_each(?)) RETURNING id",
            [now, json.dumps(ids)],
        ).fetchall()
    return sorted(int(r[0]) for r in rows)


def close_abandoned(db: Database, *, clock: Callable[[], datetime], message: str) -> int:
    """Mark requests left running by a daemon that is gone as done, with an interrupted outcome.

    Only the daemon calls this, at start, holding the daemon lock: no other process can be
    serving a request then.
    """
    now = _now(clock)
    with transaction(db):
        rows = db.execute("SELECT id, account FROM run_requests WHERE state = 'running'").fetchall()
        for request_id, account in rows:
            outcome = {"account": account, "status": "interrupted", "message": message}
            db.execute(
                "UPDATE run_requests SET state = 'done', finished_at = ?, outcome = ? WHERE id = ?",
                [now, json.dumps(outcome), request_id],
            )
    return len(rows)


def get_requests(db: Database, request_ids: Iterable[int]) -> list[RunRequest]:
    """The requests with these ids, in id order."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM run_requests WHERE id IN (SELECT value FROM json_each(?))"
        " ORDER BY id",
        [json.dumps(list(request_ids))],
    ).fetchall()
    return [_row(r) for r in rows]


def account_requests(db: Database, account: str, *, limit: int = 10) -> list[RunRequest]:
    """One account's newest requests first (the web UI's account page follows them)."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM run_requests WHERE account = ? ORDER BY id DESC LIMIT ?",
        [account, limit],
    ).fetchall()
    return [_row(r) for r in rows]
