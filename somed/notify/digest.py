"""What one person's daily digest says: per account they answer for, what needs them.

The recipients are the accounts' `owner_email`, `editor_email` and `substitute_email`; each
address gets one digest over all its accounts (enabled and not closed). Per account it lists
the flags opened since the recipient's previous digest, the questions still unanswered, an
open `inactive` flag, failing or overdue runs and tokens that expired or soon will (the same
judgement as `somed status`). An account with nothing to say is left out; a digest with no
account left is empty and not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from somed.config import AccountConfig, Config
from somed.display import LOCAL_TZ
from somed.status import account_status
from storage import digests
from storage.register import closed_accounts

ROLES = ("owner_email", "editor_email", "substitute_email")
RUN_PROBLEMS = frozenset({"failing", "auth_failed", "overdue", "token_expired"})
TOKEN_WARNINGS = frozenset({"token_expiring", "data_access_expiring", "check_failed"})


@dataclass
class AccountDigest:
    """One account's part of a digest."""

    key: str
    platform: str
    status: dict[str, Any]  # the account's `somed status` row (its health and token judged)
    new_flags: list[dict[str, Any]] = field(default_factory=list)
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    inactive: dict[str, Any] | None = None

    @property
    def run_trouble(self) -> bool:
        """True when the account's runs fail or are overdue, or its token needs attention."""
        row = self.status
        return bool(RUN_PROBLEMS & set(row["problems"]) or TOKEN_WARNINGS & set(row["warnings"]))

    @property
    def empty(self) -> bool:
        """True when there is nothing to tell about the account."""
        return not (self.new_flags or self.unanswered or self.inactive or self.run_trouble)


@dataclass
class Digest:
    """One recipient's digest of one day: the moment it covers from and up to, per account."""

    recipient: str
    day: str  # the Swedish calendar day it belongs to
    since: datetime | None
    through: datetime
    accounts: list[AccountDigest]

    @property
    def empty(self) -> bool:
        """True when no account has anything to tell."""
        return all(a.empty for a in self.accounts)


def local_day(now: datetime) -> str:
    """The Swedish calendar day of a moment (`2026-12-01`)."""
    return now.astimezone(LOCAL_TZ).date().isoformat()


def recipients(
    config: Config, closed: set[str] | frozenset[str] = frozenset()
) -> dict[str, list[AccountConfig]]:
    """Each address and the accounts it answers for (enabled, not closed), in config order."""
    found: dict[str, list[AccountConfig]] = {}
    for account in config.accounts:
        if not account.enabled or account.status == "closed" or account.key in closed:
            continue
        for role in ROLES:
            address = getattr(account, role)
            if address and account not in found.setdefault(address.casefold(), []):
                found[address.casefold()].append(account)
    return found


def build_digests(db: Database, config: Config, now: datetime) -> list[Digest]:
    """Every recipient's digest as of `now` (empty ones included), in address order."""
    by_address = recipients(config, closed_accounts(db))
    rows = {row["key"]: row for row in account_status(config, db, now=now)}
    day = local_day(now)
    parts: dict[str, AccountDigest] = {}
    result = []
    for address in sorted(by_address):
        since = digests.last_through(db, address)
        accounts = []
        for account in by_address[address]:
            cache_key = f"{account.key}\0{since}"
            if cache_key not in parts:
                parts[cache_key] = account_digest(db, account, rows[account.key], since)
            accounts.append(parts[cache_key])
        result.append(Digest(address, day, since, now, accounts))
    return result


def account_digest(
    db: Database, account: AccountConfig, status: dict[str, Any], since: datetime | None
) -> AccountDigest:
    """One account's part: flags new since `since`, unanswered questions, inactivity, trouble."""
    part = AccountDigest(account.key, account.platform, status)
    new = digests.flags_since(db, account.key, since)
    new_ids = {f["id"] for f in new}
    part.new_flags = [f for f in new if f["flag"] != "unanswered"]  # questions: listed below
    part.unanswered = [{**f, "new": f["id"] in new_ids}
                       for f in digests.open_item_flags(db, account.key, "unanswered")]  # fmt: skip
    for flag in status.get("flags") or []:
        if flag["flag"] == "inactive" and not any(f["flag"] == "inactive" for f in part.new_flags):
            part.inactive = flag
    return part
