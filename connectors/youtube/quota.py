"""YouTube Data API quota: what each call costs, and when the daily quota comes back.

Every project has 10,000 units a day by default; a list call costs 1 unit, `captions.list`
50 and `search.list` 100 (somed never calls it: the uploads playlist does the same job for 1).
The day is Pacific time: the quota resets at midnight America/Los_Angeles.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
DAILY_UNITS = 10_000
COSTS: dict[str, int] = {
    "channels.list": 1,
    "playlistItems.list": 1,
    "videos.list": 1,
    "commentThreads.list": 1,
    "comments.list": 1,
    "captions.list": 50,
    "search.list": 100,  # listed so no one mistakes it for cheap; never called
}


def cost_of(method: str) -> int:
    """The quota units one call of `method` (e.g. "videos.list") costs."""
    return COSTS[method]


def quota_reset(now: datetime) -> datetime:
    """The next midnight in America/Los_Angeles after the aware `now`, as an aware datetime."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: somed only handles timezone-aware datetimes")
    local = now.astimezone(PACIFIC)
    tomorrow = local.date() + timedelta(days=1)
    # built from the date, so a day of 23 or 25 hours (DST change) still ends at midnight
    return datetime.combine(tomorrow, time(0, 0), tzinfo=PACIFIC)
