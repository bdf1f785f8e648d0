"""The `captures` table: one append-only row per capture (snapshot) attempt and its files.

A row names the account, what was asked and what the browser ended up on, when, the verdict
(`valid`, `invalid`: kept as evidence, never counted as a snapshot; `failed`: nothing usable was
made) with its reason code and parameters, and the SHA-256 of each file in the media store
(PNG, PDF/A, WACZ, manifest; null when not made).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from storage.db import transaction

VERDICTS = ("valid", "invalid", "failed")
KINDS = ("account", "post")
COLUMNS = (
    "id",
    "account",
    "platform",
    "kind",
    "url_asked",
    "url_fetched",
    "final_url",
    "trigger",
    "request_id",
    "started_at",
    "finished_at",
    "verdict",
    "reason",
    "params",
    "identity",
    "viewport",
    "page_height",
    "tiles",
    "browser_version",
    "png_sha256",
    "pdf_sha256",
    "wacz_sha256",
    "manifest_sha256",
)
_REQUIRED = ("account", "platform", "kind", "trigger", "started_at", "verdict")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM captures"


def _stored(column: str, value: Any) -> Any:
    """A row value as the column stores it: times as UTC ISO Z, params as JSON."""
    if isinstance(value, datetime):
        return utc_iso(value)
    if column == "params":
        return json.dumps(dict(value or {}), ensure_ascii=False, sort_keys=True)
    return value


def _as_dict(values: Any) -> dict[str, Any]:
    """A fetched row as a dict, params decoded."""
    row = dict(zip(COLUMNS, values, strict=True))
    row["params"] = json.loads(row["params"]) if row["params"] else {}
    return row


def record_capture(db: Database, row: Mapping[str, Any]) -> int:
    """Insert one capture row (keys: the column names; `id` is assigned) and return its id."""
    unknown = sorted(set(row) - set(COLUMNS) - {"id"})
    if unknown:
        raise ValueError(f"unknown captures columns: {', '.join(unknown)}")
    missing = [c for c in _REQUIRED if row.get(c) in (None, "")]
    if missing:
        raise ValueError(f"captures row lacks: {', '.join(missing)}")
    if row["verdict"] not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}: {row['verdict']!r}")
    if row["kind"] not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}: {row['kind']!r}")
    values = {c: _stored(c, row.get(c)) for c in COLUMNS[1:]}
    with transaction(db):
        cursor = db.execute(
            f"INSERT INTO captures ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
    return int(cursor.lastrowid or 0)


def _where(
    account: str | None, verdict: str | None, since: datetime | str | None
) -> tuple[str, list[Any]]:
    """The WHERE clause (with its arguments) selecting captures by account, verdict and start."""
    conditions = {
        "account = ?": account,
        "verdict = ?": verdict,
        "started_at >= ?": utc_iso(since) if isinstance(since, datetime) else since,
    }
    chosen = {sql: value for sql, value in conditions.items() if value is not None}
    clause = f" WHERE {' AND '.join(chosen)}" if chosen else ""
    return clause, list(chosen.values())


def latest_capture(
    db: Database,
    account: str,
    *,
    verdict: str | None = None,
    since: datetime | str | None = None,
) -> dict[str, Any] | None:
    """The account's newest capture (optionally of one verdict, started at or after `since`)."""
    clause, args = _where(account, verdict, since)
    found = db.execute(f"{_SELECT}{clause} ORDER BY started_at DESC, id DESC LIMIT 1", args)
    row = found.fetchone()
    return _as_dict(row) if row else None


def captures_of(
    db: Database, account: str | None = None, *, since: datetime | str | None = None
) -> list[dict[str, Any]]:
    """Every capture (of one account, or all), started at or after `since`, oldest first."""
    clause, args = _where(account, None, since)
    rows = db.execute(f"{_SELECT}{clause} ORDER BY started_at, id", args).fetchall()
    return [_as_dict(r) for r in rows]


def get_capture(db: Database, capture_id: int) -> dict[str, Any] | None:
    """The capture row with this id, or None."""
    found = db.execute(f"{_SELECT} WHERE id = ?", [capture_id]).fetchone()
    return _as_dict(found) if found else None


def captures_of_urls(db: Database, urls: list[str]) -> list[dict[str, Any]]:
    """Every capture asked for, fetched at or ending on one of `urls`, oldest first."""
    if not urls:
        return []
    wanted = json.dumps(sorted(set(urls)))
    rows = db.execute(
        f"{_SELECT} WHERE url_asked IN (SELECT value FROM json_each(:u))"
        " OR url_fetched IN (SELECT value FROM json_each(:u))"
        " OR final_url IN (SELECT value FROM json_each(:u)) ORDER BY started_at, id",
        {"u": wanted},
    ).fetchall()
    return [_as_dict(r) for r in rows]
