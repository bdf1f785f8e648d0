"""`inactive` and `unhealthy`: is the account still posting, judged only from successful runs.

An account is inactive when, as of the last successful read of its `posts` stream, its newest
own post (or, with none, its start date or the day it entered the register) is older than
`inactive_months` (the account's, else `[monitors]`, default 6). A run that fails proves
nothing about posting: an account whose runs fail (health failing or token rejected, or the
`posts` stream failing or refused) is flagged `unhealthy` instead, and its `inactive` flag is
left as the last evidence set it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlite_utils import Database

from connectors.model import parse_utc
from somed.config import AccountConfig, Config
from somed.display import LOCAL_TZ
from somed.monitors.model import Finding, opened, resolved
from storage import evidence

FLAGS = ("inactive", "unhealthy")
POSTS_STREAM = "posts"  # every connector's stream of the account's own posts
FAILING_HEALTH = ("failing", "auth_failed")
FAILING_STREAM = ("failed", "permission_denied")


def inactive_months(config: Config, account: AccountConfig) -> int:
    """How many months without an own post make the account inactive."""
    return account.inactive_months or config.monitors.inactive_months


def check(db: Database, config: Config, account: AccountConfig, now: datetime) -> list[Finding]:
    """The `unhealthy` and `inactive` findings on one account."""
    health = evidence.health(db, account.key)
    posts = evidence.stream_state(db, account.key, POSTS_STREAM)
    if health is None and posts is None:
        return []  # never read: no evidence of anything yet
    health_status = (health or {}).get("status")
    stream_status = (posts or {}).get("status")
    if health_status in FAILING_HEALTH or stream_status in FAILING_STREAM:
        since = (health or {}).get("since") if health_status in FAILING_HEALTH else None
        return [
            opened(
                "unhealthy",
                "monitor.unhealthy",
                health=health_status,
                stream=stream_status,
                since=_local_date(since or (posts or {}).get("updated_at")),
            )
        ]
    findings = [resolved("unhealthy")] if health_status == "ok" else []
    as_of = parse_utc((posts or {}).get("last_ok_at")) if stream_status == "ok" else None
    if as_of is None:
        return findings  # the posts have not been read whole yet: nothing to judge
    return findings + [_inactivity(db, config, account, as_of)]


def _inactivity(db: Database, config: Config, account: AccountConfig, as_of: datetime) -> Finding:
    """Open `inactive` when the newest own post is older than the limit as of `as_of`."""
    months = inactive_months(config, account)
    limit = as_of - relativedelta(months=months)
    newest = parse_utc(evidence.newest_own_post_at(db, account.key))
    if newest is not None:
        if newest >= limit:
            return resolved("inactive")
        return opened(
            "inactive", "monitor.inactive", months=months, last_post=_local_date(newest),
            checked=_local_date(as_of),
        )  # fmt: skip
    start: Any = account.start_date
    since = (
        datetime(start.year, start.month, start.day, tzinfo=LOCAL_TZ)
        if start is not None
        else parse_utc(evidence.account_added_at(db, account.key))
    )
    if since is None or since >= limit:
        return resolved("inactive")
    return opened(
        "inactive", "monitor.never_posted", months=months, since=_local_date(since),
        checked=_local_date(as_of),
    )  # fmt: skip


def _local_date(moment: datetime | str | None) -> str | None:
    """A moment as the Swedish calendar date it falls on (`2026-03-01`), None for none."""
    when = parse_utc(moment) if isinstance(moment, str) else moment
    return when.astimezone(LOCAL_TZ).date().isoformat() if when is not None else None
