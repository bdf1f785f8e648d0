"""What the database says was done, as the daemon's duties ask it (reads only, cheap per tick)."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from connectors.model import parse_utc


def _latest(db: Database, sql: str) -> dict[str, datetime]:
    return {str(key): parse_utc(value) for key, value in db.execute(sql).fetchall() if value}


def last_run_starts(db: Database) -> dict[str, datetime]:
    """When each account's newest run started (any trigger, any outcome), as UTC datetimes."""
    return _latest(db, "SELECT account, max(started_at) FROM runs GROUP BY account")


def last_token_checks(db: Database) -> dict[str, datetime]:
    """When each account's token was last checked, as UTC datetimes."""
    return _latest(db, "SELECT account, max(checked_at) FROM token_checks GROUP BY account")


def profile_changed_at(db: Database, account: str, since: str) -> str | None:
    """When the account's profile item first got a new version after `since` (UTC ISO), if it did.

    The first version of a profile is the first archive, not a change: only later ones count.
    """
    row = db.execute(
        "SELECT min(v.seen_at) FROM item_versions v JOIN items i"
        " ON i.platform = v.platform AND i.id = v.item_id"
        " WHERE i.account = ? AND i.kind = 'profile' AND v.version > 1 AND v.seen_at > ?",
        [account, since],
    ).fetchone()
    return row[0] if row and row[0] else None
