"""Business hours: how many working hours lie between two moments, and when N of them have passed.

Pure functions on a `Calendar`: the working day (`08:00`-`17:00` by default), the working
weekdays (Monday to Friday) and the public holidays of a country from the `holidays` package
(Sweden by default, with the de facto days off Midsommarafton, Julafton and Nyårsafton), in a
time zone (Europe/Stockholm). Each day's working span is built in local wall time and compared
in UTC, so a day on which the clocks change still counts its real hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOLIDAY_CATEGORIES = ("public", "de_facto")  # de facto: the eves Swedish employers give off
MAX_DAYS = 3660  # a deadline further away than ten years is a configuration mistake


@dataclass(frozen=True)
class Calendar:
    """When people work: daily hours, working weekdays, the holidays' country and a time zone."""

    start: time = time(8, 0)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    country: str | None = "SE"
    tz: ZoneInfo = field(default=STOCKHOLM)

    def is_working_day(self, day: date) -> bool:
        """True when `day` is a working weekday and not a public holiday."""
        return day.weekday() in self.days and not is_holiday(self.country, day)

    def span(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of `day` as UTC moments (None on a day off)."""
        if not self.is_working_day(day) or self.end <= self.start:
            return None
        begin = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        finish = datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        return begin, finish


def calendar_from(
    start: str = "08:00",
    end: str = "17:00",
    days: tuple[str, ...] | list[str] = WEEKDAYS[:5],
    country: str | None = "SE",
) -> Calendar:
    """A calendar from the config's words: "HH:MM" times, weekday names, a country code."""
    return Calendar(
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
        days=frozenset(WEEKDAYS.index(name) for name in days),
        country=country or None,
    )


@cache
def _holidays(country: str, year: int) -> frozenset[date]:
    """The holidays of `country` in `year` (public and de facto days off where known)."""
    cls = holiday_calendars.country_holidays(country, years=year)
    wanted = [c for c in HOLIDAY_CATEGORIES if c in getattr(cls, "supported_categories", ())]
    found = holiday_calendars.country_holidays(country, years=year, categories=wanted or None)
    return frozenset(found.keys())


def is_holiday(country: str | None, day: date) -> bool:
    """True when `day` is a public holiday (or de facto day off) in `country`."""
    return country is not None and day in _holidays(country, day.year)


def _days(calendar: Calendar, first: date) -> Iterator[tuple[datetime, datetime]]:
    """The working spans from the local day `first` on, day by day."""
    for offset in range(MAX_DAYS):
        found = calendar.span(first + timedelta(days=offset))
        if found is not None:
            yield found


def business_hours_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    """The working hours between two aware moments (0 when `end` is not after `start`)."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta()
    day = start.astimezone(calendar.tz).date()
    last = end.astimezone(calendar.tz).date()
    while day <= last:
        found = calendar.span(day)
        if found is not None:
            begin, finish = max(found[0], start), min(found[1], end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def deadline(start: datetime, hours: float, calendar: Calendar) -> datetime:
    """The moment `hours` working hours after `start` (a UTC datetime)."""
    left = timedelta(hours=hours)
    start = start.astimezone(UTC)
    for begin, finish in _days(calendar, start.astimezone(calendar.tz).date()):
        if finish <= start:
            continue
        begin = max(begin, start)
        if begin + left <= finish:
            return begin + left
        left -= finish - begin
    raise ValueError(f"no {hours} working hours within {MAX_DAYS} days of {start.isoformat()}")
