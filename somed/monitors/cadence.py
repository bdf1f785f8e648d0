"""`low_cadence`: the account posts less often than its communication plan asks (R10).

Own posts (and videos) per week over the last `WEEKS` weeks, as of the last successful read of
the account's `posts` stream (later posts are not known yet), against `min_posts_per_week` (the
account's, else `[monitors]`; none: not checked). The average over the weeks decides; the flag
carries every week's count so people see the pattern. An account that started (its
`start_date`) less than `WEEKS` weeks before is not judged yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from connectors.model import parse_utc, utc_iso
from somed.config import AccountConfig, Config
from somed.display import LOCAL_TZ
from somed.monitors.activity import POSTS_STREAM
from somed.monitors.model import Finding, opened, resolved
from storage import evidence
from storage.queries import POST_KINDS

FLAGS = ("low_cadence",)
WEEKS = 8
WEEK = timedelta(days=7)


def minimum(config: Config, account: AccountConfig) -> float | None:
    """The account's minimum of own posts a week (None: cadence not checked)."""
    if account.min_posts_per_week is not None:
        return account.min_posts_per_week
    return config.monitors.min_posts_per_week


def weekly_counts(db: Database, account: str, as_of: datetime) -> list[int]:
    """Own posts in each of the `WEEKS` weeks (7-day spans) before `as_of`, oldest first."""
    marks = ", ".join("?" for _ in POST_KINDS)
    start = as_of - WEEKS * WEEK
    counts = [0] * WEEKS
    for (created,) in db.execute(
        f"SELECT created_at FROM items WHERE account = ? AND direction = 'own'"
        f" AND kind IN ({marks}) AND created_at >= ? AND created_at < ?",
        [account, *POST_KINDS, utc_iso(start), utc_iso(as_of)],
    ).fetchall():
        moment = parse_utc(created)
        if moment is not None:
            counts[min(WEEKS - 1, int((moment - start) / WEEK))] += 1
    return counts


def check(db: Database, config: Config, account: AccountConfig, now: datetime) -> list[Finding]:
    """The `low_cadence` finding on one account (none before its posts were read whole)."""
    wanted = minimum(config, account)
    if wanted is None:
        return [resolved("low_cadence")]
    posts = evidence.stream_state(db, account.key, POSTS_STREAM)
    as_of = parse_utc((posts or {}).get("last_ok_at")) if posts else None
    if as_of is None:
        return []
    as_of = min(as_of, now)
    start = account.start_date
    if start is not None and start > (as_of - WEEKS * WEEK).astimezone(LOCAL_TZ).date():
        return []
    counts = weekly_counts(db, account.key, as_of)
    average = round(sum(counts) / WEEKS, 2)
    if average >= wanted:
        return [resolved("low_cadence")]
    return [opened("low_cadence", "monitor.low_cadence", average=average, minimum=wanted,
                   weeks=counts, total=sum(counts),
                   checked=as_of.astimezone(LOCAL_TZ).date().isoformat())]  # fmt: skip
