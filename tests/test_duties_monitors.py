"""The monitors duty: at start, then hourly; it runs the register's monitors on the archive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from somed.duties.monitors import MonitorDuty


def test_monitors_run_at_start_then_hourly_on_the_real_archive(fb_setup):
    from somed.runner import Runner

    setup = fb_setup()
    assert Runner(setup.config).run_account("test-fb").status == "ok"
    now = datetime.now(UTC)
    duty = MonitorDuty(setup.config, clock=lambda: now)
    tasks = duty.due(now)
    assert len(tasks) == 1
    duty.run(tasks[0])  # the monitors' flags are theirs to test; here: it runs, never raises
    assert duty.due(now + timedelta(minutes=59)) == []
    assert len(duty.due(now + timedelta(hours=1))) == 1
