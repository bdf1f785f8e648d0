"""Duties and the dispatcher the daemon's tick drives.

A duty answers "is anything due, and for whom?" from what the database says was done
(`due(now) -> list[Task]`) and does one piece of it (`run(task)`). The daemon asks every duty at
each tick; a task starts in its duty's lane (a shared pool for polls and checks, a lane of its
own for work that must not hold the pool up, like a batch of captures), at most one task per
duty and account at a time, so asking often is safe: it is how a server that was down catches up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger("somed.duties")

POOL = "pool"  # the lane tasks share unless their duty has its own


@dataclass(frozen=True)
class Task:
    """One piece of due work: which duty, for which accounts, why, and how much later to start."""

    duty: str
    accounts: tuple[str, ...] = ()  # (): the duty as a whole
    trigger: str = "scheduled"  # scheduled | retry | profile_change | start | reload
    delay_seconds: float = 0.0  # staggering: start this long after the tick
    why: dict[str, str] = field(default_factory=dict, compare=False)  # per account, if it differs

    def trigger_of(self, account: str) -> str:
        """Why this account is in the task."""
        return self.why.get(account, self.trigger)


class Every:
    """A duty's own rhythm: due at the first ask (or `period` after `last`), then every `period`."""

    def __init__(self, period: timedelta, last: datetime | None = None) -> None:
        self.period = period
        self.last = last

    def due(self, now: datetime) -> bool:
        """True (and the clock restarted at `now`) when a period has passed since the last time."""
        if self.last is not None and now < self.last + self.period:
            return False
        self.last = now
        return True


class Duty(Protocol):
    """A periodic duty: `name`, its `lane`, what is due now, and how to do one task of it."""

    name: str
    lane: str

    def due(self, now: datetime) -> list[Task]:
        """The tasks due at `now`, from what the database says was done."""
        ...

    def run(self, task: Task) -> None:
        """Do one task; log failures, never raise for an account's trouble."""
        ...


class Dispatcher:
    """Asks the duties at each tick and runs their due tasks, never two for one account at once."""

    def __init__(self, *, workers: int, stop: threading.Event) -> None:
        self.stop = stop
        self.duties: list[Duty] = []
        self._lanes: dict[str, ThreadPoolExecutor] = {
            POOL: ThreadPoolExecutor(max_workers=workers, thread_name_prefix="duty")
        }
        self._busy: set[tuple[str, str]] = set()  # (duty, account or "") queued or running
        self._lock = threading.Lock()

    def replace(self, duties: Sequence[Duty]) -> None:
        """Use these duties from the next tick on (after a reload); running tasks go on."""
        self.duties = list(duties)

    def tick(self, now: datetime) -> list[Task]:
        """Ask every duty what is due and start it; return the tasks started."""
        started: list[Task] = []
        for duty in list(self.duties):
            if self.stop.is_set():
                break
            started += self._start(duty, self._due(duty, now))
        return started

    def _due(self, duty: Duty, now: datetime) -> list[Task]:
        try:
            return duty.due(now)
        except Exception as exc:  # the archive is busy or broken: say so, ask again next tick
            log.warning("duty %s: cannot tell what is due: %s: %s", duty.name,
                        type(exc).__name__, " ".join(str(exc).split()),
                        extra={"event": "duty_unreadable", "duty": duty.name})  # fmt: skip
            return []

    def _start(self, duty: Duty, tasks: Sequence[Task]) -> list[Task]:
        started: list[Task] = []
        for task in tasks:
            if self._claim(task):
                self._lane(duty.lane).submit(self._run, duty, task)
                started.append(task)
        return started

    def _ask_again(self, finished: Task) -> None:
        """After a task, ask its duty at once when it still owes those accounts a task (a
        reload's poll that found the account's last poll running), not only at the next tick."""
        for duty in list(self.duties):
            owed = getattr(duty, "owed", None)  # optional: only duties that can owe define it
            if duty.name == finished.duty and owed is not None and owed(finished.accounts):
                self._start(duty, self._due(duty, datetime.now(UTC)))

    def ask_now(self, name: str) -> list[Task]:
        """Ask the duty `name` at once, not at its next turn (a run just stored items it owes
        work for); a duty already busy is asked again at the next tick."""
        for duty in list(self.duties):
            if duty.name != name:
                continue
            wake = getattr(duty, "wake", None)  # optional: a duty with a rhythm of its own
            if wake is not None:
                wake()
            started = self._start(duty, self._due(duty, datetime.now(UTC)))
            if not started and wake is not None:
                wake()
            return started
        return []

    def busy(self, duty: str | None = None) -> list[str]:
        """The accounts with a task queued or running (of one duty, or of any)."""
        with self._lock:
            return sorted({a for d, a in self._busy if a and (duty is None or d == duty)})

    def shutdown(self) -> None:
        """Start nothing more; drop tasks still queued (running ones see the stop event)."""
        for lane in self._lanes.values():
            lane.shutdown(wait=False, cancel_futures=True)

    def _lane(self, name: str) -> ThreadPoolExecutor:
        with self._lock:  # asked from the scheduler's tick and from a lane (`ask_now`)
            if name not in self._lanes:
                self._lanes[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
            return self._lanes[name]

    def _keys(self, task: Task) -> set[tuple[str, str]]:
        return {(task.duty, a) for a in task.accounts} or {(task.duty, "")}

    def _claim(self, task: Task) -> bool:
        keys = self._keys(task)
        with self._lock:
            if keys & self._busy:
                return False  # still queued or running from an earlier tick
            self._busy |= keys
        return True

    def _run(self, duty: Duty, task: Task) -> None:
        try:
            if task.delay_seconds > 0 and self.stop.wait(task.delay_seconds):
                return
            if not self.stop.is_set():
                duty.run(task)
        except Exception as exc:  # a duty's own bug: contained to its task, logged in one line
            log.error("duty %s: task for %s failed: %s: %s", duty.name,
                      ",".join(task.accounts) or "all", type(exc).__name__,
                      " ".join(str(exc).split()),
                      extra={"event": "duty_failed", "duty": duty.name})  # fmt: skip
            log.debug("duty %s failed", duty.name, exc_info=True)
        finally:
            with self._lock:
                self._busy -= self._keys(task)
        if not self.stop.is_set():
            self._ask_again(task)


Clock = Callable[[], datetime]
