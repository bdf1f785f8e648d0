"""The half-year capture windows open at local midnight, DST and year ends included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from somed.config import ConfigError, load_config
from somed.duties.windows import WINDOW_TZ, Window, current_window, grace_end, previous_window


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=WINDOW_TZ).astimezone(UTC)


def test_the_default_windows_open_on_1_march_and_1_october_at_swedish_midnight():
    spring = current_window(utc(2026, 6, 15, 12))
    assert spring == Window(local(2026, 3, 1), local(2026, 10, 1))
    assert spring.start == utc(2026, 2, 28, 23)  # CET: UTC+1
    assert spring.end == utc(2026, 9, 30, 22)  # CEST: UTC+2
    assert spring.label == "2026-03-01"


@pytest.mark.parametrize(
    ("now", "label"),
    [
        (utc(2026, 12, 31, 22, 59), "2026-10-01"),  # 23:59 on New Year's Eve in Stockholm
        (utc(2026, 12, 31, 23, 0), "2026-10-01"),  # 00:00 on 1 January: still the autumn window
        (utc(2027, 1, 1, 12), "2026-10-01"),
        (utc(2027, 2, 28, 22, 59), "2026-10-01"),  # the last minute before 1 March
        (utc(2027, 2, 28, 23, 0), "2027-03-01"),  # 1 March, 00:00 CET
        (utc(2026, 9, 30, 21, 59), "2026-03-01"),
        (utc(2026, 9, 30, 22, 0), "2026-10-01"),  # 1 October, 00:00 CEST
    ],
)
def test_a_window_lasts_until_the_next_one_opens_across_the_year_end(now, label):
    window = current_window(now)
    assert window.label == label
    assert now in window


def test_the_autumn_window_spans_the_year_end():
    window = current_window(utc(2027, 1, 15))
    assert window == Window(local(2026, 10, 1), local(2027, 3, 1))
    assert previous_window(window) == Window(local(2026, 3, 1), local(2026, 10, 1))


@pytest.mark.parametrize(
    "change",
    [
        utc(2026, 3, 29, 1, 0),  # last Sunday of March: 02:00 CET -> 03:00 CEST
        utc(2026, 10, 25, 1, 0),  # last Sunday of October: 03:00 CEST -> 02:00 CET
    ],
)
def test_windows_neither_shift_nor_skip_across_a_dst_change(change):
    # Every minute from 3 hours before to 3 hours after the change lies in one and the same
    # window; a window starting on the change day opens at local midnight, in UTC.
    minutes = [change + timedelta(minutes=m) for m in range(-180, 181)]
    assert {current_window(m) for m in minutes} == {current_window(change)}
    day = change.astimezone(WINDOW_TZ).strftime("%m-%d")
    window = current_window(change, [day, "06-15"])
    assert window.start == local(2026, int(day[:2]), int(day[3:]))
    assert window.start.astimezone(WINDOW_TZ).hour == 0


def test_windows_on_dst_days_are_one_hour_longer_or_shorter_in_utc_only():
    spring = current_window(utc(2026, 4, 1), ["03-29", "10-25"])  # both DST days of 2026
    assert spring.start == utc(2026, 3, 28, 23)  # midnight CET, before the 02:00 change
    assert spring.end == utc(2026, 10, 24, 22)  # midnight CEST, before the 03:00 change
    autumn = current_window(spring.end, ["03-29", "10-25"])
    assert autumn.start == spring.end and autumn.end == utc(
        2027, 3, 28, 22
    )  # CEST by then (DST began 28 March)


def test_grace_ends_after_local_calendar_days_even_across_dst():
    window = current_window(utc(2026, 3, 15), ["03-10", "10-20"])
    assert grace_end(window, 30) == local(2026, 4, 9)  # 30 days later, local midnight (CEST)
    assert grace_end(window, 30) - window.start == timedelta(days=30, hours=-1)
    assert grace_end(current_window(utc(2026, 6, 1)), 0) == local(2026, 3, 1)


def test_window_start_dates_and_grace_are_checked_in_the_config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[storage]\ndir = "data"\n[capture]\nwindows = ["02-01", "08-15"]\n')
    config = load_config(path, {})
    assert config.capture.windows == ["02-01", "08-15"] and config.capture.grace_days == 30
    assert config.daemon.tick_seconds == 60 and config.capture.enabled
    for bad in ('["02-29"]', '["3-1"]', '["13-01"]', "[]", '["03-01", "03-01"]'):
        path.write_text(f'[storage]\ndir = "data"\n[capture]\nwindows = {bad}\n')
        with pytest.raises(ConfigError) as caught:
            load_config(path, {})
        assert "capture.windows" in str(caught.value)
