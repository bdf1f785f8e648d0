"""`snapshot_missing`: no valid capture of the account in the current half-year window (R7).

The windows are `[capture] windows` (default from 1 March and from 1 October, Swedish time);
an account is flagged once the window's grace period (`[capture] grace_days`, counted from the
window's start, or from when the account entered the register if that was later) is over
without a capture of verdict `valid` started in the window. Invalid captures (a login wall, an
error page) are kept as evidence and never count. A valid capture resolves the flag; while a
new window's grace period runs, a flag of the window before stays as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from connectors.model import parse_utc
from somed.config import AccountConfig, Config
from somed.duties.windows import current_window, grace_end
from somed.monitors.model import Finding, opened, resolved
from storage import evidence
from storage.captures import latest_capture

FLAGS = ("snapshot_missing",)


def check(db: Database, config: Config, account: AccountConfig, now: datetime) -> list[Finding]:
    """The `snapshot_missing` finding on one account."""
    windows = config.capture.windows
    grace = config.capture.grace_days
    window = current_window(now, windows)
    if latest_capture(db, account.key, verdict="valid", since=window.start) is not None:
        return [resolved("snapshot_missing")]
    due = grace_end(window, grace)
    added = parse_utc(evidence.account_added_at(db, account.key))
    if added is not None and added > window.start:
        due = max(due, added + timedelta(days=grace))
    if now < due:
        return []
    return [opened("snapshot_missing", "monitor.snapshot_missing", window=window.label,
                   grace_days=grace)]  # fmt: skip
