"""Flags on accounts and items: opened and resolved with timestamps, never recomputed.

A flag is open from `created_at` until `resolved_at`. Opening a flag that is already open for
the same account, flag name and item keeps the open one (its reason and params follow the
latest finding); resolving one that is not open does nothing. So a monitor may say what it
finds every time it runs: only a change leaves a trace. Flag names of issue 7: `inactive`,
`unhealthy`, `sender_missing`, `snapshot_missing` (later issues add moderation flags).

An editor may **dismiss** a flag ("marked wrong", `dismiss_flag`): it is kept, closed, with
`resolution = 'dismissed'`, who, when and why, and an audit entry `flag_dismissed`. A resolved
flag has `resolution = 'resolved'`. "An item has flag X" means a flag X on it that was not
dismissed, open or resolved (`HOLDS`, `flagged_items`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import canonical_json, utc_iso
from storage import audit
from storage.audit import audit_row
from storage.db import transaction

SYSTEM_ACTOR = "somed"
Item = tuple[str, str]  # (platform, item id) of a flagged item
HOLDS = "(resolution IS NULL OR resolution != 'dismissed')"  # SQL: the flag was not marked wrong


def _item_clause(item: Item | None) -> tuple[str, list[Any]]:
    """The WHERE part matching a flag's item (or none), and its parameters."""
    if item is None:
        return "platform IS NULL AND item_id IS NULL", []
    return "platform = ? AND item_id = ?", [item[0], item[1]]


def open_flag(
    db: Database,
    account: str,
    flag: str,
    *,
    reason: str,
    params: Mapping[str, Any] | None = None,
    item: Item | None = None,
    now: datetime,
    by: str = SYSTEM_ACTOR,
) -> int:
    """Open a flag (or keep the one already open, updating its reason and params); its id."""
    details = canonical_json(dict(params or {}))
    where, values = _item_clause(item)
    with transaction(db):
        found = db.execute(
            f"SELECT id, reason, details FROM flags WHERE account = ? AND flag = ? AND {where}"
            " AND resolved_at IS NULL ORDER BY id LIMIT 1",
            [account, flag, *values],
        ).fetchone()
        if found is not None:
            flag_id, old_reason, old_details = found
            if (old_reason, old_details) != (reason, details):
                db.execute(
                    "UPDATE flags SET reason = ?, details = ? WHERE id = ?",
                    [reason, details, flag_id],
                )
            return int(flag_id)
        cursor = db.execute(
            "INSERT INTO flags (platform, item_id, account, flag, reason, details, created_at,"
            " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [item[0] if item else None, item[1] if item else None, account, flag, reason,
             details, utc_iso(now), by],
        )  # fmt: skip
        return int(cursor.lastrowid or 0)


def resolve_flag(
    db: Database,
    account: str,
    flag: str,
    *,
    item: Item | None = None,
    now: datetime,
    by: str = SYSTEM_ACTOR,
) -> int:
    """Resolve the open flag of this account, name and item; how many were resolved (0 or 1)."""
    where, values = _item_clause(item)
    with transaction(db):
        cursor = db.execute(
            f"UPDATE flags SET resolved_at = ?, resolved_by = ?, resolution = 'resolved'"
            f" WHERE account = ? AND flag = ?"
            f" AND {where} AND resolved_at IS NULL",
            [utc_iso(now), by, account, flag, *values],
        )
        return cursor.rowcount


def dismiss_flag(db: Database, flag_id: int, *, by: str, reason: str, now: datetime) -> None:
    """Mark a flag wrong: kept, closed, with who, when and why, audited `flag_dismissed`.

    LookupError when there is no such flag, ValueError when it was already dismissed or no
    reason is given.
    """
    if not reason.strip():
        raise ValueError("a reason is required")
    at = utc_iso(now)
    with transaction(db):
        row = db.execute(
            "SELECT account, flag, platform, item_id, resolution FROM flags WHERE id = ?",
            [flag_id],
        ).fetchone()
        if row is None:
            raise LookupError(flag_id)
        account, flag, platform, item_id, resolution = row
        if resolution == "dismissed":
            raise ValueError("already dismissed")
        db.execute(
            "UPDATE flags SET resolution = 'dismissed', resolution_reason = ?, dismissed_at = ?,"
            " dismissed_by = ?, resolved_at = COALESCE(resolved_at, ?),"
            " resolved_by = COALESCE(resolved_by, ?) WHERE id = ?",
            [reason, at, by, at, by, flag_id],
        )
        target = f"{platform}:{item_id}" if item_id is not None else f"account:{account}"
        details = {"flag_id": flag_id, "flag": flag, "account": account}
        audit.append(db, [audit_row(at, by, "flag_dismissed", target, reason, details)])


def flagged_items(db: Database, names: Sequence[str]) -> set[Item]:
    """The items with a flag of one of these names that was not dismissed (open or resolved)."""
    if not names:
        return set()
    marks = ", ".join("?" for _ in names)
    rows = db.execute(
        f"SELECT DISTINCT platform, item_id FROM flags WHERE item_id IS NOT NULL"
        f" AND flag IN ({marks}) AND {HOLDS}",
        list(names),
    ).fetchall()
    return {(str(p), str(i)) for p, i in rows}


def holding_flags(
    db: Database, items: Sequence[Item], names: Sequence[str]
) -> dict[Item, list[dict[str, Any]]]:
    """The flags of these names on these items that were not dismissed, oldest first, decoded."""
    found: dict[Item, list[dict[str, Any]]] = {}
    items = list(items)
    marks = ", ".join("?" for _ in names)
    for start in range(0, len(items), 400):
        chunk = items[start : start + 400]
        clause = " OR ".join("(platform = ? AND item_id = ?)" for _ in chunk)
        for row in db.query(
            f"SELECT * FROM flags WHERE flag IN ({marks}) AND {HOLDS} AND ({clause}) ORDER BY id",
            [*names, *(v for item in chunk for v in item)],
        ):
            found.setdefault((row["platform"], row["item_id"]), []).append(_decoded(row))
    return found


def open_flags(db: Database, account: str | None = None) -> list[dict[str, Any]]:
    """The open flags (of one account, or of all), oldest first, with their params decoded."""
    return flag_history(db, account, open_only=True)


def flag_history(
    db: Database, account: str | None = None, *, open_only: bool = False
) -> list[dict[str, Any]]:
    """Every flag, open or resolved (of one account, or of all), oldest first."""
    where = ["resolved_at IS NULL"] if open_only else []
    values: list[Any] = []
    if account is not None:
        where.append("account = ?")
        values.append(account)
    sql = "SELECT * FROM flags" + (" WHERE " + " AND ".join(where) if where else "")
    return [_decoded(row) for row in db.query(sql + " ORDER BY id", values)]


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    """A flags row with its `details` JSON as `params` (an object, empty when unreadable)."""
    found = dict(row)
    text = found.pop("details", None)
    try:
        params = json.loads(text) if text else {}
    except ValueError:
        params = {}
    found["params"] = params if isinstance(params, dict) else {}
    return found
