"""Archive polls and token checks as duties: due from the database, catch up once, DST-proof."""

from __future__ import annotations

import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from somed.duties.polls import STAGGER_SECONDS, PollDuty, TokenCheckDuty
from somed.runner import Runner
from storage.db import connect

NO_JITTER = "[daemon]\njitter_seconds = 0"


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run_starts(db_path, key: str) -> list[datetime]:
    with closing(connect(db_path)) as db:
        rows = db.execute("SELECT started_at FROM runs WHERE account = ? ORDER BY id", [key])
        return [datetime.fromisoformat(r[0].replace("Z", "+00:00")) for r in rows]


def poll_duty(setup, clock: Clock) -> PollDuty:
    runner = Runner(setup.config, clock=clock)
    return PollDuty(setup.config, lambda key, trigger: runner.run_account(key, trigger="scheduled"),
                    clock=clock)  # fmt: skip


def tick(duty, clock: Clock) -> list:
    """What a daemon tick does with the duty: ask, then run what is due."""
    tasks = duty.due(clock())
    for task in tasks:
        duty.run(task)
    return tasks


def test_a_poll_is_due_when_the_last_run_started_an_interval_ago(fb_setup):
    setup = fb_setup(extra=NO_JITTER)
    clock = Clock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    duty = poll_duty(setup, clock)
    assert [t.accounts for t in tick(duty, clock)] == [("test-fb",)]  # never polled: at once
    clock.now += timedelta(minutes=14, seconds=59)
    assert duty.due(clock()) == []
    clock.now += timedelta(seconds=1)
    assert [t.accounts for t in duty.due(clock())] == [("test-fb",)]


def test_after_downtime_each_account_is_polled_once_not_once_per_missed_interval(fb_setup):
    setup = fb_setup(extra=NO_JITTER)
    clock = Clock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    duty = poll_duty(setup, clock)
    tick(duty, clock)
    clock.now += timedelta(days=3)  # the server was off for three days (288 missed intervals)
    fresh = poll_duty(setup, clock)  # a restarted daemon knows only the database
    assert len(tick(fresh, clock)) == 1
    for _ in range(14):  # the next 14 ticks, a minute apart: nothing more is due
        clock.now += timedelta(minutes=1)
        assert tick(fresh, clock) == []
    assert len(run_starts(setup.config.db_path, "test-fb")) == 2


@pytest.mark.parametrize(
    "change",
    [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 02:00 CET -> 03:00 CEST
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # 03:00 CEST -> 02:00 CET
    ],
)
def test_polls_stay_15_minutes_apart_through_a_dst_change(fb_setup, change):
    setup = fb_setup(extra=NO_JITTER)
    clock = Clock(change - timedelta(hours=1))
    duty = poll_duty(setup, clock)
    while clock.now < change + timedelta(hours=1):  # one tick a minute for two hours
        tick(duty, clock)
        clock.now += timedelta(minutes=1)
    starts = run_starts(setup.config.db_path, "test-fb")
    assert len(starts) == 8
    assert {b - a for a, b in zip(starts, starts[1:], strict=False)} == {timedelta(minutes=15)}


def test_accounts_due_together_are_staggered_and_a_reload_polls_every_account(fb_setup):
    accounts = [{"key": k, "id": "111000111", "token_env": "SOMED_TEST_FB_TOKEN"}
                for k in ("a-fb", "b-fb", "c-fb")]  # fmt: skip
    setup = fb_setup(extra=NO_JITTER, accounts=accounts)
    clock = Clock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    tasks = poll_duty(setup, clock).due(clock())
    assert [t.delay_seconds for t in tasks] == [0, STAGGER_SECONDS, 2 * STAGGER_SECONDS]
    forced = PollDuty(setup.config, print, clock=clock, forced=["a-fb", "b-fb", "c-fb"])
    tasks = forced.due(clock())
    assert {t.trigger for t in tasks} == {"reload"}
    assert {t.trigger for t in forced.due(clock())} == {"reload"}  # until the poll starts
    for task in tasks:
        forced.run(task)
    assert forced.due(clock()) == []  # polled once: due again after its interval


def test_token_checks_run_at_start_then_daily(fb_setup):
    from somed.check import run_checks

    setup = fb_setup()
    clock = Clock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))

    def check(keys):
        with closing(connect(setup.config.db_path)) as db:
            run_checks(setup.config, db, keys, clock=clock)

    duty = TokenCheckDuty(setup.config, check, clock=clock)
    assert [(t.accounts, t.trigger) for t in tick(duty, clock)] == [(("test-fb",), "start")]
    clock.now += timedelta(hours=23, minutes=59)
    assert tick(duty, clock) == []
    clock.now += timedelta(minutes=1)
    assert [(t.accounts, t.trigger) for t in tick(duty, clock)] == [(("test-fb",), "scheduled")]
    restarted = TokenCheckDuty(setup.config, check, clock=clock)
    assert [t.trigger for t in restarted.due(clock())] == ["start"]  # and after every start


def test_the_dispatcher_never_starts_a_second_task_for_an_account_still_at_work(fb_setup):
    """Reloads while a poll runs start no second poll beside it, but one right after it (with
    the reloaded config, not at the next tick), however many reloads came."""
    import threading

    from somed.duties.base import Dispatcher

    setup = fb_setup(extra=NO_JITTER)
    release, started, triggers = threading.Event(), [], []

    def slow_poll(key: str, trigger: str) -> None:
        started.append(key)
        triggers.append(trigger)
        release.wait(10)

    stop = threading.Event()
    dispatcher = Dispatcher(workers=2, stop=stop)
    dispatcher.replace([PollDuty(setup.config, slow_poll, clock=lambda: datetime.now(UTC))])
    try:
        assert len(dispatcher.tick(datetime.now(UTC))) == 1
        for _ in range(5):  # reloads (every account forced) while the first poll still runs
            dispatcher.replace([PollDuty(setup.config, slow_poll, clock=lambda: datetime.now(UTC),
                                         forced=["test-fb"])])  # fmt: skip
            assert dispatcher.tick(datetime.now(UTC)) == []
        assert dispatcher.busy("polls") == ["test-fb"]
        assert started == ["test-fb"]
        release.set()  # the first poll ends: the reload's poll starts at once, without a tick
        deadline = time.monotonic() + 10
        while len(started) < 2:
            assert time.monotonic() < deadline, "the reload's poll did not follow"
            time.sleep(0.01)
        assert triggers == ["scheduled", "reload"]
        assert dispatcher.tick(datetime.now(UTC)) == []  # once, not once per reload
    finally:
        release.set()
        stop.set()
        dispatcher.shutdown()
    assert started == ["test-fb", "test-fb"]


def test_a_closed_account_is_neither_polled_nor_captured(fb_setup):
    from somed.daemon import prepare_archive
    from somed.duties.captures import CaptureDuty
    from storage.register import close_account

    setup = fb_setup(extra=NO_JITTER)
    clock = Clock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    duty = poll_duty(setup, clock)
    captures = CaptureDuty(setup.config, lambda requests: [], clock=clock)
    assert [t.accounts for t in tick(duty, clock)] == [("test-fb",)]
    assert captures.due(clock())  # the window has no snapshot yet
    prepare_archive(setup.config)  # the register rows, as the daemon writes them at start
    with closing(connect(setup.config.db_path)) as db:
        close_account(db, "test-fb", now="2026-05-04T08:05:00Z", actor="test", reason="nedlagt",
                      details={})  # fmt: skip
    clock.now += timedelta(days=3)
    assert duty.due(clock()) == [] and captures.due(clock()) == []
