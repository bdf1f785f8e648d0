"""Polling intervals stay even across the Swedish DST changes (schedules run in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from somed.scheduler import Scheduler


@pytest.mark.parametrize(
    "change",
    [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 02:00 CET -> 03:00 CEST (last Sunday of March)
        datetime(
            2026, 10, 25, 0, 30, tzinfo=UTC
        ),  # 03:00 CEST -> 02:00 CET (last Sunday of October)
    ],
)
def test_interval_jobs_fire_every_15_minutes_through_a_dst_change(change):
    scheduler = Scheduler(workers=1, misfire_grace_seconds=3600)
    scheduler.every("poll:x", print, minutes=15, jitter_seconds=0, first_run=change)
    trigger = scheduler._scheduler.get_job("poll:x").trigger
    fire, times = change, [change]
    for _ in range(12):  # three hours across the change
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        times.append(fire)
    steps = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert steps == {timedelta(minutes=15)}


def test_job_defaults_keep_late_runs_and_never_overlap():
    scheduler = Scheduler(workers=2, misfire_grace_seconds=1800)
    scheduler.every("poll:x", print, minutes=15, jitter_seconds=30)
    scheduler._scheduler.start(paused=True)  # defaults are applied when the job store takes it
    try:
        job = scheduler._scheduler.get_job("poll:x")
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 1800
    finally:
        scheduler.shutdown()
