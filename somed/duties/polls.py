"""The archive polls and the token checks as duties: due from the runs and checks stored."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from datetime import datetime, timedelta

from connectors.model import utc_iso
from somed.config import AccountConfig, Config
from somed.duties.base import POOL, Clock, Task
from storage import duty_state
from storage.db import connect
from storage.register import closed_accounts

STAGGER_SECONDS = 5.0  # accounts due at the same tick start this far apart, so nothing bursts
TOKEN_CHECK_EVERY = timedelta(days=1)


def _jitter(key: str, since: datetime, seconds: int) -> timedelta:
    """A stable pseudo-random delay of up to `seconds` for this account's next poll."""
    if seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{key}\0{utc_iso(since)}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:4], "big") % (seconds + 1))


def _newest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


class PollDuty:
    """Archive polls: an account is due when its last run started longer ago than its interval."""

    name = "polls"
    lane = POOL

    def __init__(self, config: Config, run_poll: Callable[[str, str], None], *, clock: Clock,
                 forced: Iterable[str] = ()) -> None:  # fmt: skip
        self.config = config
        self.run_poll = run_poll
        self.clock = clock
        # polled whatever the database says (a reload), once each: kept until the poll starts,
        # so a reload while the account's previous poll still runs polls it again after that one
        self.forced = set(forced)
        self.attempted: dict[str, datetime] = {}  # polls that may have left no run (not started)

    def due(self, now: datetime) -> list[Task]:
        """One task per due account, staggered; closed accounts are never due."""
        with closing(connect(self.config.db_path)) as db:
            starts = duty_state.last_run_starts(db)
            closed = closed_accounts(db)
        tasks: list[Task] = []
        for account in self.config.enabled_accounts():
            key = account.key
            if key in closed:
                continue
            last = _newest(starts.get(key), self.attempted.get(key))
            if key not in self.forced and last is not None and now < self._next(account, last):
                continue
            trigger = "reload" if key in self.forced else "scheduled"
            tasks.append(Task(self.name, (key,), trigger, len(tasks) * STAGGER_SECONDS))
        return tasks

    def owed(self, accounts: Iterable[str]) -> bool:
        """True when one of `accounts` has a reload's poll still to come (its last one ran on)."""
        return bool(self.forced.intersection(accounts))

    def _next(self, account: AccountConfig, last: datetime) -> datetime:
        """When an account whose last run started at `last` is due again."""
        jitter = _jitter(account.key, last, self.config.daemon.jitter_seconds)
        return last + timedelta(minutes=account.interval_minutes) + jitter

    def run(self, task: Task) -> None:
        """Poll the task's account with the task's trigger (the daemon's poll: pacing, health)."""
        for key in task.accounts:
            self.forced.discard(key)
            self.attempted[key] = self.clock()
            self.run_poll(key, task.trigger)


class TokenCheckDuty:
    """Token checks: every enabled account at start (and after a reload), then daily."""

    name = "token_checks"
    lane = POOL

    def __init__(self, config: Config, check: Callable[[Sequence[str]], None], *, clock: Clock,
                 at_start: bool = True) -> None:  # fmt: skip
        self.config = config
        self.check = check
        self.clock = clock
        self.at_start = at_start
        self.attempted: dict[str, datetime] = {}

    def due(self, now: datetime) -> list[Task]:
        """One task for every account whose token was not checked in the last day."""
        accounts = self.config.enabled_accounts()
        with closing(connect(self.config.db_path)) as db:
            checked = duty_state.last_token_checks(db)
            closed = closed_accounts(db)
        keys = []
        for account in accounts:
            last = _newest(checked.get(account.key), self.attempted.get(account.key))
            if account.key in closed:
                continue
            if self.at_start or last is None or last + TOKEN_CHECK_EVERY <= now:
                keys.append(account.key)
        if not keys:
            return []
        # at start, after the first polls have begun (they are staggered STAGGER_SECONDS apart)
        delay = len(accounts) * STAGGER_SECONDS if self.at_start else 0.0
        trigger = "start" if self.at_start else "scheduled"
        self.at_start = False
        return [Task(self.name, tuple(keys), trigger, delay)]

    def run(self, task: Task) -> None:
        """Check the task's accounts' tokens and store the results."""
        now = self.clock()
        for key in task.accounts:
            self.attempted[key] = now
        self.check(task.accounts)
