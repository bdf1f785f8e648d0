"""The only module that knows APScheduler (3.x), so a later move to 4.x stays in one file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger


class Scheduler:
    """Interval jobs in a thread pool: coalesced, one instance each, generous misfire grace."""

    def __init__(self, *, workers: int, misfire_grace_seconds: int) -> None:
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": misfire_grace_seconds,
            },
            timezone=UTC,  # store and compute in UTC; people see Europe/Stockholm elsewhere
        )

    def every(
        self,
        job_id: str,
        func: Callable[..., Any],
        *,
        minutes: int = 0,
        seconds: int = 0,
        jitter_seconds: int = 0,
        first_run: datetime | None = None,
        args: tuple[Any, ...] = (),
    ) -> None:
        """Run `func(*args)` every `minutes` + `seconds`, starting at `first_run` (default: now)."""
        trigger = IntervalTrigger(
            minutes=minutes, seconds=seconds, jitter=jitter_seconds or None, timezone=UTC
        )
        self._scheduler.add_job(
            func,
            trigger,
            id=job_id,
            args=args,
            replace_existing=True,
            next_run_time=first_run or datetime.now(UTC),
        )

    def remove_all(self) -> None:
        """Drop every job (before adding the jobs of a reloaded config)."""
        self._scheduler.remove_all_jobs()

    def next_run(self, job_id: str) -> datetime | None:
        """Return when a job runs next, if it is scheduled."""
        job = self._scheduler.get_job(job_id)
        return job.next_run_time if job else None

    def start(self) -> None:
        """Start the scheduler thread."""
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop starting jobs; running ones are told to stop by the daemon's stop event."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
