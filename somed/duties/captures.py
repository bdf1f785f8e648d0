"""The half-yearly captures (snapshots) as a duty: due from the `captures` table.

An account is due when the current window has no valid capture of its public page, or when its
profile item (name, description, picture, link) got a new version after its last valid capture.
After an invalid or failed try, the next waits `[capture] retry_minutes`, doubling with every
further failure (capped at `retry_max_minutes`). Closed and disabled accounts are never due,
nor accounts whose platform cannot be captured. All accounts due at one tick are one task: one
batch, one browser, in the duty's own lane so the polls go on meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import datetime, timedelta
from typing import Any

from connectors.model import parse_utc, utc_iso
from connectors.registry import connector_class
from somed.config import AccountConfig, Config
from somed.duties.base import Clock, Task
from somed.duties.windows import Window, current_window
from storage import duty_state
from storage.captures import captures_of
from storage.db import connect
from storage.register import closed_accounts

log = logging.getLogger("somed.duties")

Capture = Callable[[Sequence[Any]], Sequence[Any]]  # capture_accounts bound to the config


def capturable(account: AccountConfig) -> bool:
    """True when the account's connector says how its public page is captured."""
    try:
        return getattr(connector_class(account.platform), "capture_hints", None) is not None
    except KeyError:
        return False


def retry_wait(config: Config, failures: int) -> timedelta:
    """How long after the `failures`-th failed try in a row the next one is due."""
    settings = config.capture
    minutes = min(settings.retry_minutes * 2 ** max(failures - 1, 0), settings.retry_max_minutes)
    return timedelta(minutes=minutes)


def why_due(db: Any, config: Config, key: str, window: Window, now: datetime) -> str | None:
    """Why the account needs a capture now (scheduled, profile_change, retry), or None."""
    rows = [c for c in captures_of(db, key, since=window.start) if c["kind"] == "account"]
    valid = [c for c in rows if c["verdict"] == "valid"]
    if not valid:
        since, reason = window.start, "scheduled"
    else:
        changed = duty_state.profile_changed_at(db, key, valid[-1]["started_at"])
        if changed is None:
            return None
        since, reason = parse_utc(changed), "profile_change"
    assert since is not None
    failures = [c for c in rows if c["verdict"] != "valid" and parse_utc(c["started_at"]) >= since]
    if not failures:
        return reason
    last = parse_utc(failures[-1]["started_at"])
    assert last is not None
    return "retry" if now >= last + retry_wait(config, len(failures)) else None


class CaptureDuty:
    """Half-yearly captures, their retries and the extra capture after a profile change."""

    name = "captures"
    lane = "captures"  # its own lane: a batch takes minutes, polls must not wait for it

    def __init__(self, config: Config, capture: Capture, *, clock: Clock) -> None:
        self.config = config
        self.capture = capture
        self.clock = clock
        self.crashed: dict[str, tuple[datetime, int]] = {}  # batches that left no row at all

    def due(self, now: datetime) -> list[Task]:
        """One task holding every account due now (empty when `[capture] enabled = false`)."""
        if not self.config.capture.enabled:
            return []
        window = current_window(now, self.config.capture.windows)
        why: dict[str, str] = {}
        with closing(connect(self.config.db_path)) as db:
            closed = closed_accounts(db)
            for account in self.config.enabled_accounts():
                if account.key in closed or not capturable(account):
                    continue
                crashed = self.crashed.get(account.key)
                if crashed and now < crashed[0] + retry_wait(self.config, crashed[1]):
                    continue
                reason = why_due(db, self.config, account.key, window, now)
                if reason is not None:
                    why[account.key] = reason
        if not why:
            return []
        return [Task(self.name, tuple(why), "scheduled", why=why)]

    def run(self, task: Task) -> None:
        """Capture the task's accounts in one batch (one browser)."""
        from somed.capture import CaptureRequest

        requests = [CaptureRequest(key, trigger=task.trigger_of(key)) for key in task.accounts]
        started = self.clock()
        try:
            self.capture(requests)
        except Exception as exc:  # the batch could not even start: try again after a wait
            for key in task.accounts:
                tries = self.crashed.get(key, (started, 0))[1] + 1
                self.crashed[key] = (started, tries)
            log.error("captures of %s could not run: %s: %s (next try after %s)",
                      ",".join(task.accounts), type(exc).__name__, " ".join(str(exc).split()),
                      utc_iso(started + retry_wait(self.config, 1)),
                      extra={"event": "capture_batch_failed"})  # fmt: skip
        else:
            for key in task.accounts:
                self.crashed.pop(key, None)
