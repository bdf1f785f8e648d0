"""The registrar's changes as the CLI and the web UI both make them: checked, then stored.

`somed flags dismiss|case`, `somed register`, `somed hold add` and the web UI's queue and hold
pages call these, so the same input is refused the same way and every change goes through the
storage function (and its audit entry) in the name given as `by`. A refusal is `Refused`: a
`code` (`usage.reason`, `no_flag`, ...) that each door turns into its own words, its values in
`params`, and `usage` (bad input: the CLI exits 2) or not (the state forbids it: exit 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from somed.item_ref import format_item
from storage.flags import dismiss_flag
from storage.holds import HoldError, add_hold
from storage.registrations import mark_individual_case, register

Item = tuple[str, str]  # (platform, item id)


class Refused(Exception):
    """A change refused: `code` names why (a message id's tail), `params` fill its text."""

    def __init__(self, code: str, *, usage: bool = True, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.usage = usage
        self.params = params


def checked_reason(reason: str) -> str:
    """The reason without surrounding blanks; Refused (`usage.reason`) when nothing is left."""
    why = reason.strip()
    if not why:
        raise Refused("usage.reason")
    return why


def dismiss(db: Database, flag_id: int, *, reason: str, by: str, now: datetime) -> None:
    """Mark flag `flag_id` wrong (kept, closed, audited `flag_dismissed`)."""
    why = checked_reason(reason)
    try:
        dismiss_flag(db, flag_id, by=by, reason=why, now=now)
    except LookupError:
        raise Refused("no_flag", id=flag_id) from None
    except ValueError:
        raise Refused("already_dismissed", usage=False, id=flag_id) from None


def mark_case(db: Database, item: Item, *, reason: str, by: str, now: datetime) -> int:
    """Mark an item as concerning an individual case (audited); the flag's id."""
    why = checked_reason(reason)
    try:
        return mark_individual_case(db, item, by=by, reason=why, now=now)
    except LookupError:
        raise Refused("no_item", item=format_item(*item)) from None


def register_numbers(db: Database, item: Item, numbers: Sequence[str], *, by: str,
                     now: datetime) -> list[tuple[str, bool]]:  # fmt: skip
    """Give an item these registry numbers (each audited); (number, newly added) for each."""
    if not numbers or any(not n.strip() for n in numbers):
        raise Refused("usage.number")
    done = []
    for number in numbers:
        try:
            added = register(db, item, number, by=by, now=now)
        except LookupError:
            raise Refused("no_item", item=format_item(*item)) from None
        done.append((number.strip(), added))
    return done


def parse_day(value: str | None, option: str) -> date | None:
    """A date written YYYY-MM-DD (None for none); HoldError naming `option` when it is not one."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HoldError(
            f"{option} {value!r} is not a date (write YYYY-MM-DD, e.g. 2026-03-01)",
            code="hold.error.date", value=value[:40],
        ) from None  # fmt: skip


def place_hold(db: Database, accounts: Sequence[str], *, reason: str, by: str, now: datetime,
               account: str | None = None, from_date: str | None = None,
               to_date: str | None = None, query: str | None = None) -> int:  # fmt: skip
    """Add a legal hold from what a person wrote (account among `accounts`, dates as text)."""
    if account is not None and account not in accounts:
        raise HoldError(f"--account {account!r} is not a configured account",
                        code="hold.error.account", account=account[:100])  # fmt: skip
    start, end = parse_day(from_date, "--from"), parse_day(to_date, "--to")
    return add_hold(db, reason=reason, by=by, now=now, account=account, from_date=start,
                    to_date=end, query=query)  # fmt: skip
