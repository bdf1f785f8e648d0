"""`somed status`: each account's health, last run, archive and token, in plain words.

Besides the table, `status` is a monitoring probe: `account_status` gives every account the same
keys at every moment (before the first run too), an assessed `state` with its `problems` and
`warnings`, and `exit_code` is 0 only when every enabled account is healthy. See
docs/operations.md "Monitoring".
"""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from sqlite_utils import Database

from connectors.model import KINDS, parse_utc, utc_iso
from somed.config import AccountConfig, Config
from somed.display import local_time, render_table, token_place
from somed.i18n import Translator
from somed.reasons import rejected_token, render, stream_name
from somed.run_requests import daemon_running
from storage import queries
from storage.db import connect_readonly
from storage.flags import open_flags
from storage.token_checks import empty_check, latest_checks

# the keys of `last_run`, always all present (null before the first run)
RUN_KEYS = (
    "id", "trigger", "status", "started_at", "finished_at", "duration_seconds", "new", "changed",
    "deleted", "requests", "retries", "quarantined", "message", "reason", "reason_params",
    "cost_units",
)  # fmt: skip
HEALTH_KEYS = ("status", "message", "since", "reason", "reason_params")
STREAM_KEYS = ("stream", "status", "message", "reason", "reason_params", "updated_at", "last_ok_at")
# problems make `status` exit 1; the first one present names the account's state
PROBLEMS = (
    "auth_failed", "token_expired", "failing", "quarantining", "overdue", "never_run",
    "snapshot_missing",
)  # fmt: skip
# warnings are shown, and do not change the exit code
WARNINGS = (
    "token_expiring", "data_access_expiring", "permissions_missing", "check_failed", "inactive",
    "sender_missing", "unhealthy",
)  # fmt: skip
# open flags that are a problem of the service (somed did not do its duty): exit 1; the other
# flags are the communicators' business (the account's use, not the archive): warnings
FLAG_PROBLEMS = ("snapshot_missing",)
FLAG_KEYS = ("id", "flag", "reason", "params", "created_at", "platform", "item_id")
OVERDUE_INTERVALS = 3  # no successful run within three intervals: overdue


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def account_status(
    config: Config, db: Database | None = None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Every configured account with what the archive `db` knows about it (JSON-ready).

    Without `db`, the archive is opened here if it exists.
    """
    if db is None and config.db_path.exists():
        with closing(connect_readonly(config.db_path)) as own:
            return account_status(config, own, now=now)
    now = now or utc_now()
    known: dict[str, dict[str, Any]] = {}
    checks: dict[str, dict[str, Any]] = {}
    quarantined: dict[str, int] = {}
    flags: dict[str, list[dict[str, Any]]] = {}
    if db is not None:
        for flag in open_flags(db):
            flags.setdefault(flag["account"], []).append(_fixed(FLAG_KEYS, flag))
        known = {row["key"]: row for row in queries.account_overview(db)}
        checks = latest_checks(db)
        quarantined = {key: queries.quarantined_count(db, key) for key in known}
    rows = []
    for account in config.accounts:
        row = _shaped(account, known.get(account.key) or {})
        row["quarantined"] = quarantined.get(account.key, 0)
        row["token"] = checks.get(account.key) or empty_check()
        row["flags"] = flags.get(account.key, [])
        assess(row, account, now, config.monitoring.token_warning_days)
        rows.append(row)
    return rows


def _shaped(account: AccountConfig, found: dict[str, Any]) -> dict[str, Any]:
    """The account's row with every key present, whatever the archive knows (or not) yet."""
    health = found.get("health") or {}
    run = found.get("last_run")
    return {
        "key": account.key,
        "platform": account.platform,
        "platform_id": account.id,
        "enabled": account.enabled,
        "interval_minutes": account.interval_minutes,
        "token_source": token_place(account),
        "health": _fixed(HEALTH_KEYS, health),
        "last_ok_at": found.get("last_ok_at"),
        "last_run": _fixed(RUN_KEYS, run or {}),
        "items": {kind: 0 for kind in KINDS} | dict(found.get("items") or {}),
        "item_total": found.get("item_total") or 0,
        "deleted": found.get("deleted") or 0,
        "newest_own_post_at": found.get("newest_own_post_at"),
        "media_missing": found.get("media_missing") or 0,
        "streams": [_fixed(STREAM_KEYS, s) for s in found.get("streams") or []],
    }


def _fixed(keys: tuple[str, ...], found: dict[str, Any]) -> dict[str, Any]:
    """Exactly `keys`, from `found` where it has them (reason params are always an object)."""
    row = {key: found.get(key) for key in keys}
    if "reason_params" in row:
        row["reason_params"] = row["reason_params"] or {}
    return row


def assess(row: dict[str, Any], account: AccountConfig, now: datetime, warning_days: int) -> None:
    """Set the row's `state`, `problems`, `warnings` and `overdue_at` (when it becomes overdue)."""
    problems: set[str] = set()
    warnings: set[str] = set()
    health = row["health"]["status"]
    last_ok = parse_utc(row["last_ok_at"])
    limit = timedelta(minutes=OVERDUE_INTERVALS * account.interval_minutes)
    row["overdue_at"] = utc_iso(last_ok + limit) if last_ok else None
    if health == "auth_failed":
        problems.add("auth_failed")
    elif health == "failing":
        problems.add("failing")
    if row["quarantined"]:
        problems.add("quarantining")
    if health is None and last_ok is None:
        problems.add("never_run")
    elif last_ok is None or now - last_ok > limit:
        problems.add("overdue")
    token = row["token"]
    if token["status"] == "auth_failed":
        problems.add("auth_failed")
    elif token["status"] == "failed":
        warnings.add("check_failed")
    for field, expired, soon in (
        ("expires_at", "token_expired", "token_expiring"),
        ("data_access_expires_at", "token_expired", "data_access_expiring"),
    ):
        moment = parse_utc(token[field])
        if moment is not None and moment <= now:
            problems.add(expired)
        elif moment is not None and moment - now <= timedelta(days=warning_days):
            warnings.add(soon)
    if token["missing_permissions"]:
        warnings.add("permissions_missing")
    for flag in row.get("flags") or []:
        (problems if flag["flag"] in FLAG_PROBLEMS else warnings).add(flag["flag"])
    if not account.enabled:
        problems.clear()
        warnings.clear()
    row["problems"] = [p for p in PROBLEMS if p in problems]
    row["warnings"] = [w for w in WARNINGS if w in warnings]
    row["state"] = "disabled" if not account.enabled else (row["problems"] or ["ok"])[0]


def exit_code(rows: list[dict[str, Any]]) -> int:
    """0 when every enabled account is healthy, 1 when any has a problem (warnings do not count)."""
    return 1 if any(row["enabled"] and row["problems"] for row in rows) else 0


def health_note(t: Translator, row: dict[str, Any]) -> str:
    """What a person should know or do about an account, in one sentence or two."""
    health = row["health"]
    platform = row.get("platform")
    code, params = health.get("reason"), health.get("reason_params")
    notes: list[str] = []
    if health["status"] == "auth_failed":
        reason = rejected_token(t, code, params, platform=platform)
        notes.append(t("note.auth_failed", reason=reason, where=row["token_source"]))
    elif health["status"] == "failing":
        why = render(t, code, params, platform=platform, detail=health.get("message"))
        notes.append(t("note.failing", reason=why or t("status.failed")))
    elif health["status"] is None and row.get("item_total"):  # every run so far met a full disk
        notes.append(t.n("note.not_finished", row["item_total"]))
    elif health["status"] is None:
        notes.append(t("note.never_run"))
    for stream in row["streams"]:
        if stream["status"] == "permission_denied":
            name = stream_name(t, stream["stream"])
            why = render(
                t,
                stream.get("reason"),
                stream.get("reason_params"),
                platform=platform,
                detail=stream.get("message"),
            )
            notes.append(
                t("note.permission", stream=name, reason=why)
                if why
                else t("note.no_permission", stream=name) + "."
            )
    notes.extend(_monitor_notes(t, row, row.get("problems") or []))
    notes.extend(_flag_notes(t, row))
    return " ".join(notes)


def _flag_notes(t: Translator, row: dict[str, Any]) -> list[str]:
    """The account's own flags one by one; flags on its items counted per kind of flag (a
    busy account can have hundreds of unanswered questions: `somed flags` lists them)."""
    notes: list[str] = []
    per_kind: dict[str, int] = {}
    for flag in row.get("flags") or []:
        if flag.get("item_id") is not None:
            per_kind[flag["flag"]] = per_kind.get(flag["flag"], 0) + 1
            continue
        why = render(t, flag["reason"], flag["params"], platform=row.get("platform"))
        notes.append(t("note.flag", flag=t(f"flag.{flag['flag']}"), reason=why))
    for kind, count in sorted(per_kind.items()):
        notes.append(t.n("note.item_flags", count, flag=t(f"flag.{kind}"), account=row["key"]))
    return notes


def _monitor_notes(t: Translator, row: dict[str, Any], problems: list[str]) -> list[str]:
    """Notes on quarantine, overdue runs and the token's last check (monitor part)."""
    notes: list[str] = []
    token = row.get("token") or empty_check()
    if "quarantining" in problems:
        notes.append(t.n("note.quarantining", row["quarantined"]))
    if "overdue" in problems and row["health"]["status"] is not None:
        notes.append(t("note.overdue", since=local_time(row.get("last_ok_at"))))
    platform = row.get("platform")
    if token["status"] == "auth_failed" and row["health"]["status"] != "auth_failed":
        reason = rejected_token(t, token["reason"], token["reason_params"], platform=platform)
        notes.append(t("note.auth_failed", reason=reason, where=row["token_source"]))
    if "token_expired" in problems:
        notes.append(t("note.token_expired", where=row["token_source"]))
    for field, warning in (
        ("expires_at", "token_expiring"),
        ("data_access_expires_at", "data_access_expiring"),
    ):
        if warning in (row.get("warnings") or []):
            notes.append(t(f"note.{warning}", at=local_time(token[field])))
    if "permissions_missing" in (row.get("warnings") or []):
        names = ", ".join(token["missing_permissions"])
        notes.append(t("note.permissions_missing", permissions=names))
    if "check_failed" in (row.get("warnings") or []):
        why = render(
            t, token["reason"], token["reason_params"], platform=platform, detail=token["message"]
        )
        notes.append(t("note.check_failed", reason=why))
    return notes


def print_status(config: Config, t: Translator, rows: list[dict[str, Any]]) -> None:
    """Print one block per account: a table line and, below it, any note."""
    if not config.db_path.exists():
        click.echo(t("status.no_archive", path=config.db_path))
    running = daemon_running(config.storage_dir)
    click.echo(t("status.daemon_running" if running else "status.daemon_stopped"))
    now = utc_now()
    headers = [
        t("col.account"),
        t("col.platform"),
        t("col.health"),
        t("col.last_run"),
        t("col.items"),
        t("col.deleted"),
        t("col.token_expires"),
        t("col.last_own_post"),
    ]
    table = []
    for row in rows:
        run = row["last_run"]
        newest = row["newest_own_post_at"]
        newest_at = parse_utc(newest)
        age = ""
        if newest_at is not None:
            days = (now - newest_at).days
            ago = t("time.today") if days == 0 else t.n("time.days_ago", days)
            age = f"{local_time(newest)} ({ago})"
        last = "-"
        if run["status"]:
            when = local_time(run["finished_at"] or run["started_at"])
            last = f"{when} {t('status.' + run['status'])}"
            if run["cost_units"] is not None:  # a platform that charges quota units per call
                last += f" ({t.n('status.cost_units', int(run['cost_units']))})"
        table.append(
            [
                row["key"],
                row["platform"],
                t(f"state.{row['state']}"),
                last,
                row["item_total"],
                row["deleted"],
                _expiry(t, row["token"]),
                age or "-",
            ]
        )
    click.echo(render_table(headers, table))
    for row in rows:
        note = health_note(t, row)  # empty for a healthy account with every stream allowed
        if note:
            click.echo(f"\n{row['key']}: {note}")


def _expiry(t: Translator, token: dict[str, Any]) -> str:
    """The earlier of the token's expiries, "never" when it has none, "-" when never checked."""
    if token["status"] != "ok":
        return "-"
    moments = [m for m in (token["expires_at"], token["data_access_expires_at"]) if m]
    return local_time(min(moments)) if moments else t("token.never_expires")
