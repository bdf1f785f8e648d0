"""The half-year capture windows: start dates in Swedish local time, computed and stored in UTC.

A deployment names the days its windows open (`[capture] windows`, "MM-DD", default 1 March and
1 October: mid-term, away from summer and Christmas). A window opens at 00:00 Europe/Stockholm
on its start date and lasts until the next window opens. Everything here is pure: `now` is
passed in, so a clock can be injected and the Daylight Saving Time changes tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

WINDOW_TZ = ZoneInfo("Europe/Stockholm")  # the calendar the windows' start dates are read in
DEFAULT_WINDOWS = ("03-01", "10-01")


@dataclass(frozen=True)
class Window:
    """One capture window, [start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """The local start date, e.g. `2026-03-01`, naming the window for people."""
        return self.start.astimezone(WINDOW_TZ).date().isoformat()

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def parse_start(text: str) -> tuple[int, int]:
    """(month, day) of a window start "MM-DD"; ValueError unless it is a day of every year."""
    month_text, sep, day_text = text.partition("-")
    if not sep or len(month_text) != 2 or len(day_text) != 2:
        raise ValueError(f"{text!r} is not MM-DD")
    if not (month_text.isdigit() and day_text.isdigit()):
        raise ValueError(f"{text!r} is not MM-DD")
    month, day = int(month_text), int(day_text)
    date(2001, month, day)  # raises ValueError for 13-01, 04-31 and 02-29 (not every year has it)
    return month, day


def _starts(years: range, windows: Sequence[str]) -> list[datetime]:
    """Every window start of these years, in UTC, sorted."""
    days = sorted({parse_start(text) for text in windows})
    if not days:
        raise ValueError("no capture windows")
    return [
        datetime(year, month, day, tzinfo=WINDOW_TZ).astimezone(UTC)
        for year in years
        for month, day in days
    ]


def current_window(now: datetime, windows: Sequence[str] = DEFAULT_WINDOWS) -> Window:
    """The window `now` (timezone-aware) falls in."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    year = now.astimezone(WINDOW_TZ).year
    starts = _starts(range(year - 1, year + 2), windows)
    index = max(i for i, start in enumerate(starts) if start <= now)
    return Window(starts[index], starts[index + 1])


def previous_window(window: Window, windows: Sequence[str] = DEFAULT_WINDOWS) -> Window:
    """The window before `window`."""
    return current_window(window.start - timedelta(microseconds=1), windows)


def grace_end(window: Window, grace_days: int) -> datetime:
    """When the grace period of a window ends: `grace_days` local calendar days after its start."""
    local_start = window.start.astimezone(WINDOW_TZ).date()
    end = local_start + timedelta(days=grace_days)
    return datetime(end.year, end.month, end.day, tzinfo=WINDOW_TZ).astimezone(UTC)
