"""`unanswered`: a question from the public that the account has not answered in time (R11).

A question is an incoming comment, reply, message or visitor post (any platform: only the
record contract's fields are read) whose text asks something (`somed.monitors.questions`). It
is answered by the account's own item in the same thread, published after it, that replies to
it or to what it replied to (the same comment thread, the same conversation). The limit is
counted in business hours (`somed.business_hours`) from the question's publication: past it
without an answer, the question's item is flagged `unanswered`; the account's answer resolves
the flag, and an answer that came late but before anyone looked leaves a resolved flag saying
how late. Questions are looked at for `LOOKBACK` (older ones are not flagged any more, open
flags are still resolved by an answer); a question deleted on the platform needs no answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from connectors.model import parse_utc, utc_iso
from somed.business_hours import Calendar, business_hours_between, deadline
from somed.config import AccountConfig, Config
from somed.config_notify import response_calendar, response_limit
from somed.display import LOCAL_TZ
from somed.monitors.model import Finding, opened, resolved
from somed.monitors.questions import asks

FLAGS = ("unanswered",)
FLAG = "unanswered"
LOOKBACK = timedelta(days=30)
NOT_QUESTIONS = ("profile",)  # kinds that never ask (a profile's text describes the account)


def check(db: Database, config: Config, account: AccountConfig, now: datetime) -> list[Finding]:
    """The `unanswered` findings on the account's questions (open, resolved, or late answers)."""
    calendar = response_calendar(config.monitors, account)
    limit = response_limit(config.monitors, account)
    known = _flagged(db, account.key)
    findings: list[Finding] = []
    for question in _candidates(db, account.key, now - LOOKBACK, known):
        item = (question["platform"], question["id"])
        state = known.get(item)
        if state == "closed":
            continue  # answered late (or dismissed) before: its flag stays as it ended
        if question["deleted_at"] is not None or not asks(question["text"]):
            if state == "open":
                findings.append(resolved(FLAG, item=item))
            continue
        findings += _judge(db, question, item, state, calendar, limit, now)
    return findings


def _judge(
    db: Database,
    question: dict[str, Any],
    item: tuple[str, str],
    state: str | None,
    calendar: Calendar,
    limit: float,
    now: datetime,
) -> list[Finding]:
    """What one question's answer (or its absence) says about its flag."""
    asked = parse_utc(question["created_at"])
    if asked is None:
        return []
    due = deadline(asked, limit, calendar)
    answer = _answered_at(db, question)
    params = {"asked_at": utc_iso(asked), "deadline": utc_iso(due), "limit_hours": limit,
              "due": _local(due), "author": question["author_name"]}  # fmt: skip
    if answer is not None and answer <= due:
        return [resolved(FLAG, item=item)] if state == "open" else []
    if answer is not None:  # answered, but late: the flag records by how much
        took = round(business_hours_between(asked, answer, calendar), 1)
        late = opened(FLAG, "monitor.answered_late", item=item, **params,
                      answered_at=utc_iso(answer), business_hours=took)  # fmt: skip
        return [late, resolved(FLAG, item=item)]
    if now < due:
        return []
    return [opened(FLAG, "monitor.unanswered", item=item, **params)]


def _local(moment: datetime) -> str:
    """A moment as Swedish local time to the minute (`2026-05-04 16:00`)."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _flagged(db: Database, account: str) -> dict[tuple[str, str], str]:
    """Each item of the account that has an `unanswered` flag: "open", or "closed" when ended."""
    found: dict[tuple[str, str], str] = {}
    for row in db.query(
        "SELECT * FROM flags WHERE account = ? AND flag = ? AND item_id IS NOT NULL ORDER BY id",
        [account, FLAG],
    ):
        ended = row["resolved_at"] is not None or row.get("resolution") == "dismissed"
        found[(row["platform"], row["item_id"])] = "closed" if ended else "open"
    return found


def _candidates(
    db: Database, account: str, since: datetime, known: dict[tuple[str, str], str]
) -> list[dict[str, Any]]:
    """The account's incoming items published since `since`, and those with an open flag."""
    marks = ", ".join("?" for _ in NOT_QUESTIONS)
    columns = "platform, id, kind, parent_id, thread_id, author_name, text, created_at, deleted_at"
    rows = {
        (r["platform"], r["id"]): r
        for r in db.query(
            f"SELECT {columns} FROM items WHERE account = ? AND direction = 'incoming'"
            f" AND kind NOT IN ({marks}) AND created_at >= ? ORDER BY created_at",
            [account, *NOT_QUESTIONS, utc_iso(since)],
        )
    }
    for platform, item_id in (item for item, state in known.items() if state == "open"):
        if (platform, item_id) not in rows:
            for r in db.query(f"SELECT {columns} FROM items WHERE platform = ? AND id = ?",
                              [platform, item_id]):  # fmt: skip
                rows[(platform, item_id)] = r
    return list(rows.values())


def _answered_at(db: Database, question: dict[str, Any]) -> datetime | None:
    """When the account first answered the question in its thread, None when it has not."""
    thread = question["thread_id"] or question["id"]
    parent = question["parent_id"] or question["id"]
    row = db.execute(
        "SELECT min(created_at) FROM items WHERE platform = ? AND thread_id = ?"
        " AND direction = 'own' AND created_at > ? AND (parent_id = ? OR parent_id = ?)",
        [question["platform"], thread, question["created_at"], question["id"], parent],
    ).fetchone()
    return parse_utc(row[0]) if row and row[0] else None
