"""`somed status`: each account's health, last run and archive, in plain words."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import click
from sqlite_utils import Database

from connectors.model import parse_utc
from somed.config import Config
from somed.display import local_time, render_table, token_place
from somed.i18n import Translator
from somed.reasons import rejected_token, render, stream_name
from storage import queries
from storage.db import connect


def account_status(config: Config, db: Database | None = None) -> list[dict[str, Any]]:
    """Every configured account with what the archive `db` knows about it (JSON-ready).

    Without `db`, the archive is opened here if it exists.
    """
    known: dict[str, dict[str, Any]] = {}
    if db is None and config.db_path.exists():
        with closing(connect(config.db_path)) as own:
            return account_status(config, own)
    if db is not None:
        known = {row["key"]: row for row in queries.account_overview(db)}
    rows = []
    for account in config.accounts:
        row = known.get(account.key) or {
            "key": account.key,
            "platform": account.platform,
            "platform_id": account.id,
            "health": {
                "status": None,
                "message": None,
                "since": None,
                "reason": None,
                "reason_params": {},
            },
            "last_run": None,
            "items": {},
            "item_total": 0,
            "deleted": 0,
            "newest_own_post_at": None,
            "streams": [],
        }
        row["enabled"] = account.enabled
        row["token_source"] = token_place(account)
        rows.append(row)
    return rows


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
    return " ".join(notes)


def print_status(config: Config, t: Translator, rows: list[dict[str, Any]]) -> None:
    """Print one block per account: a table line and, below it, any note."""
    if not config.db_path.exists():
        click.echo(t("status.no_archive", path=config.db_path))
    now = datetime.now(UTC)
    headers = [
        t("col.account"),
        t("col.platform"),
        t("col.health"),
        t("col.last_run"),
        t("col.items"),
        t("col.deleted"),
        t("col.last_own_post"),
    ]
    table = []
    for row in rows:
        run = row["last_run"] or {}
        newest = row["newest_own_post_at"]
        newest_at = parse_utc(newest)
        age = ""
        if newest_at is not None:
            days = (now - newest_at).days
            ago = t("time.today") if days == 0 else t.n("time.days_ago", days)
            age = f"{local_time(newest)} ({ago})"
        last = (
            f"{local_time(run.get('finished_at') or run.get('started_at'))} "
            f"{t('status.' + run['status']) if run else ''}".strip()
        )
        table.append(
            [
                row["key"],
                row["platform"],
                t(f"health.{row['health']['status'] or 'unknown'}"),
                last,
                row["item_total"],
                row["deleted"],
                age or "-",
            ]
        )
    click.echo(render_table(headers, table))
    for row in rows:
        note = health_note(t, row)  # empty for a healthy account with every stream allowed
        if note:
            click.echo(f"\n{row['key']}: {note}")
