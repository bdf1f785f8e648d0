"""The registration queue: what the registrar must register, for every platform alike.

An item is in the queue while it has no registry number and it is an incoming private message
(`kind = 'message'`, `direction = 'incoming'`) or it has a flag that was not dismissed among
`QUEUE_FLAGS` (open or resolved; `commercial` is not there: spam is removed, not registered),
and it was not disposed of (retention).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from storage.flags import HOLDS, holding_flags

QUEUE_FLAGS = ("personal_data", "profanity", "hate", "threat", "individual_case")
MESSAGE = "message"  # the queue's reason for an incoming private message


def queue(db: Database, *, accounts: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The items in the queue, oldest first: item fields, `why` (names) and its holding flags."""
    names = ", ".join(f"'{name}'" for name in QUEUE_FLAGS)  # module constants only
    where = ""
    values: list[Any] = []
    if accounts is not None:
        where = f"AND i.account IN ({', '.join('?' for _ in accounts)})"
        values = list(accounts)
    if "disposed_at" in db["items"].columns_dict:  # a disposed item has nothing to register
        where += " AND i.disposed_at IS NULL"
    rows = db.execute(
        f"""WITH candidates (platform, id) AS (
              SELECT platform, id FROM items WHERE kind = 'message' AND direction = 'incoming'
              UNION
              SELECT platform, item_id FROM flags
              WHERE item_id IS NOT NULL AND flag IN ({names}) AND {HOLDS})
            SELECT i.platform, i.id, i.account, i.kind, i.direction, i.created_at, i.url,
                   i.deleted_at
            FROM candidates AS c JOIN items AS i ON i.platform = c.platform AND i.id = c.id
            WHERE NOT EXISTS (SELECT 1 FROM registrations AS r
                              WHERE r.platform = i.platform AND r.item_id = i.id) {where}
            ORDER BY i.created_at, i.platform, i.id""",
        values,
    ).fetchall()
    entries = [
        dict(zip(("platform", "item_id", "account", "kind", "direction", "created_at", "url",
                  "deleted_at"), row, strict=True))
        for row in rows
    ]  # fmt: skip
    flags = holding_flags(db, [(e["platform"], e["item_id"]) for e in entries], QUEUE_FLAGS)
    for entry in entries:
        held = flags.get((entry["platform"], entry["item_id"]), [])
        is_message = entry["kind"] == "message" and entry["direction"] == "incoming"
        entry["flags"] = held
        entry["why"] = ([MESSAGE] if is_message else []) + list(
            dict.fromkeys(f["flag"] for f in held)
        )
        entry["open"] = is_message or any(f["resolved_at"] is None for f in held)
    return entries
