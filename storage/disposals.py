"""Disposal (gallring) in storage: tombstones, and the content removed everywhere it lives.

`dispose` is the one logged path that removes archived content. In one transaction with the
tombstones (`disposals`, append-only) and the audit entry it:

- clears the item row's content columns (`CLEARED_COLUMNS`: the text, who wrote it, the link,
  the platform's extra fields, the edit time and change marker); the row keeps its identity and
  structure (platform, id, account, kind, parent and thread ids, direction, created_at, the
  times it was seen and deleted, its sha256) so threads stay whole and a later poll does not
  archive the item again; the FTS entry goes with the text (trigger `items_au`);
- deletes its versions and any legacy raw copy (their delete triggers require the tombstone),
  its quarantined raw entries and its media links;
- deletes its moderation evidence copies (`moderation_evidence`: its record and thread as
  JSON) and clears its repeated-text key; a thread copy made as the context of ANOTHER flagged
  item stays: it is part of that kept item's preserved record (docs/retention.md);
- deletes the `media` rows no kept item links any more and returns their files' paths (and the
  evidence copies' paths): the caller removes those files after the commit (a file left by a
  crash is harmless; a file removed before the commit could be one a rolled-back disposal
  still needed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlite_utils import Database

from storage import audit
from storage.audit import audit_row
from storage.db import transaction

CLEARED_COLUMNS = ("text", "author_id", "author_name", "url", "extra", "edited_at", "marker")
_IN_KEYS = "(platform, {id}) IN (SELECT platform, item_id FROM temp.dispose_keys)"


class Disposal(NamedTuple):
    """One item to dispose: identity, the rule and decision that allow it, its record's hash."""

    platform: str
    item_id: str
    kind: str
    account: str
    rule: str
    decision: str
    sha256: str


def dispose(
    db: Database,
    items: Sequence[Disposal],
    *,
    plan_id: str,
    by: str,
    now: str,
    details: Mapping[str, Any],
) -> list[str]:
    """Dispose `items` (see the module docstring); the media paths to delete after commit."""
    with transaction(db):
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS dispose_keys (platform TEXT NOT NULL,"
            " item_id TEXT NOT NULL, PRIMARY KEY (platform, item_id)) WITHOUT ROWID"
        )
        db.execute("DELETE FROM temp.dispose_keys")
        db.conn.executemany(
            "INSERT INTO disposals (platform, item_id, kind, account, rule, decision, plan_id,"
            " disposed_at, disposed_by, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*d[:6], plan_id, now, by, d.sha256) for d in items],
        )
        db.conn.executemany(
            "INSERT INTO temp.dispose_keys VALUES (?, ?)", [(d[0], d[1]) for d in items]
        )
        in_items = _IN_KEYS.format(id="id")
        in_item_ids = _IN_KEYS.format(id="item_id")
        for table in ("item_versions", "item_raw_legacy", "quarantine"):
            db.execute(f"DELETE FROM {table} WHERE {in_item_ids}")
        shared = [row[0] for row in db.execute(
            f"SELECT DISTINCT sha256 FROM item_media WHERE {in_item_ids} AND sha256 IS NOT NULL"
        )]  # fmt: skip
        db.execute(f"DELETE FROM item_media WHERE {in_item_ids}")
        paths = _drop_unreferenced_media(db, shared)
        paths += [row[0] for row in db.execute(
            f"SELECT DISTINCT path FROM moderation_evidence WHERE {in_item_ids}")]  # fmt: skip
        db.execute(f"DELETE FROM moderation_evidence WHERE {in_item_ids}")
        db.execute(f"UPDATE moderated SET text_key = NULL WHERE {in_item_ids}")
        cleared = ", ".join(f"{column} = NULL" for column in CLEARED_COLUMNS)
        db.execute(f"UPDATE items SET {cleared}, disposed_at = ? WHERE {in_items}", [now])
        db.execute("DELETE FROM temp.dispose_keys")
        audit.append(db, [audit_row(now, by, "disposal_applied", f"plan:{plan_id}", None,
                                    details)])  # fmt: skip
    return paths


def _drop_unreferenced_media(db: Database, candidates: Sequence[str]) -> list[str]:
    """Delete the media rows among `candidates` no item links any more; their files' paths."""
    paths: list[str] = []
    for start in range(0, len(candidates), 500):
        chunk = list(candidates[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        rows = db.execute(
            f"SELECT sha256, path FROM media WHERE sha256 IN ({marks}) AND NOT EXISTS"
            " (SELECT 1 FROM item_media AS l WHERE l.sha256 = media.sha256)",
            chunk,
        ).fetchall()
        if rows:
            gone = [row[0] for row in rows]
            db.execute(f"DELETE FROM media WHERE sha256 IN ({', '.join('?' for _ in gone)})", gone)
            paths += [str(row[1]) for row in rows]
    return paths


def is_disposed(db: Database, platform: str, item_id: str) -> bool:
    """True when the item has a tombstone."""
    return (
        db.execute(
            "SELECT 1 FROM disposals WHERE platform = ? AND item_id = ?", [platform, item_id]
        ).fetchone()
        is not None
    )
