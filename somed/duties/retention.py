"""Disposal as a duty: once a day, plan and apply the retention rules, only with `auto_apply`.

Without `[retention] auto_apply = true` the daemon never disposes of anything: people run
`somed retention plan` and `apply` themselves. With it, the duty computes the plan and applies
that same plan at once as actor `somed` (the audit log says so); a hold still wins. The last
run is remembered in the audit log (`disposal_applied` by somed) and in the process, so a
restart does not dispose twice a day.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import datetime, timedelta

from connectors.model import parse_utc
from somed.config import Config
from somed.duties.base import POOL, Clock, Every, Task
from somed.retention.apply import apply_plan
from somed.retention.plan import plan_from_archive
from storage.db import connect

log = logging.getLogger("somed.duties")

RETENTION_EVERY = timedelta(days=1)
ACTOR = "somed"


class RetentionDuty:
    """Plan and apply the retention rules once a day when `auto_apply` is on."""

    name = "retention"
    lane = POOL

    def __init__(self, config: Config, *, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.every: Every | None = None  # started from the last automatic disposal

    def due(self, now: datetime) -> list[Task]:
        """One task a day, and none at all without `auto_apply` or rules."""
        retention = self.config.retention
        if not retention.auto_apply or not retention.rules:
            return []
        if self.every is None:
            with closing(connect(self.config.db_path)) as db:
                row = db.execute("SELECT max(at) FROM audit_log WHERE action = 'disposal_applied'"
                                 " AND actor = ?", [ACTOR]).fetchone()  # fmt: skip
            self.every = Every(RETENTION_EVERY, parse_utc(row[0]) if row and row[0] else None)
        if not self.every.due(now):
            return []
        return [Task(self.name, trigger="scheduled")]

    def run(self, task: Task) -> None:
        """Plan, then apply that plan; log what went."""
        now = self.clock()
        retention = self.config.retention
        with closing(connect(self.config.db_path)) as db:
            plan = plan_from_archive(db, retention, now, with_bytes=False)
            if not plan.disposals:
                log.info("retention: nothing to dispose of (%d held)", plan.held,
                         extra={"event": "retention_run"})  # fmt: skip
                return
            done = apply_plan(db, retention, plan.id, by=ACTOR, now=now,
                              storage_root=self.config.storage_dir)  # fmt: skip
        log.info("retention: disposed of %d items by plan %s, %d files removed, %d held",
                 done.disposed, done.plan.id, done.files_removed, plan.held,
                 extra={"event": "retention_run"})  # fmt: skip
