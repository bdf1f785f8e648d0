"""Monitors: checks on each account that open and resolve flags in the archive's flags table.

Each monitor is one module with `FLAGS` (the flag names it decides) and
`check(db, config, account, now) -> list[Finding]`. A finding opens a flag (with its reason code
and params) or resolves it; a flag a monitor says nothing about (no evidence either way) is left
as it is. `run_monitors` applies the findings through `storage.flags`, so a flag keeps the moment
it was opened, and running the monitors again changes nothing unless something changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from somed.config import Config
from somed.monitors import activity, cadence, response, sender, snapshot
from somed.monitors.model import Finding
from storage import flags as flag_store
from storage.register import closed_accounts

log = logging.getLogger("somed.monitors")

__all__ = ["MONITORS", "MONITOR_FLAGS", "Finding", "MonitorReport", "run_monitors"]

MONITORS: tuple[Any, ...] = (activity, sender, snapshot, cadence, response)
MONITOR_FLAGS: tuple[str, ...] = tuple(name for m in MONITORS for name in m.FLAGS)


@dataclass
class MonitorReport:
    """What one round of the monitors did: flags opened and resolved, monitors that failed."""

    opened: list[tuple[str, str]] = field(default_factory=list)  # (account, flag)
    # (account, flag): an item-level flag (`unanswered`) is listed once per item
    resolved: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (account, monitor, error)
    checked: int = 0  # accounts checked


def run_monitors(db: Database, config: Config, now: datetime) -> MonitorReport:
    """Run every monitor on every enabled, open account; a closed or disabled one's flags end."""
    report = MonitorReport()
    closed = closed_accounts(db)
    open_before = {_key(f["account"], f["flag"], f) for f in flag_store.open_flags(db)}
    for account in config.accounts:
        if not account.enabled or account.key in closed or account.status == "closed":
            for name in MONITOR_FLAGS:  # nothing to watch any more: the flags no longer apply
                if flag_store.resolve_flag(db, account.key, name, now=now):
                    report.resolved.append((account.key, name))
            for found in flag_store.open_flags(db, account.key):  # and the items' flags
                if found["flag"] in MONITOR_FLAGS and found["item_id"] is not None:
                    item = (found["platform"], found["item_id"])
                    if flag_store.resolve_flag(db, account.key, found["flag"], item=item, now=now):
                        report.resolved.append((account.key, found["flag"]))
            continue
        report.checked += 1
        for monitor in MONITORS:
            try:
                findings = monitor.check(db, config, account, now)
            except Exception as exc:  # one monitor's trouble never stops the others
                error = f"{type(exc).__name__}: {exc}"
                report.failed.append((account.key, monitor.__name__.rsplit(".", 1)[-1], error))
                log.error("%s: monitor %s failed: %s", account.key, monitor.__name__, error,
                          extra={"account": account.key, "event": "monitor_failed"})  # fmt: skip
                continue
            for finding in findings:
                _apply(db, account.key, finding, now, open_before, report)
    return report


def _key(account: str, flag: str, row: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """A flag's identity: account, name and (for an item-level flag) the item."""
    return account, flag, row.get("platform"), row.get("item_id")


def _apply(
    db: Database,
    key: str,
    finding: Finding,
    now: datetime,
    open_before: set[tuple[str, str, str | None, str | None]],
    report: MonitorReport,
) -> None:
    """Open or resolve the finding's flag, noting a change in the report (and the log)."""
    item = finding.item
    where = f" on {item[0]}:{item[1]}" if item else ""
    extra: dict[str, Any] = {"account": key, "flag": finding.flag}
    if item:
        extra["item"] = f"{item[0]}:{item[1]}"
    if finding.open:
        flag_store.open_flag(
            db, key, finding.flag, reason=finding.reason or "monitor", params=finding.params,
            item=item, now=now,
        )  # fmt: skip
        identity = (key, finding.flag, item[0] if item else None, item[1] if item else None)
        if identity not in open_before:
            open_before.add(identity)
            report.opened.append((key, finding.flag))
            log.info("%s: flag %s opened%s (%s)", key, finding.flag, where, finding.reason,
                     extra={**extra, "event": "flag_opened"})  # fmt: skip
    elif flag_store.resolve_flag(db, key, finding.flag, item=item, now=now):
        if item:
            open_before.discard((key, finding.flag, item[0], item[1]))
        report.resolved.append((key, finding.flag))
        log.info("%s: flag %s resolved%s", key, finding.flag, where,
                 extra={**extra, "event": "flag_resolved"})  # fmt: skip
