"""Read-only looks into a benchmark archive: what a sweep should find, what it found, its size."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from emulated import ACCOUNT

from connectors.model import utc_iso


def _archive_db(storage: Path) -> sqlite3.Connection:
    return sqlite3.connect(storage / "somed.db")


def live_posts(storage: Path, *, older_than_days: int = 0, limit: int = -1) -> list[str]:
    """The ids of live posts, newest first: all, or those created more than `days` ago."""
    cutoff = utc_iso(datetime.now(UTC) - timedelta(days=older_than_days))
    db = _archive_db(storage)
    try:
        return [r[0] for r in db.execute(
            "SELECT id FROM items WHERE account = ? AND kind = 'post' AND deleted_at IS NULL"
            " AND created_at < ? ORDER BY created_at DESC LIMIT ?",
            [ACCOUNT, cutoff, limit])]  # fmt: skip
    finally:
        db.close()


def pick_deletions(
    storage: Path, posts: list[str], delete_posts: int, delete_comments: int
) -> tuple[list[str], list[str], int]:
    """Choose posts among `posts`, and comments on others, to delete; count what they take."""
    db = _archive_db(storage)
    try:
        doomed_posts = posts[:: max(1, len(posts) // delete_posts)][:delete_posts]
        survivors = [p for p in posts if p not in doomed_posts]
        doomed_comments: list[str] = []
        for post_id in survivors:  # the first top-level comment of each surviving post
            row = db.execute(
                "SELECT id FROM items WHERE thread_id = ? AND kind = 'comment'"
                " ORDER BY created_at, id LIMIT 1", [post_id]).fetchone()  # fmt: skip
            if row:
                doomed_comments.append(row[0])
            if len(doomed_comments) == delete_comments:
                break
        marks = ",".join("?" * len(doomed_posts))
        children = db.execute(
            f"SELECT count(*) FROM items WHERE thread_id IN ({marks}) AND kind != 'post'",
            doomed_posts).fetchone()[0]  # fmt: skip
        marks = ",".join("?" * len(doomed_comments))
        replies = db.execute(
            f"SELECT count(*) FROM items WHERE parent_id IN ({marks}) AND kind = 'reply'",
            doomed_comments).fetchone()[0]  # fmt: skip
    finally:
        db.close()
    expected = len(doomed_posts) + children + len(doomed_comments) + replies
    return doomed_posts, doomed_comments, expected


def tombstones(storage: Path) -> int:
    """How many of the bench account's items carry a deletion date."""
    db = _archive_db(storage)
    try:
        return int(db.execute(
            "SELECT count(*) FROM items WHERE account = ? AND deleted_at IS NOT NULL",
            [ACCOUNT]).fetchone()[0])  # fmt: skip
    finally:
        db.close()


def window_refs(storage: Path, days: int) -> tuple[int, int]:
    """Posts and comments/replies inside a re-read window of `days` (what a re-read reads)."""
    cutoff = utc_iso(datetime.now(UTC) - timedelta(days=days))
    db = _archive_db(storage)
    try:
        posts, children = db.execute(
            "WITH recent AS (SELECT id FROM items WHERE account = :a AND kind = 'post'"
            "  AND deleted_at IS NULL AND created_at >= :c)"
            " SELECT (SELECT count(*) FROM recent), (SELECT count(*) FROM items"
            "  WHERE account = :a AND deleted_at IS NULL AND kind IN ('comment', 'reply')"
            "  AND thread_id IN (SELECT id FROM recent))",
            {"a": ACCOUNT, "c": cutoff},
        ).fetchone()
    finally:
        db.close()
    return int(posts), int(children)


def database_bytes(storage: Path) -> dict[str, int]:
    """The archive database's size after a checkpoint, and the share of its largest parts."""
    db = _archive_db(storage)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        items = int(db.execute("SELECT count(*) FROM items").fetchone()[0])
        raw = int(db.execute("SELECT coalesce(sum(length(raw)), 0) FROM item_versions")
                  .fetchone()[0])  # fmt: skip
    finally:
        db.close()
    size = sum(p.stat().st_size for p in storage.glob("somed.db*"))
    return {"bytes": size, "items": items, "raw_json_bytes": raw}
