"""The daily digests tried: per recipient and Swedish calendar day, sent, empty or failed.

A digest covers what happened up to its `through` moment; the next one starts there. A day
with a `sent` or `empty` row for a recipient is done (never sent twice); `failed` rows say
when a send was tried and why it failed (an error class and SMTP code, never a credential).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlite_utils import Database

from connectors.model import parse_utc, utc_iso
from storage.db import transaction

DONE = ("sent", "empty")
STATUSES = ("sent", "empty", "failed")


def record(
    db: Database,
    *,
    day: str,
    recipient: str,
    status: str,
    through: datetime,
    now: datetime,
    accounts: Sequence[str] = (),
    error: str | None = None,
) -> None:
    """Note one digest tried for `recipient` on `day` (`sent`, `empty` or `failed`)."""
    if status not in STATUSES:
        raise ValueError(f"unknown digest status {status!r}")
    with transaction(db):
        db.execute(
            "INSERT INTO digests (day, recipient, status, through, attempted_at, accounts, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [day, recipient, status, utc_iso(through), utc_iso(now), json.dumps(list(accounts)),
             error],
        )  # fmt: skip


def done_on(db: Database, day: str) -> set[str]:
    """The recipients whose digest of `day` was sent (or had nothing to say)."""
    marks = ", ".join("?" for _ in DONE)
    return {
        row[0]
        for row in db.execute(
            f"SELECT recipient FROM digests WHERE day = ? AND status IN ({marks})", [day, *DONE]
        ).fetchall()
    }


def last_through(db: Database, recipient: str) -> datetime | None:
    """Up to when the recipient's last digest (sent or empty) reported, None before the first."""
    marks = ", ".join("?" for _ in DONE)
    row = db.execute(
        f"SELECT max(through) FROM digests WHERE recipient = ? AND status IN ({marks})",
        [recipient, *DONE],
    ).fetchone()
    return parse_utc(row[0]) if row and row[0] else None


def last_failure(db: Database, recipient: str, day: str) -> datetime | None:
    """When a send of the recipient's digest of `day` last failed, None if none did."""
    row = db.execute(
        "SELECT max(attempted_at) FROM digests WHERE recipient = ? AND day = ?"
        " AND status = 'failed'",
        [recipient, day],
    ).fetchone()
    return parse_utc(row[0]) if row and row[0] else None


def history(db: Database, limit: int = 50) -> list[dict[str, object]]:
    """The newest digest rows, newest first (for status pages and tests)."""
    rows = db.query("SELECT * FROM digests ORDER BY id DESC LIMIT ?", [limit])
    return [{**row, "accounts": json.loads(row["accounts"] or "[]")} for row in rows]


def flags_since(db: Database, account: str, since: datetime | None) -> list[dict[str, object]]:
    """The account's flags opened after `since` (all, when None), oldest first, with the item's
    URL and kind where the flag is on an item; a dismissed flag is left out."""
    from storage.flags import _decoded

    sql = (
        "SELECT f.*, i.url AS item_url, i.kind AS item_kind FROM flags f LEFT JOIN items i"
        " ON i.platform = f.platform AND i.id = f.item_id WHERE f.account = ?"
    )
    values: list[object] = [account]
    if since is not None:
        sql += " AND f.created_at > ?"
        values.append(utc_iso(since))
    rows = [_decoded(row) for row in db.query(sql + " ORDER BY f.id", values)]
    return [row for row in rows if row.get("resolution") != "dismissed"]


def open_item_flags(db: Database, account: str, flag: str) -> list[dict[str, object]]:
    """The account's open item-level flags named `flag`, oldest first, with the item's URL."""
    from storage.flags import _decoded

    rows = db.query(
        "SELECT f.*, i.url AS item_url, i.kind AS item_kind FROM flags f LEFT JOIN items i"
        " ON i.platform = f.platform AND i.id = f.item_id WHERE f.account = ? AND f.flag = ?"
        " AND f.item_id IS NOT NULL AND f.resolved_at IS NULL ORDER BY f.id",
        [account, flag],
    )
    return [_decoded(row) for row in rows if row.get("resolution") != "dismissed"]
