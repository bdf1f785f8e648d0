"""The quarantine: raw items that could not be normalised or stored, kept until they can be.

An entry is keyed by platform, account, stream and the item's id (or, without a usable id, the
hash of its raw JSON), so an item that fails on every run is one entry whose `seen_count`
grows. Entries are never deleted: one that later makes it into the archive is marked resolved
(`resolution` "archived" when a walk stored it, "retried" when `somed quarantine retry` did).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from connectors.model import Quarantined, replace_surrogates, valid_utf8

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ESCAPED = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


def storable_json(value: Any) -> str:
    """Compact JSON that SQLite can store as UTF-8 text: non-ASCII kept, lone surrogates escaped.

    A platform may send `\\ud800` escapes that decode to lone surrogates; the ASCII-escaped form
    keeps them exactly as received, where the UTF-8 form could not be stored at all.
    """
    text = _COMPACT.encode(value)
    return text if valid_utf8(text) else _ESCAPED.encode(value)


def entry_key(entry: Quarantined) -> str:
    """The entry's identity within its stream: the item id, else the hash of its raw JSON."""
    if entry.id is not None:
        return entry.id
    raw = _ESCAPED.encode(entry.raw)
    return "sha256:" + hashlib.sha256(raw.encode("ascii")).hexdigest()


def store(db: Database, entries: Sequence[Quarantined], now: str) -> None:
    """Add or refresh entries (inside the caller's transaction); a returning item reopens."""
    rows = [
        (e.platform, e.account, e.stream, e.kind, e.id, entry_key(e), storable_json(e.raw),
         storable_json(e.context), replace_surrogates(e.error), e.reason, now, now)
        for e in entries
    ]  # fmt: skip
    db.conn.executemany(
        "INSERT INTO quarantine (platform, account, stream, kind, item_id, key, raw, context,"
        " error, reason, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (platform, account, stream, key) DO UPDATE SET kind = excluded.kind,"
        " item_id = excluded.item_id, raw = excluded.raw, context = excluded.context,"
        " error = excluded.error, reason = excluded.reason, last_seen_at = excluded.last_seen_at,"
        " seen_count = quarantine.seen_count + 1, resolved_at = NULL, resolution = NULL",
        rows,
    )


def resolve_archived(
    db: Database, account: str, platform: str, ids: Iterable[str], now: str
) -> None:
    """Mark open entries resolved whose item a walk has now stored (inside a transaction)."""
    if (
        db.execute(
            "SELECT 1 FROM quarantine WHERE account = ? AND resolved_at IS NULL LIMIT 1", [account]
        ).fetchone()
        is None
    ):
        return
    db.execute(
        "UPDATE quarantine SET resolved_at = ?, resolution = 'archived' WHERE resolved_at IS NULL"
        " AND account = ? AND platform = ? AND item_id IN (SELECT value FROM json_each(?))",
        [now, account, platform, json.dumps(sorted(set(ids)))],
    )


def resolve(db: Database, entry_id: int, now: str, resolution: str = "retried") -> None:
    """Mark one entry resolved (inside the caller's transaction)."""
    db.execute(
        "UPDATE quarantine SET resolved_at = ?, resolution = ?, retried_at = ? WHERE id = ?",
        [now, resolution, now, entry_id],
    )


def note_retry(db: Database, entry_id: int, error: str, now: str) -> None:
    """Record that a retry failed again, and why (the error of today's code)."""
    db.execute(
        "UPDATE quarantine SET retried_at = ?, error = ? WHERE id = ?",
        [now, replace_surrogates(error), entry_id],
    )


def open_counts(db: Database) -> dict[str, int]:
    """Account -> how many entries are still in quarantine."""
    if "quarantine" not in db.table_names():
        return {}
    rows = db.execute(
        "SELECT account, count(*) FROM quarantine WHERE resolved_at IS NULL GROUP BY account"
    )
    return {account: count for account, count in rows}


def entries(
    db: Database, *, account: str | None = None, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """Quarantine entries as JSON-ready dicts (raw and context decoded), oldest first."""
    if "quarantine" not in db.table_names():
        return []
    clauses, params = [], []
    if account is not None:
        clauses.append("account = ?")
        params.append(account)
    if not include_resolved:
        clauses.append("resolved_at IS NULL")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    cursor = db.execute(f"SELECT * FROM quarantine{where} ORDER BY id", params)
    names = [d[0] for d in cursor.description]
    found = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["raw"] = json.loads(row["raw"])
        row["context"] = json.loads(row["context"])
        found.append(row)
    return found


def as_entry(row: dict[str, Any]) -> Quarantined:
    """Turn an `entries()` row back into the connector-layer type, for a retry."""
    return Quarantined(
        platform=row["platform"], account=row["account"], stream=row["stream"], kind=row["kind"],
        id=row["item_id"], raw=row["raw"], error=row["error"], reason=row["reason"],
        context=row["context"],
    )  # fmt: skip
