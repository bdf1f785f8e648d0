"""Dates and times people type (`2026-03-01`, or ISO 8601), read as Swedish local time.

Shared by the CLI's `--since/--until` (`somed.cli.parse_when`) and the web's search filters,
so the same text selects the same period everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from somed.display import LOCAL_TZ

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(microsecond=0, tzinfo=UTC)


def parse_moment(value: str) -> datetime:
    """A date (Swedish local midnight) or an ISO 8601 time, as an aware UTC datetime.

    Raises ValueError when `value` is neither.
    """
    if len(value) == 10:
        moment = datetime.combine(date.fromisoformat(value), time(0))
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    try:
        return min(max(moment.astimezone(UTC), EARLIEST), LATEST)
    except OverflowError:  # Swedish midnight of 0001-01-01 is the year 0 in UTC
        return EARLIEST if moment.year == 1 else LATEST
