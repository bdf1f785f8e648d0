"""The audit log: append-only, every entry chained to the one before it by SHA-256.

Each entry stores `prev_sha256` (the previous entry's `sha256`, "" for the first) and its own
`sha256`, the hash of the canonical JSON of its fields (id, at, actor, action, target, reason,
details, prev_sha256). A removed or altered entry breaks the chain at that point, which
`verify` finds; the table's triggers refuse UPDATE and DELETE in the first place. Every writer of
the audit log goes through `append` (inside its own transaction, so the chain and the change it
records commit together).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from connectors.model import canonical_json

__all__ = ["ChainProblem", "append", "entry_hash", "entries", "verify", "audit_row"]

HASHED = ("id", "at", "actor", "action", "target", "reason", "details", "prev_sha256")


def audit_row(
    at: str,
    actor: str,
    action: str,
    target: str,
    reason: str | None,
    details: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """An audit entry to `append`: when, who, what, on what, why, and details (stored as JSON)."""
    return {
        "at": at, "actor": actor, "action": action, "target": target, "reason": reason,
        "details": canonical_json(dict(details)) if details is not None else None,
    }  # fmt: skip


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The SHA-256 of an entry's hashed fields (its chain link)."""
    body = {name: entry.get(name) for name in HASHED}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def append(db: Database, rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """Append entries to the chain (call inside the transaction of the change); their ids."""
    rows = list(rows)
    if not rows:
        return []
    last = db.execute("SELECT id, sha256 FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    next_id, prev = (int(last[0]) + 1, last[1] or "") if last else (1, "")
    ids: list[int] = []
    for row in rows:
        entry = {name: row.get(name) for name in HASHED if name not in ("id", "prev_sha256")}
        entry.update(id=next_id, prev_sha256=prev)
        entry["sha256"] = prev = entry_hash(entry)
        db.execute(
            "INSERT INTO audit_log (id, at, actor, action, target, reason, details, prev_sha256,"
            " sha256) VALUES (:id, :at, :actor, :action, :target, :reason, :details,"
            " :prev_sha256, :sha256)",
            entry,
        )
        ids.append(next_id)
        next_id += 1
    return ids


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks: the entry id and what is wrong (`altered`, `missing_before`)."""

    entry_id: int
    problem: str


def verify(db: Database) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain: (entries checked, problems found, in id order)."""
    problems: list[ChainProblem] = []
    prev = ""
    expected_id = 1
    checked = 0
    for row in db.query(f"SELECT {', '.join(HASHED)}, sha256 FROM audit_log ORDER BY id"):
        checked += 1
        if row["id"] != expected_id or row["prev_sha256"] != prev:
            problems.append(ChainProblem(int(row["id"]), "missing_before"))
        if entry_hash(row) != row["sha256"]:
            problems.append(ChainProblem(int(row["id"]), "altered"))
        prev = row["sha256"]
        expected_id = int(row["id"]) + 1
    return checked, problems


def entries(
    db: Database, *, target: str | None = None, actions: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The audit entries (of one target, of some actions), oldest first, details decoded."""
    where: list[str] = []
    values: list[Any] = []
    if target is not None:
        where.append("target = ?")
        values.append(target)
    if actions:
        where.append(f"action IN ({', '.join('?' for _ in actions)})")
        values.extend(actions)
    sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
    found = []
    for row in db.query(sql + " ORDER BY id", values):
        row = dict(row)
        with contextlib.suppress(ValueError):
            row["details"] = json.loads(row["details"]) if row["details"] else None
        found.append(row)
    return found
