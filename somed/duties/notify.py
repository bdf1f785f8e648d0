"""The daily digest as a duty: due once a day from `[notify] digest_at` (Stockholm time).

Due when mail is set up (`smtp_host`), the local time is past `digest_at`, and some recipient
has no digest of the day in the `digests` table (sent, or with nothing to say): so a server that
was down at `digest_at` sends the day's digest once when it is back, and never a second one.
A failed send is tried again after `somed.notify.send.RETRY_AFTER`, until the day ends.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import datetime

from somed.config import Config
from somed.display import LOCAL_TZ
from somed.duties.base import POOL, Clock, Task
from somed.notify.digest import local_day, recipients
from somed.notify.send import RETRY_AFTER, send_digests
from storage import digests
from storage.db import connect
from storage.register import closed_accounts

log = logging.getLogger("somed.duties")


class NotifyDuty:
    """Send the day's digests once, at `digest_at` or as soon after it as the daemon runs."""

    name = "notify"
    lane = POOL

    def __init__(self, config: Config, *, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def due(self, now: datetime) -> list[Task]:
        """One task when it is past `digest_at` and a recipient's digest of today is not done."""
        notify = self.config.notify
        if not notify.smtp_host or now.astimezone(LOCAL_TZ).time() < notify.digest_time:
            return []
        day = local_day(now)
        with closing(connect(self.config.db_path)) as db:
            done = digests.done_on(db, day)
            for address in recipients(self.config, closed_accounts(db)):
                failed = digests.last_failure(db, address, day)
                if address not in done and (failed is None or now >= failed + RETRY_AFTER):
                    return [Task(self.name, trigger="scheduled")]
        return []

    def run(self, task: Task) -> None:
        """Send the digests not done today; log what went and what failed."""
        with closing(connect(self.config.db_path)) as db:
            report = send_digests(db, self.config, self.clock(), due_only=True)
        log.info("digests: %d sent, %d with nothing to say, %d failed", len(report.sent),
                 len(report.empty), len(report.failed), extra={"event": "digests_run"})  # fmt: skip
