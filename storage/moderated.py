"""What moderation has checked: an item at one sha256, identical texts, evidence copies.

Tables of `m023_moderation`. `pending` is the work list: incoming items with text whose current
sha256 has no `moderated` row yet (new items, and edited ones: an edit changes the sha256).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from storage.queries import assemble_records

THREAD_LIMIT = 500  # items of a thread copied into one evidence file (the item itself always)


_PENDING = (
    " FROM items AS i WHERE i.direction = 'incoming' {where} AND NOT EXISTS (SELECT 1 FROM"
    " moderated AS m WHERE m.platform = i.platform AND m.item_id = i.id AND m.sha256 = i.sha256)"
)
_ITEM_COLUMNS = "i.platform, i.id, i.account, i.kind, i.sha256, i.text, i.url, i.author_id"


def pending(db: Database, account: str | None = None, *, limit: int = 500) -> list[dict[str, Any]]:
    """Incoming items not yet checked at their current sha256 (of one account, or of all)."""
    where = "AND i.account = ?" if account is not None else ""
    values: list[Any] = [account] if account is not None else []
    return [
        dict(row)
        for row in db.query(
            f"SELECT {_ITEM_COLUMNS}{_PENDING.format(where=where)} ORDER BY i.rowid LIMIT ?",
            [*values, limit],
        )
    ]


def pending_rowids(db: Database, account: str | None = None, *, limit: int | None) -> list[int]:
    """The rowids of `pending` items in the order they were stored, at most `limit` (None: all),
    in one pass (read them with `items_at`)."""
    where = "AND i.account = ?" if account is not None else ""
    values: list[Any] = [account] if account is not None else []
    rows = db.execute(
        f"SELECT i.rowid{_PENDING.format(where=where)} ORDER BY i.rowid LIMIT ?",
        [*values, -1 if limit is None else limit],
    )
    return [rowid for (rowid,) in rows]


def items_at(db: Database, rowids: Sequence[int]) -> list[dict[str, Any]]:
    """The items (as `pending` gives them) at these rowids, in their order; those gone since
    are left out."""
    return [
        dict(row)
        for row in db.query(
            f"SELECT {_ITEM_COLUMNS} FROM items AS i WHERE i.rowid IN"
            " (SELECT value FROM json_each(?)) ORDER BY i.rowid",
            [json.dumps(list(rowids))],
        )
    ]


def pending_count(db: Database) -> int:
    """How many incoming items wait to be checked."""
    row = db.execute(
        "SELECT count(*) FROM items AS i WHERE i.direction = 'incoming' AND NOT EXISTS (SELECT 1"
        " FROM moderated AS m WHERE m.platform = i.platform AND m.item_id = i.id"
        " AND m.sha256 = i.sha256)"
    ).fetchone()
    return int(row[0])


def mark_checked(
    db: Database,
    checked: Sequence[tuple[dict[str, Any], str | None, Sequence[str]]],
    *,
    now: datetime,
) -> None:
    """Record that the items were checked at their sha256, each given with its text key and
    the categories found (one statement, inside the caller's transaction)."""
    when = utc_iso(now)
    db.conn.executemany(
        "INSERT OR REPLACE INTO moderated (platform, item_id, sha256, account, checked_at,"
        " text_key, categories) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(item["platform"], item["id"], item["sha256"], item["account"], when, key,
          json.dumps(sorted(categories))) for item, key, categories in checked],
    )  # fmt: skip


_SAME_TEXT = (
    " FROM moderated AS m JOIN items AS i"
    " ON i.platform = m.platform AND i.id = m.item_id AND i.sha256 = m.sha256"
    " WHERE m.text_key = ?"
)


def same_text(db: Database, text_key: str, *, min_length: int = 0) -> list[dict[str, Any]]:
    """The items whose current checked text has this key (distinct items, oldest check first),
    with texts of at least `min_length` characters."""
    longer = " AND length(i.text) >= ?" if min_length else ""
    return [
        dict(row)
        for row in db.query(
            "SELECT m.platform, m.item_id, m.account, m.sha256, length(i.text) AS length,"
            f" i.author_id, i.thread_id{_SAME_TEXT}{longer} ORDER BY m.checked_at, m.rowid",
            [text_key, min_length] if min_length else [text_key],
        )
    ]


def items_with_flag(
    db: Database, refs: Sequence[tuple[str, str]], flag: str
) -> set[tuple[str, str]]:
    """Those of the items (platform, id) that have or had this flag, in any state."""
    if not refs:
        return set()
    rows = db.execute(
        "SELECT DISTINCT f.platform, f.item_id FROM json_each(?) AS j JOIN flags AS f"
        " ON f.flag = ? AND f.platform = json_extract(j.value, '$[0]')"
        " AND f.item_id = json_extract(j.value, '$[1]')",
        [json.dumps([list(ref) for ref in refs]), flag],
    )
    return {(platform, item_id) for platform, item_id in rows}


def record_and_thread(db: Database, platform: str, item_id: str) -> dict[str, Any]:
    """The item as a record, and the records of its thread (root first, at most THREAD_LIMIT)."""
    rows = _rows(db, "platform = ? AND id = ?", [platform, item_id])
    record = next(assemble_records(db, rows), None) if rows else None
    thread: list[dict[str, Any]] = []
    total = 0
    if rows and rows[0]["thread_id"]:
        root = rows[0]["thread_id"]
        clause = "platform = ? AND (thread_id = ? OR id = ?) AND id != ?"
        values = [platform, root, root, item_id]
        total = int(db.execute(f"SELECT count(*) FROM items WHERE {clause}", values).fetchone()[0])
        related = _rows(db, clause + " ORDER BY created_at, id LIMIT ?", [*values, THREAD_LIMIT])
        thread = list(assemble_records(db, related))
    return {"record": record, "thread": thread, "thread_items": total,
            "thread_truncated": total > len(thread)}  # fmt: skip


def add_evidence(
    db: Database,
    item: dict[str, Any],
    *,
    categories: Sequence[str],
    stored: Any,
    capture_request_id: int | None,
    now: datetime,
) -> int:
    """Note where an evidence copy lies (inside the caller's transaction); its id."""
    cursor = db.execute(
        "INSERT INTO moderation_evidence (platform, item_id, item_sha256, categories,"
        " evidence_sha256, path, size, capture_request_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [item["platform"], item["id"], item["sha256"], json.dumps(sorted(categories)),
         stored.sha256, stored.path, stored.size, capture_request_id, utc_iso(now)],
    )  # fmt: skip
    return int(cursor.lastrowid or 0)


def evidence_of(db: Database, platform: str, item_id: str) -> list[dict[str, Any]]:
    """The evidence copies of one item, oldest first."""
    return [
        dict(row)
        for row in db.query(
            "SELECT * FROM moderation_evidence WHERE platform = ? AND item_id = ? ORDER BY id",
            [platform, item_id],
        )
    ]


def _rows(db: Database, where: str, values: list[Any]) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in db.query(
            "SELECT platform, account, kind, id, parent_id, thread_id, direction, author_id,"
            " author_name, text, created_at, edited_at, url, first_seen_at, last_seen_at,"
            f" deleted_at, sha256, version_count, extra FROM items WHERE {where}",
            values,
        )
    ]
