"""Business hours: Swedish weekdays 08-17, public holidays and de facto days off, DST-safe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from somed.business_hours import (
    business_hours_between,
    calendar_from,
    deadline,
    is_holiday,
)

STOCKHOLM = calendar_from()


def local(*parts: int) -> datetime:
    """A Stockholm wall-clock moment as an aware datetime."""
    return datetime(*parts, tzinfo=STOCKHOLM.tz)  # type: ignore[misc]


def test_a_question_answered_after_30_business_hours_across_a_weekend_and_may_day():
    # Wednesday 29 April 2026 10:00 -> Tuesday 5 May 13:00: 7 + 9 + (1 May, weekend) + 9 + 5
    asked, answered = local(2026, 4, 29, 10, 0), local(2026, 5, 5, 13, 0)
    assert is_holiday("SE", date(2026, 5, 1))
    assert business_hours_between(asked, answered, STOCKHOLM) == 30.0
    assert answered - asked > timedelta(days=6)  # wall-clock time says nothing
    # the 24-hour limit ended on Monday at 16:00, 30 hours exactly on the answer
    assert deadline(asked, 24, STOCKHOLM) == local(2026, 5, 4, 16, 0)
    assert deadline(asked, 30, STOCKHOLM) == answered


def test_de_facto_days_off_and_christmas_are_not_counted():
    # Wednesday 23 Dec 2026 16:00 -> Monday 28 Dec 09:00: julafton, juldagen, annandag, weekend
    assert business_hours_between(local(2026, 12, 23, 16), local(2026, 12, 28, 9), STOCKHOLM) == 2
    assert is_holiday("SE", date(2026, 6, 19))  # midsommarafton
    no_holidays = calendar_from(country="")
    assert business_hours_between(local(2026, 12, 24, 8), local(2026, 12, 24, 17), no_holidays) == 9


def test_dst_days_count_their_real_hours():
    # Friday 27 March 16:00 CET -> Monday 30 March 09:00 CEST: 1 + 1 hour
    assert business_hours_between(local(2026, 3, 27, 16), local(2026, 3, 30, 9), STOCKHOLM) == 2
    all_day = calendar_from(start="00:00", end="23:59", days=["sun"], country=None)
    spring, autumn = local(2026, 3, 29, 0), local(2026, 10, 25, 0)
    assert business_hours_between(spring, spring + timedelta(days=1), all_day) == pytest.approx(
        22 + 59 / 60
    )
    assert business_hours_between(autumn, autumn + timedelta(days=1), all_day) == pytest.approx(
        24 + 59 / 60
    )
    # a deadline in UTC across the change: Friday 16:00 CET + 2 h = Monday 09:00 CEST
    due = deadline(local(2026, 3, 27, 16), 2, STOCKHOLM)
    assert due == local(2026, 3, 30, 9) and due.tzinfo == UTC


def test_moments_outside_working_hours_and_configured_days():
    evening, morning = local(2026, 12, 1, 20), local(2026, 12, 2, 7)
    assert business_hours_between(evening, morning, STOCKHOLM) == 0
    assert deadline(evening, 1, STOCKHOLM) == local(2026, 12, 2, 9)
    assert business_hours_between(morning, local(2026, 12, 2, 20), STOCKHOLM) == 9
    four_days = calendar_from(start="09:00", end="15:00", days=["mon", "tue", "wed", "thu"])
    friday, monday = local(2026, 12, 4, 8), local(2026, 12, 7, 12)
    assert business_hours_between(friday, monday, four_days) == 3
    assert business_hours_between(monday, friday, STOCKHOLM) == 0  # end before start
