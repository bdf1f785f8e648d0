"""What the monitors read from the archive: health, a stream's state, own posts, the profile."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from storage.queries import POST_KINDS, stream_state

__all__ = ["account_added_at", "health", "latest_profile", "newest_own_post_at", "stream_state"]


def health(db: Database, account: str) -> dict[str, Any] | None:
    """The account's health row (status, since, last_ok_at), None before its first run."""
    rows = list(db.query("SELECT * FROM account_health WHERE account = ?", [account]))
    return dict(rows[0]) if rows else None


def newest_own_post_at(db: Database, account: str) -> str | None:
    """When the account's newest own post (or video) was published, as stored (UTC ISO)."""
    marks = ", ".join("?" for _ in POST_KINDS)
    row = db.execute(
        f"SELECT max(created_at) FROM items WHERE account = ? AND direction = 'own'"
        f" AND kind IN ({marks})",
        [account, *POST_KINDS],
    ).fetchone()
    return row[0] if row else None


def latest_profile(db: Database, account: str) -> dict[str, Any] | None:
    """The account's profile item as last seen (text, url, extra decoded), None if never read."""
    rows = list(
        db.query(
            "SELECT platform, id, author_name, text, url, extra, last_seen_at FROM items"
            " WHERE account = ? AND kind = 'profile' AND deleted_at IS NULL"
            " ORDER BY last_seen_at DESC LIMIT 1",
            [account],
        )
    )
    if not rows:
        return None
    row = dict(rows[0])
    try:
        row["extra"] = json.loads(row["extra"]) if row.get("extra") else {}
    except ValueError:
        row["extra"] = {}
    return row


def account_added_at(db: Database, account: str) -> str | None:
    """When the account entered the register (UTC ISO), None when it is not registered."""
    row = db.execute("SELECT added_at FROM accounts WHERE key = ?", [account]).fetchone()
    return row[0] if row else None
