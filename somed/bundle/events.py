"""The events of a bundle's period: disposals, holds, registrations and moderation, with the
audit-log entry of each (the entry whole, with its hash-chain link, so it can be checked).

Each kind is read by one query ordered by time; the kinds are merged by time, so the events
stream out in order without being held together. An event is a dict with `event` (its kind),
`at` (UTC ISO), `account` (None for a hold covering every account), the kind's own fields and
`audit` (the audit entry, or None for what somed does not audit: a moderation flag it opened,
an evidence copy it made).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlite_utils import Database

# disposals of one plan on one account: one event (the items carry their tombstones)
_DISPOSALS = """
SELECT 'disposal' AS event, min(disposed_at) AS at, account, plan_id, disposed_by AS by,
       sum(n) AS items, json_group_object(rule, n) AS rules
FROM (SELECT plan_id, account, rule, disposed_by, min(disposed_at) AS disposed_at,
             count(*) AS n FROM disposals WHERE account IN (SELECT value FROM json_each(:keys))
      GROUP BY plan_id, account, rule, disposed_by)
GROUP BY plan_id, account, disposed_by
HAVING (:since IS NULL OR at >= :since) AND (:until IS NULL OR at < :until)
ORDER BY at, plan_id, account
"""
_HOLDS = """
SELECT * FROM (
  SELECT 'hold_added' AS event, created_at AS at, account, id AS hold_id, reason, from_date,
         to_date, query, created_by AS by FROM holds
  WHERE account IS NULL OR account IN (SELECT value FROM json_each(:keys))
  UNION ALL
  SELECT 'hold_released', released_at, account, id, release_reason, from_date, to_date, query,
         released_by FROM holds
  WHERE released_at IS NOT NULL
    AND (account IS NULL OR account IN (SELECT value FROM json_each(:keys))))
WHERE (:since IS NULL OR at >= :since) AND (:until IS NULL OR at < :until)
ORDER BY at, hold_id
"""
_REGISTRATIONS = """
SELECT 'registered' AS event, r.registered_at AS at, i.account, r.platform, r.item_id,
       r.number, r.registered_by AS by
FROM registrations AS r JOIN items AS i ON i.platform = r.platform AND i.id = r.item_id
WHERE i.account IN (SELECT value FROM json_each(:keys))
  AND (:since IS NULL OR r.registered_at >= :since) AND (:until IS NULL OR r.registered_at < :until)
ORDER BY at, r.platform, r.item_id, r.number
"""
# flags of moderation and individual cases: opened, and dismissed (marked wrong) by an editor
_FLAGS = """
SELECT * FROM (
  SELECT CASE WHEN flag = 'individual_case' THEN 'individual_case_marked'
              ELSE 'moderation_flag' END AS event,
         created_at AS at, account, id AS flag_id, flag, reason, platform, item_id,
         created_by AS by, details AS params FROM flags
  WHERE account IN (SELECT value FROM json_each(:keys))
    AND (flag = 'individual_case' OR reason LIKE 'moderation.%')
  UNION ALL
  SELECT 'flag_dismissed', dismissed_at, account, id, flag, resolution_reason, platform, item_id,
         dismissed_by, NULL FROM flags
  WHERE dismissed_at IS NOT NULL AND account IN (SELECT value FROM json_each(:keys))
    AND (flag = 'individual_case' OR reason LIKE 'moderation.%'))
WHERE (:since IS NULL OR at >= :since) AND (:until IS NULL OR at < :until)
ORDER BY at, flag_id
"""
_EVIDENCE = """
SELECT 'moderation_evidence' AS event, e.created_at AS at, i.account, e.id AS evidence_id,
       e.platform, e.item_id, e.item_sha256, e.categories, e.evidence_sha256, e.size
FROM moderation_evidence AS e JOIN items AS i ON i.platform = e.platform AND i.id = e.item_id
WHERE i.account IN (SELECT value FROM json_each(:keys))
  AND (:since IS NULL OR e.created_at >= :since) AND (:until IS NULL OR e.created_at < :until)
ORDER BY at, e.id
"""
_JSON_FIELDS = ("rules", "params", "categories")


def period_events(
    db: Database, keys: Sequence[str], since: str | None, until: str | None
) -> Iterator[dict[str, Any]]:
    """Every event of the accounts in [since, until), oldest first, each with its audit entry."""
    args = {"keys": json.dumps(list(keys)), "since": since, "until": until}
    kinds = [_query(db, sql, args) for sql in (_DISPOSALS, _HOLDS, _REGISTRATIONS, _FLAGS,
                                                _EVIDENCE)]  # fmt: skip
    for event in heapq.merge(*kinds, key=lambda e: e["at"] or ""):
        event["audit"] = audit_entry(db, event)
        yield event


def _query(db: Database, sql: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
    cursor = db.conn.execute(sql, args)
    columns = [d[0] for d in cursor.description]
    try:
        while chunk := cursor.fetchmany(500):
            for row in chunk:
                event = dict(zip(columns, row, strict=True))
                for name in _JSON_FIELDS:
                    if isinstance(event.get(name), str):
                        event[name] = json.loads(event[name])
                yield event
    finally:
        cursor.close()


def audit_entry(db: Database, event: dict[str, Any]) -> dict[str, Any] | None:
    """The audit-log entry that recorded `event` (None when somed does not audit such events)."""
    kind = event["event"]
    if kind == "disposal":
        where, args = "action = 'disposal_applied' AND target = ?", [f"plan:{event['plan_id']}"]
    elif kind in ("hold_added", "hold_released"):
        where, args = "action = ? AND target = ?", [kind, f"hold:{event['hold_id']}"]
    elif kind == "registered":
        where = "action = 'registered' AND target = ? AND json_extract(details, '$.number') = ?"
        args = [f"{event['platform']}:{event['item_id']}", event["number"]]
    elif kind in ("individual_case_marked", "flag_dismissed"):
        target = (f"{event['platform']}:{event['item_id']}" if event["item_id"] is not None
                  else f"account:{event['account']}")  # fmt: skip
        where = "action = ? AND target = ? AND json_extract(details, '$.flag_id') = ?"
        args = [kind, target, event["flag_id"]]
    else:
        return None
    row = db.execute(
        f"SELECT id, at, actor, action, target, reason, details, prev_sha256, sha256"
        f" FROM audit_log WHERE {where} ORDER BY id LIMIT 1",
        args,
    ).fetchone()
    if row is None:
        return None
    keys = ("id", "at", "actor", "action", "target", "reason", "details", "prev_sha256", "sha256")
    return dict(zip(keys, row, strict=True))
