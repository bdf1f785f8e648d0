"""The monitors as a duty: every account's flags checked at start, then hourly.

The monitors themselves (`somed.monitors.run_monitors`) open and resolve flags idempotently from
what the archive holds, so running them again changes nothing unless something changed; this
duty only decides when.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import datetime, timedelta

from somed.config import Config
from somed.duties.base import POOL, Clock, Every, Task
from somed.monitors import run_monitors
from storage.db import connect

log = logging.getLogger("somed.duties")

MONITOR_EVERY = timedelta(hours=1)


class MonitorDuty:
    """Run the monitors at start (and after a reload), then every hour."""

    name = "monitors"
    lane = POOL

    def __init__(self, config: Config, *, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.every = Every(MONITOR_EVERY)

    def due(self, now: datetime) -> list[Task]:
        """One task when the monitors have not run in the last hour (in this process)."""
        if not self.every.due(now):
            return []
        return [Task(self.name, trigger="scheduled")]

    def run(self, task: Task) -> None:
        """Run every monitor on every account; log what opened and resolved."""
        with closing(connect(self.config.db_path)) as db:
            report = run_monitors(db, self.config, self.clock())
        log.info("monitors: %d accounts checked, %d flags opened, %d resolved",
                 report.checked, len(report.opened), len(report.resolved),
                 extra={"event": "monitors_run"})  # fmt: skip
