"""Legal holds (bevarandebeslut vid rättslig tvist): items a hold covers are never disposed.

A hold covers the items of one account (or of all), created within `from_date`..`to_date`
(Swedish dates, both inclusive; either may be open), whose text matches `query` (words read as
`somed search` reads them: all must occur, `skol*` a prefix; none: every text). A hold with no
criteria covers the whole archive. Holds are added and released, never deleted; every change
is in the audit log, in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from connectors.model import utc_iso
from storage import audit
from storage.audit import audit_row
from storage.db import transaction
from storage.search import BadQuery, fts_query

LOCAL_TZ = ZoneInfo("Europe/Stockholm")  # the dates people give are Swedish dates
Key = tuple[str, str]  # (platform, item id)


class HoldError(ValueError):
    """A hold cannot be added or released as asked (the message says why, in one line).

    `code` is the id of the same refusal in the catalogues (for the web UI), `params` its values.
    """

    def __init__(self, message: str, *, code: str = "hold.error.other", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Hold:
    """An active hold: what it covers, as UTC ISO bounds on an item's creation time."""

    id: int
    account: str | None
    since: str | None  # created at or after (UTC ISO)
    before: str | None  # created before (UTC ISO)
    query: str | None

    def covers(self, account: str, created_at: str, key: Key, matches: Mapping[int, set[Key]]
               ) -> bool:  # fmt: skip
        """True when this hold covers an item of `account` created at `created_at` (UTC ISO)."""
        if self.account is not None and account != self.account:
            return False
        if self.since is not None and created_at < self.since:
            return False
        if self.before is not None and created_at >= self.before:
            return False
        return self.query is None or key in matches.get(self.id, ())


def _day_start(day: str) -> str:
    """Swedish midnight of `day` (YYYY-MM-DD) as UTC ISO."""
    moment = datetime.combine(date.fromisoformat(day), time(0), tzinfo=LOCAL_TZ)
    return utc_iso(moment) or ""


def _checked_query(db: Database, query: str) -> None:
    """Raise HoldError when `query` has no word to search for (read as `somed search` does)."""
    try:
        match = fts_query(query)
        db.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH ? LIMIT 1", [match])
    except (BadQuery, sqlite3.OperationalError):
        raise HoldError(
            f"--query {query!r} has no word to search for (write words as for somed search,"
            " e.g. --query 'bygglov Kyrkogatan')",
            code="hold.error.query", query=query[:200],
        ) from None


def add_hold(
    db: Database,
    *,
    reason: str,
    by: str,
    now: datetime,
    account: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    query: str | None = None,
) -> int:
    """Add a hold (audited `hold_added`); its id."""
    if not reason.strip():
        raise HoldError("--reason must say why the items are held", code="hold.error.reason")
    if from_date and to_date and from_date > to_date:
        raise HoldError(f"--from {from_date} is after --to {to_date}", code="hold.error.order",
                        start=from_date.isoformat(), end=to_date.isoformat())  # fmt: skip
    if query is not None:
        _checked_query(db, query)
    row = {
        "reason": reason, "account": account, "query": query,
        "from_date": from_date.isoformat() if from_date else None,
        "to_date": to_date.isoformat() if to_date else None,
        "created_at": utc_iso(now), "created_by": by,
    }  # fmt: skip
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO holds (reason, account, from_date, to_date, query, created_at,"
            " created_by) VALUES (:reason, :account, :from_date, :to_date, :query, :created_at,"
            " :created_by)",
            row,
        )
        hold_id = int(cursor.lastrowid or 0)
        details = {k: row[k] for k in ("account", "from_date", "to_date", "query")}
        audit.append(db, [audit_row(row["created_at"] or "", by, "hold_added",
                                    f"hold:{hold_id}", reason, details)])  # fmt: skip
    return hold_id


def release_hold(db: Database, hold_id: int, *, reason: str, by: str, now: datetime) -> None:
    """Release an active hold (audited `hold_released`); HoldError if there is none."""
    if not reason.strip():
        raise HoldError("--reason must say why the hold is released", code="hold.error.reason")
    at = utc_iso(now) or ""
    with transaction(db):
        found = db.execute("SELECT released_at FROM holds WHERE id = ?", [hold_id]).fetchone()
        if found is None:
            raise HoldError(f"there is no hold {hold_id} (see somed hold list)",
                            code="hold.error.no_hold", id=hold_id)  # fmt: skip
        if found[0] is not None:
            raise HoldError(f"hold {hold_id} was already released at {found[0]}",
                            code="hold.error.released", id=hold_id)  # fmt: skip
        db.execute(
            "UPDATE holds SET released_at = ?, released_by = ?, release_reason = ? WHERE id = ?",
            [at, by, reason, hold_id],
        )
        audit.append(db, [audit_row(at, by, "hold_released", f"hold:{hold_id}", reason, None)])


def list_holds(db: Database, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Every hold (or the active ones), oldest first."""
    where = " WHERE released_at IS NULL" if active_only else ""
    return [dict(row) for row in db.query(f"SELECT * FROM holds{where} ORDER BY id")]


def active_holds(db: Database) -> list[Hold]:
    """The holds in force, with their date bounds as UTC ISO."""
    found = []
    for row in list_holds(db, active_only=True):
        to_date = row["to_date"]
        before = (_day_start((date.fromisoformat(to_date) + timedelta(days=1)).isoformat())
                  if to_date else None)  # fmt: skip
        since = _day_start(row["from_date"]) if row["from_date"] else None
        found.append(Hold(int(row["id"]), row["account"], since, before, row["query"]))
    return found


def query_matches(db: Database, holds: Iterable[Hold]) -> dict[int, set[Key]]:
    """For each hold with a query: the (platform, id) of the items whose text matches it."""
    found: dict[int, set[Key]] = {}
    for hold in holds:
        if hold.query is None:
            continue
        rows = db.execute(
            "SELECT i.platform, i.id FROM items_fts JOIN items AS i ON i.rowid = items_fts.rowid"
            " WHERE items_fts MATCH ?",
            [fts_query(hold.query)],  # words as `somed search` reads them, never FTS syntax
        )
        found[hold.id] = {(str(p), str(i)) for p, i in rows}
    return found


def held(db: Database, account: str, created_at: str, key: Key) -> bool:
    """True when an active hold covers this item (one item; the plan checks them in bulk)."""
    holds = active_holds(db)
    matches = query_matches(db, holds)
    return any(hold.covers(account, created_at, key, matches) for hold in holds)
