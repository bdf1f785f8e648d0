"""The register of accounts: each account's register fields, their history, and closing.

The config is the source of the register: every start of the daemon (and every manual run) syncs
it here, and each change of a field adds a row to the append-only `account_history`. A status
of `closed` set by `somed close` stays, whatever the config says later: a closed account is
neither archived nor captured again (add it under a new key to follow it again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlite_utils import Database

from connectors.model import canonical_json
from storage import audit
from storage.audit import audit_row
from storage.db import transaction
from storage.runlog import SYSTEM_ACTOR

ACCOUNT_STATUSES = ("active", "closing", "closed")
REGISTER_COLUMNS = ("purpose", "audience", "start_date", "status", "plan")
ACCOUNT_FIELDS = (
    "platform", "platform_id", "url", "owner", "editor", "substitute", *REGISTER_COLUMNS, "config",
)  # fmt: skip
HISTORY_FIELDS = tuple(f for f in ACCOUNT_FIELDS if f != "config")  # `config` is audited whole


def sync_register(db: Database, rows: Sequence[Mapping[str, Any]], now: str) -> None:
    """Upsert the accounts from config; audit added and changed ones, and keep each field's history.

    A `closed` status in the database is kept even when the config still says otherwise.
    """
    with transaction(db):
        stored = {row["key"]: row for row in db["accounts"].rows}
        audits: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for given in rows:
            key = str(given["key"])
            row = _stored_form(given)
            old = stored.get(key)
            target = account_target(key)
            if old is None:
                db["accounts"].insert({"key": key, **row, "added_at": now, "updated_at": now,
                                       "status_since": now})  # fmt: skip
                details = {f: row[f] for f in ACCOUNT_FIELDS if f != "config"}
                audits.append(audit_row(now, SYSTEM_ACTOR, "account_added", target, None, details))
                history += history_rows(key, {}, row, at=now, by=SYSTEM_ACTOR, source="config")
                continue
            if old["status"] == "closed":
                row["status"] = "closed"  # closing is final: the config cannot reopen it
            diff = {f: [old[f], row[f]] for f in ACCOUNT_FIELDS if old[f] != row[f]}
            if not diff:
                continue
            update = {**row, "updated_at": now}
            if "status" in diff:
                update["status_since"] = now
            db["accounts"].update(key, update)
            audits.append(audit_row(now, SYSTEM_ACTOR, "account_updated", target, None, diff))
            history += history_rows(key, old, row, at=now, by=SYSTEM_ACTOR, source="config")
        if audits:
            audit.append(db, audits)
        if history:
            db["account_history"].insert_all(history)


def _stored_form(given: Mapping[str, Any]) -> dict[str, Any]:
    """An account's register row as the `accounts` table stores it (text, the plan as JSON)."""
    row: dict[str, Any] = {}
    for field in ACCOUNT_FIELDS:
        value = given.get(field)
        if field in ("config", "plan"):
            row[field] = canonical_json(dict(value)) if value else None
        else:
            row[field] = None if value is None else str(value)
    row["config"] = row["config"] or canonical_json({})
    row["status"] = row["status"] or "active"
    return row


def history_rows(
    key: str, old: Mapping[str, Any], new: Mapping[str, Any], *, at: str, by: str, source: str
) -> list[dict[str, Any]]:
    """The history rows of every register field whose value differs between `old` and `new`."""
    return [
        {"account": key, "field": field, "old_value": old.get(field),
         "new_value": new.get(field), "changed_at": at, "changed_by": by, "source": source}
        for field in HISTORY_FIELDS
        if field in new and old.get(field) != new.get(field)
    ]  # fmt: skip


def account_history(db: Database, account: str | None = None) -> list[dict[str, Any]]:
    """Every recorded change of the register, oldest first (of one account, or of all)."""
    sql = "SELECT * FROM account_history"
    params: list[Any] = []
    if account is not None:
        sql += " WHERE account = ?"
        params.append(account)
    return [dict(row) for row in db.query(sql + " ORDER BY id", params)]


def register_rows(db: Database) -> dict[str, dict[str, Any]]:
    """The register as stored, by account key (the plan decoded; config left out)."""
    found: dict[str, dict[str, Any]] = {}
    for row in db.query("SELECT * FROM accounts ORDER BY key"):
        row = dict(row)
        row.pop("config", None)
        row["plan"] = json.loads(row["plan"]) if row.get("plan") else None
        found[row["key"]] = row
    return found


def account_status(db: Database, key: str) -> str | None:
    """The account's register status (active, closing, closed), None when it is not registered."""
    row = db.execute("SELECT status FROM accounts WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def closed_accounts(db: Database) -> set[str]:
    """The keys of closed accounts (never archived or captured again)."""
    return {key for (key,) in db.execute("SELECT key FROM accounts WHERE status = 'closed'")}


def close_account(
    db: Database,
    key: str,
    *,
    now: str,
    actor: str,
    reason: str,
    details: Mapping[str, Any],
    action: str | None = None,
) -> None:
    """Mark the account closed: status, its history row and an audit entry, in one transaction.

    The audit entry's action is `account_closed`, or `action` (`account_close_forced`).
    """
    with transaction(db):
        row = db.execute("SELECT status FROM accounts WHERE key = ?", [key]).fetchone()
        if row is None:
            raise LookupError(f"account {key!r} is not in the register")
        old = row[0]
        if old == "closed":
            raise ValueError(f"account {key!r} is already closed")
        db["accounts"].update(key, {"status": "closed", "status_since": now, "updated_at": now})
        db["account_history"].insert_all(
            history_rows(
                key, {"status": old}, {"status": "closed"}, at=now, by=actor, source="close"
            )
        )
        audit.append(
            db,
            [
                audit_row(
                    now, actor, action or "account_closed", account_target(key), reason, details
                )
            ],
        )


def account_target(key: str) -> str:
    """Return the audit-log target naming an account."""
    return f"account:{key}"
