"""Registry numbers (diarienummer) given to archived items: append-only, every one audited.

An item may carry several numbers (a message registered in two cases). A registered item leaves
the registration queue (`storage/queue.py`). Rows are never updated or deleted (triggers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlite_utils import Database

from connectors.model import utc_iso
from storage import audit
from storage.audit import audit_row
from storage.db import transaction
from storage.flags import open_flag

Item = tuple[str, str]  # (platform, item id)


def register(db: Database, item: Item, number: str, *, by: str, now: datetime) -> bool:
    """Give `item` the registry `number` (audited `registered`); False if it already had it.

    LookupError when the item is not in the archive, ValueError when the number is empty.
    """
    number = number.strip()
    if not number:
        raise ValueError("the registry number is empty")
    at = utc_iso(now)
    with transaction(db):
        account = _account_of(db, item)
        cursor = db.execute(
            "INSERT OR IGNORE INTO registrations (platform, item_id, number, registered_at,"
            " registered_by) VALUES (?, ?, ?, ?, ?)",
            [item[0], item[1], number, at, by],
        )
        if cursor.rowcount == 0:
            return False
        details = {"number": number, "account": account}
        audit.append(db, [audit_row(at, by, "registered", f"{item[0]}:{item[1]}", None, details)])
    return True


def _account_of(db: Database, item: Item) -> str:
    """The account an archived item belongs to; LookupError when it is not in the archive."""
    found = db.execute("SELECT account FROM items WHERE platform = ? AND id = ?", list(item))
    row = found.fetchone()
    if row is None:
        raise LookupError(item)
    return str(row[0])


def registry_numbers(db: Database, items: Iterable[Item]) -> dict[Item, list[str]]:
    """The registry numbers of these items (in the order given), each item's list possibly empty."""
    wanted = list(dict.fromkeys(items))
    found: dict[Item, list[str]] = {item: [] for item in wanted}
    for start in range(0, len(wanted), 400):
        chunk = wanted[start : start + 400]
        clause = " OR ".join("(platform = ? AND item_id = ?)" for _ in chunk)
        values = [v for item in chunk for v in item]
        for platform, item_id, number in db.execute(
            f"SELECT platform, item_id, number FROM registrations WHERE {clause}"
            " ORDER BY registered_at, number",
            values,
        ):
            found[(platform, item_id)].append(number)
    return found


def is_registered(db: Database, item: Item) -> bool:
    """Whether the item has at least one registry number."""
    row = db.execute(
        "SELECT 1 FROM registrations WHERE platform = ? AND item_id = ? LIMIT 1", list(item)
    ).fetchone()
    return row is not None


def mark_individual_case(db: Database, item: Item, *, by: str, reason: str, now: datetime) -> int:
    """Flag an item as concerning an individual case (audited `individual_case_marked`); the id.

    LookupError when the item is not in the archive, ValueError when no reason is given.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required")
    at = utc_iso(now)
    with transaction(db):
        account = _account_of(db, item)
        flag_id = open_flag(
            db, account, "individual_case", reason="registrar.individual_case",
            params={"by": by, "why": reason}, item=item, now=now, by=by,
        )  # fmt: skip
        details = {"flag_id": flag_id, "account": account}
        target = f"{item[0]}:{item[1]}"
        audit.append(db, [audit_row(at, by, "individual_case_marked", target, reason, details)])
    return flag_id
