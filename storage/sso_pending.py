"""The `sso_pending` table: single sign-ins under way, so that any web worker process ends them.

A row is what somed sent to an identity provider (a SAML request id, an OIDC `state`) with what
it must remember (where the user was going; OIDC's nonce and PKCE verifier), the SHA-256 of the
random value in the browser's binding cookie (never the value itself) and when it lapses. A row
is taken at most once (`take`: one `DELETE ... RETURNING`, so two workers racing with the same
answer cannot both get it); lapsed rows are removed on every write, and the table holds at most
`limit` rows per provider (the oldest go first). Every call is one short write transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from storage.db import transaction


def bind_digest(bind: str) -> str:
    """The stored form of a binding cookie's value (its SHA-256, hex)."""
    return hashlib.sha256(bind.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    text = utc_iso(moment)
    assert text is not None
    return text


def put(db: Database, provider: str, key: str, bind: str, data: dict[str, Any], *,
        now: datetime, lifetime: timedelta, limit: int) -> None:  # fmt: skip
    """Store a sign-in started by the browser holding `bind` (the oldest beyond `limit` go)."""
    with transaction(db):
        db.execute("DELETE FROM sso_pending WHERE expires_at <= ?", [_iso(now)])
        db.execute(
            "INSERT OR REPLACE INTO sso_pending (provider, key, bind_sha256, expires_at, data)"
            " VALUES (?, ?, ?, ?, ?)",
            [provider, key, bind_digest(bind), _iso(now + lifetime),
             json.dumps(data, ensure_ascii=False)],
        )  # fmt: skip
        db.execute(
            "DELETE FROM sso_pending WHERE provider = ? AND rowid IN (SELECT rowid FROM"
            " sso_pending WHERE provider = ? ORDER BY expires_at DESC, rowid DESC"
            " LIMIT -1 OFFSET ?)",
            [provider, provider, limit],
        )


def of_browser(db: Database, provider: str, bind: str, *, now: datetime) -> dict[str, Any]:
    """The unexpired sign-ins of the browser holding `bind`, by key (not taken)."""
    rows = db.execute(
        "SELECT key, data FROM sso_pending WHERE provider = ? AND bind_sha256 = ?"
        " AND expires_at > ? ORDER BY rowid",
        [provider, bind_digest(bind), _iso(now)],
    ).fetchall()
    return {str(key): json.loads(data) for key, data in rows}


def take(db: Database, provider: str, key: str, bind: str, *, now: datetime
         ) -> dict[str, Any] | None:  # fmt: skip
    """The sign-in `key` of the browser holding `bind`, removed; None if unknown, used or lapsed."""
    with transaction(db):
        row = db.execute(
            "DELETE FROM sso_pending WHERE provider = ? AND key = ? AND bind_sha256 = ?"
            " AND expires_at > ? RETURNING data",
            [provider, key, bind_digest(bind), _iso(now)],
        ).fetchone()
    return json.loads(row[0]) if row else None
