"""Moderation as a duty: check incoming items no run has checked (at start, then often).

In the daemon, each run that stored items wakes this duty (`Dispatcher.ask_now`), so its items
are checked in the moderation lane right after it, while the next poll goes on; the CLI's runs
check their own items at their end instead. The duty also finds whatever is left (an archive
from before moderation existed, a run's leftovers beyond a task's limit, a check that failed)
from the `moderated` table, so a server that was down catches up.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import datetime, timedelta

from somed.config import Config
from somed.duties.base import Clock, Every, Task
from somed.moderation.scan import Scanner
from storage import moderated
from storage.db import connect

log = logging.getLogger("somed.duties")

CHECK_EVERY = timedelta(minutes=10)
TASK_LIMIT = 50_000  # items one task checks; the next tick goes on


class ModerationDuty:
    """One task whenever incoming items wait to be checked (asked at most every 10 minutes)."""

    name = "moderation"
    lane = "moderation"  # a lane of its own: a long catch-up must not hold the polls up

    def __init__(self, config: Config, *, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.every = Every(CHECK_EVERY)

    def wake(self) -> None:
        """Be due at the next ask (the daemon's run just stored items), not in 10 minutes."""
        self.every.last = None

    def due(self, now: datetime) -> list[Task]:
        """A task when moderation is on and the archive has unchecked incoming items."""
        if not self.config.moderation.enabled:
            return []
        if not self.every.due(now):
            return []
        with closing(connect(self.config.db_path)) as db:
            waiting = moderated.pending(db, limit=1)
        return [Task(self.name, trigger="scheduled")] if waiting else []

    def run(self, task: Task) -> None:
        """Check up to TASK_LIMIT waiting items; log what was flagged."""
        with closing(connect(self.config.db_path)) as db:
            report = Scanner(self.config, db, clock=self.clock).scan(limit=TASK_LIMIT)
        log.info("moderation: %d items checked, flags %s, %d preserved", report.checked,
                 report.flagged or "none", report.preserved,
                 extra={"event": "moderation_checked"})  # fmt: skip
