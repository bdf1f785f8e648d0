"""People of the web UI: local users with argon2id passwords, lockout, roles; one audit entry each.

`somed user add|list|disable` and the web UI's user page both go through here, so a user made,
disabled or signed in is recorded the same way whichever door was used.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlite_utils import Database

from connectors.model import utc_iso
from storage import audit, users
from storage.db import transaction

ROLES = ("reader", "editor", "registrar", "admin")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 12
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash to verify against when the user does not exist, so a wrong name costs the same time.
_DUMMY_HASH = _HASHER.hash("somed: no such user")


class UserError(ValueError):
    """A user cannot be made or changed: `reason` is a message id, `params` its values."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password sign-in: the user (None if refused) and why it was refused."""

    user: dict[str, object] | None
    refused: str | None = None  # "wrong", "locked", "disabled"
    locked_until: datetime | None = None


def hash_password(password: str) -> str:
    """The argon2id hash of `password`, or UserError when it is too short."""
    if len(password) < MIN_PASSWORD:
        raise UserError("user.password_short", minimum=MIN_PASSWORD)
    return _HASHER.hash(password)


def add_local_user(
    db: Database, name: str, role: str, password: str, *, full_name: str | None, by: str,
    now: datetime,
) -> None:
    """Create a local user with a password, recorded in the audit log."""
    if not NAME.match(name):
        raise UserError("user.bad_name", name=name[:100])
    if role not in ROLES:
        raise UserError("user.bad_role", role=role[:40], roles=", ".join(ROLES))
    hashed = hash_password(password)
    at = utc_iso(now) or ""
    try:
        with transaction(db):
            users.add_user(db, name, role, full_name=full_name, password_hash=hashed,
                           source="local", now=at)  # fmt: skip
            audit.append(db, [audit.audit_row(at, by, "user.add", f"user:{name}", None,
                                              {"role": role, "full_name": full_name})])  # fmt: skip
    except sqlite3.IntegrityError:
        raise UserError("user.exists", name=name) from None


def disable(db: Database, name: str, *, by: str, reason: str | None, now: datetime) -> bool:
    """Disable a user (audit-logged); False if disabled already; UserError if unknown."""
    if users.get_user(db, name) is None:
        raise UserError("user.unknown", name=name[:100])
    at = utc_iso(now) or ""
    with transaction(db):
        changed = users.disable_user(db, name, at)
        if changed:
            entry = audit.audit_row(at, by, "user.disable", f"user:{name}", reason, None)
            audit.append(db, [entry])
    return changed


def sign_in(
    db: Database, name: str, password: str, *, now: datetime, max_failures: int,
    lockout: timedelta, remote: str | None,
) -> SignIn:
    """Check a local user's password, with lockout after `max_failures` within `lockout`."""
    since = utc_iso(now - lockout) or ""
    failures = users.failures_since(db, name, since)
    if len(failures) >= max_failures:
        first = datetime.fromisoformat(failures[-max_failures].replace("Z", "+00:00"))
        return SignIn(None, "locked", first + lockout)
    user = users.get_user(db, name)
    stored = (user or {}).get("password_hash") or _DUMMY_HASH
    try:
        _HASHER.verify(str(stored), password)
        ok = user is not None and user.get("source") == "local"
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    at = utc_iso(now) or ""
    with transaction(db):
        if not ok:
            users.record_failure(db, name, at, remote)
            users.prune_failures(db, utc_iso(now - 10 * lockout) or "")
            if len(failures) + 1 >= max_failures:
                target = f"user:{name[:100]}"
                entry = audit.audit_row(at, "somed-web", "user.locked", target, None,
                                        {"remote": remote})  # fmt: skip
                audit.append(db, [entry])
        elif user is not None and user.get("disabled_at"):
            return SignIn(None, "disabled")
        else:
            users.record_login(db, name, at)
    if not ok:
        return SignIn(None, "wrong")
    assert user is not None
    if _HASHER.check_needs_rehash(str(stored)):
        with transaction(db):
            users.set_password_hash(db, name, _HASHER.hash(password), at)
    return SignIn({k: v for k, v in user.items() if k != "password_hash"})
