"""The web UI's users: name, role, where they sign in (local password or single sign-on), state.

Passwords arrive here already hashed (argon2id, `somed.users`); nothing in this table can sign
anyone in by itself. Failed sign-ins are kept one row each for the lockout and pruned by age.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

__all__ = [
    "add_user", "disable_user", "failures_since", "get_user", "list_users",
    "prune_failures", "record_failure", "record_login", "set_password_hash", "upsert_sso_user",
]  # fmt: skip

_COLUMNS = "name, role, full_name, source, password_hash, created_at, updated_at, disabled_at, " \
    "last_login_at"


def _dict(row: Any) -> dict[str, Any]:
    return dict(zip([c.strip() for c in _COLUMNS.split(",")], row, strict=True))


def get_user(db: Database, name: str) -> dict[str, Any] | None:
    """The user called `name`, or None."""
    row = db.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", [name]).fetchone()
    return _dict(row) if row else None


def list_users(db: Database) -> list[dict[str, Any]]:
    """Every user, by name (password hashes left out)."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name").fetchall()
    return [{k: v for k, v in _dict(row).items() if k != "password_hash"} for row in rows]


def add_user(
    db: Database, name: str, role: str, *, full_name: str | None, password_hash: str | None,
    source: str, now: str,
) -> None:
    """Insert a new user (raises sqlite3.IntegrityError when the name is taken)."""
    db.execute(
        "INSERT INTO users (name, role, full_name, source, password_hash, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [name, role, full_name, source, password_hash, now, now],
    )


def upsert_sso_user(db: Database, name: str, role: str, *, full_name: str | None, source: str,
                    now: str) -> None:
    """Record a single-sign-on user as the identity provider describes them at this sign-in."""
    db.execute(
        "INSERT INTO users (name, role, full_name, source, created_at, updated_at, last_login_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET role = excluded.role,"
        " full_name = coalesce(excluded.full_name, users.full_name),"
        " updated_at = excluded.updated_at,"
        " last_login_at = excluded.last_login_at WHERE users.source = excluded.source",
        [name, role, full_name, source, now, now, now],
    )


def set_password_hash(db: Database, name: str, password_hash: str, now: str) -> None:
    """Replace a local user's password hash."""
    db.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?",
        [password_hash, now, name],
    )


def disable_user(db: Database, name: str, now: str) -> bool:
    """Disable the user (they can no longer sign in; sessions end); False if already disabled."""
    cursor = db.execute(
        "UPDATE users SET disabled_at = ?, updated_at = ? WHERE name = ? AND disabled_at IS NULL",
        [now, now, name],
    )
    return cursor.rowcount > 0


def record_login(db: Database, name: str, now: str) -> None:
    """Note a successful sign-in and forget the user's failures."""
    db.execute("UPDATE users SET last_login_at = ? WHERE name = ?", [now, name])
    db.execute("DELETE FROM login_failures WHERE name = ?", [name])


def record_failure(db: Database, name: str, now: str, remote: str | None) -> None:
    """Note one failed sign-in for `name` (known user or not)."""
    db.execute(
        "INSERT INTO login_failures (name, at, remote) VALUES (?, ?, ?)", [name[:200], now, remote]
    )


def failures_since(db: Database, name: str, since: str) -> list[str]:
    """The times of `name`'s failed sign-ins at or after `since`, oldest first."""
    rows = db.execute(
        "SELECT at FROM login_failures WHERE name = ? AND at >= ? ORDER BY at", [name[:200], since]
    ).fetchall()
    return [row[0] for row in rows]


def prune_failures(db: Database, before: str) -> None:
    """Forget failed sign-ins older than `before`."""
    db.execute("DELETE FROM login_failures WHERE at < ?", [before])
