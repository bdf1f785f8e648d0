"""The credential checks log: what each `check` learned about an account's token, newest last."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from storage.db import transaction
from storage.runlog import decode_reason, reason_json

CHECK_STATUSES = ("ok", "auth_failed", "failed")
CHECK_FIELDS = (
    "checked_at",
    "status",
    "identity",
    "allowed_streams",
    "denied",
    "missing_permissions",
    "expires_at",
    "data_access_expires_at",
    "reason",
    "reason_params",
    "message",
)


def record_check(
    db: Database,
    account: str,
    *,
    checked_at: datetime,
    status: str,
    identity: str | None = None,
    allowed_streams: Sequence[str] = (),
    denied: Mapping[str, str] | None = None,
    missing_permissions: Sequence[str] = (),
    expires_at: datetime | None = None,
    data_access_expires_at: datetime | None = None,
    reason: str | None = None,
    params: Mapping[str, Any] | None = None,
    message: str | None = None,
) -> None:
    """Append one check's result (every check is kept: the history shows when a token changed)."""
    if status not in CHECK_STATUSES:
        raise ValueError(f"unknown check status {status!r}; expected one of {CHECK_STATUSES}")
    with transaction(db):
        db["token_checks"].insert(
            {
                "account": account,
                "checked_at": utc_iso(checked_at),
                "status": status,
                "identity": identity,
                "allowed_streams": json.dumps(list(allowed_streams)),
                "denied": json.dumps(dict(denied or {}), sort_keys=True),
                "missing_permissions": json.dumps(list(missing_permissions)),
                "expires_at": utc_iso(expires_at),
                "data_access_expires_at": utc_iso(data_access_expires_at),
                "reason": reason,
                "reason_params": reason_json(reason, params),
                "message": message,
            }
        )


def empty_check() -> dict[str, Any]:
    """The shape of `latest_checks` values for an account never checked (every key, all null)."""
    return {
        field: ([] if field in ("allowed_streams", "missing_permissions") else None)
        for field in CHECK_FIELDS
    } | {"denied": {}, "reason_params": {}}


def latest_checks(db: Database) -> dict[str, dict[str, Any]]:
    """The newest check of each account, JSON fields decoded ({} when none or no table yet)."""
    if not db["token_checks"].exists():
        return {}
    cursor = db.execute(
        f"SELECT account, {', '.join(CHECK_FIELDS)} FROM token_checks WHERE id IN"
        " (SELECT max(id) FROM token_checks GROUP BY account)"
    )
    result: dict[str, dict[str, Any]] = {}
    for account, *values in cursor.fetchall():
        row = decode_reason(dict(zip(CHECK_FIELDS, values, strict=True)))
        for field in ("allowed_streams", "denied", "missing_permissions"):
            row[field] = json.loads(row[field])
        result[account] = row
    return result
