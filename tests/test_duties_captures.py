"""Half-yearly captures as a duty: due from the `captures` table, catch-up, DST, retries,
the profile-change trigger; one real capture of the emulator's page with real Chromium."""

from __future__ import annotations

import os
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from conftest import small_page

from somed.capture import capture_accounts
from somed.duties.captures import CaptureDuty
from somed.runner import Runner
from storage.captures import captures_of, record_capture
from storage.db import connect

WINDOWS = '[capture]\nwindows = ["03-01", "10-01"]\nretry_minutes = 30\nretry_max_minutes = 120'
URL = [{"key": "test-fb", "id": "111000111", "token_env": "SOMED_TEST_FB_TOKEN",
        "url": "https://www.facebook.com/testkommun"}]  # fmt: skip


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def record(config, when: datetime, verdict: str, trigger: str = "scheduled") -> None:
    """A capture row as the capture engine writes it (the engine is tested on its own)."""
    with closing(connect(config.db_path)) as db:
        record_capture(db, {"account": "test-fb", "platform": "facebook", "kind": "account",
                            "trigger": trigger, "started_at": when,
                            "finished_at": when + timedelta(seconds=20), "verdict": verdict,
                            "reason": None if verdict == "valid" else "capture.login_wall"})  # fmt: skip


def why(duty: CaptureDuty, now: datetime) -> dict[str, str]:
    tasks = duty.due(now)
    assert len(tasks) <= 1  # every account due at one tick is one batch
    return {a: tasks[0].trigger_of(a) for a in tasks[0].accounts} if tasks else {}


@pytest.fixture
def duty(fb_setup):
    setup = fb_setup(extra=WINDOWS, accounts=URL)
    with closing(connect(setup.config.db_path)):
        pass  # the archive and its tables exist
    return CaptureDuty(setup.config, lambda requests: [], clock=lambda: datetime.now(UTC))


def test_due_once_per_window_until_a_valid_capture_exists(duty):
    config = duty.config
    opened = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # 1 March 00:00 in Stockholm
    assert why(duty, opened - timedelta(days=1)) == {"test-fb": "scheduled"}  # autumn window
    record(config, opened - timedelta(days=1), "valid")
    assert why(duty, opened - timedelta(seconds=1)) == {}
    assert why(duty, opened) == {"test-fb": "scheduled"}  # the spring window opens
    record(config, opened + timedelta(minutes=1), "valid")
    for day in (0, 1, 30, 200):  # nothing more until the autumn window
        assert why(duty, opened + timedelta(days=day, minutes=2)) == {}
    assert why(duty, datetime(2026, 9, 30, 22, 0, tzinfo=UTC)) == {"test-fb": "scheduled"}


@pytest.mark.parametrize(
    "opening",
    [
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # CET midnight
        datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
    ],
)  # CEST midnight
def test_a_window_opening_on_a_dst_day_is_due_at_local_midnight_once(fb_setup, opening):
    setup = fb_setup(extra='[capture]\nwindows = ["03-29", "10-25"]', accounts=URL)
    duty = CaptureDuty(setup.config, lambda requests: [], clock=lambda: opening)
    record(setup.config, opening - timedelta(days=2), "valid")
    moment, due_at = opening - timedelta(hours=3), []
    while moment < opening + timedelta(hours=4):  # a tick a minute across the DST change
        if why(duty, moment):
            due_at.append(moment)
            record(setup.config, moment, "valid")
        moment += timedelta(minutes=1)
    assert due_at == [opening]


def test_invalid_captures_are_retried_with_doubling_capped_waits(duty):
    config = duty.config
    start = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    record(config, start, "invalid")
    waits = []
    attempt = start
    for _ in range(4):
        moment = attempt
        while not why(duty, moment):
            moment += timedelta(minutes=1)
        assert why(duty, moment) == {"test-fb": "retry"}
        waits.append(moment - attempt)
        attempt = moment
        record(config, attempt, "failed")
    assert waits == [timedelta(minutes=m) for m in (30, 60, 120, 120)]
    record(config, attempt + timedelta(hours=3), "valid")
    assert why(duty, attempt + timedelta(days=1)) == {}


def test_a_disabled_capture_section_takes_no_captures(fb_setup):
    setup = fb_setup(extra="[capture]\nenabled = false", accounts=URL)
    assert CaptureDuty(setup.config, print, clock=lambda: datetime.now(UTC)).due(
        datetime.now(UTC)) == []  # fmt: skip


def test_a_new_profile_version_after_the_last_valid_capture_triggers_one_more(fb_setup):
    page = small_page()
    setup = fb_setup([page], extra=WINDOWS, accounts=URL)
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    runner = Runner(setup.config, clock=clock)
    duty = CaptureDuty(setup.config, print, clock=clock)
    assert runner.run_account("test-fb").status == "ok"
    clock.now += timedelta(minutes=1)
    record(setup.config, clock.now, "valid")
    clock.now += timedelta(minutes=15)
    assert runner.run_account("test-fb").status == "ok"  # the same profile: nothing to do
    assert why(duty, clock.now) == {}
    page.description = "Ny beskrivning av sidan. En verksamhet inom Testkommun."
    clock.now += timedelta(minutes=15)
    assert runner.run_account("test-fb").status == "ok"
    assert why(duty, clock.now) == {"test-fb": "profile_change"}
    record(setup.config, clock.now + timedelta(minutes=1), "valid", "profile_change")
    assert why(duty, clock.now + timedelta(minutes=2)) == {}


@pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK), reason="no Chromium")
def test_after_downtime_the_window_that_opened_meanwhile_gives_exactly_one_capture(fb_setup):
    setup = fb_setup(extra=WINDOWS, accounts=URL)
    config = setup.config
    assert Runner(config).run_account("test-fb").status == "ok"  # the expected text is known
    now = datetime.now(UTC).replace(microsecond=0)
    duty = CaptureDuty(
        config, lambda requests: capture_accounts(config, requests), clock=lambda: now
    )
    from somed.duties.windows import current_window

    window = current_window(now)
    record(config, window.start - timedelta(days=40), "valid")  # last window's, then downtime
    tasks = duty.due(now)
    assert [t.accounts for t in tasks] == [("test-fb",)]
    duty.run(tasks[0])  # real Chromium on the emulator's public page
    with closing(connect(config.db_path)) as db:
        rows = captures_of(db, "test-fb", since=window.start)
    assert [(r["verdict"], r["trigger"]) for r in rows] == [("valid", "scheduled")], rows
    for minutes in range(1, 6):  # the next ticks: nothing more
        assert duty.due(now + timedelta(minutes=minutes)) == []
