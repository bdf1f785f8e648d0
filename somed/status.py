"""`somed status`: each account's health, last run and archive, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from somed.config import Config
from somed.i18n import Translator
from storage import queries
from storage.db import connect

LOCAL_TZ = ZoneInfo("Europe/Stockholm")


def local_time(iso: str | None) -> str:
    """A stored UTC timestamp shown in Swedish local time, minutes precision."""
    if not iso:
        return "-"
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def account_status(config: Config) -> list[dict[str, Any]]:
    """Every configured account with what the archive knows about it (JSON-ready)."""
    known: dict[str, dict[str, Any]] = {}
    if config.db_path.exists():
        db = connect(config.db_path)
        try:
            known = {row["key"]: row for row in queries.account_overview(db)}
        finally:
            db.close()
    rows = []
    for account in config.accounts:
        row = known.get(account.key) or {
            "key": account.key,
            "platform": account.platform,
            "platform_id": account.id,
            "health": {"status": None, "message": None, "since": None},
            "last_run": None,
            "items": {},
            "item_total": 0,
            "deleted": 0,
            "newest_own_post_at": None,
            "streams": [],
        }
        row["enabled"] = account.enabled
        row["token_source"] = (
            f"${account.token_env}" if account.token_env else str(account.token_file)
        )
        rows.append(row)
    return rows


def health_note(t: Translator, row: dict[str, Any]) -> str:
    """What a person should know or do about an account, in one sentence or two."""
    health = row["health"]["status"]
    detail = row["health"]["message"] or ""
    notes: list[str] = []
    if health == "auth_failed":
        notes.append(t("note.auth_failed", detail=detail, where=row["token_source"]))
    elif health == "failing":
        notes.append(t("note.failing", detail=detail))
    elif health is None:
        notes.append(t("note.never_run"))
    for stream in row["streams"]:
        if stream["status"] == "permission_denied":
            notes.append(
                t(
                    "note.permission",
                    stream=t(f"stream.{stream['stream']}"),
                    detail=stream["message"],
                )
            )
    return " ".join(notes)


def print_status(config: Config, t: Translator, rows: list[dict[str, Any]]) -> None:
    """Print one block per account: a table line and, below it, any note."""
    from somed.cli import render_table

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
        age = ""
        if newest:
            days = (now - datetime.fromisoformat(newest.replace("Z", "+00:00"))).days
            ago = t("today") if days == 0 else t("days_ago", days=days)
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
        note = health_note(t, row)
        if (
            note
            and row["health"]["status"] != "ok"
            or any(s["status"] == "permission_denied" for s in row["streams"])
        ):
            click.echo(f"\n{row['key']}: {note}")
