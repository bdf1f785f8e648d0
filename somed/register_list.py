"""The public list of accounts (the "Sociala medier" page): rows from config and archive.

The config names the accounts and their register fields; the archive adds what only it knows
(a `closed` status set by `somed close` and since when, the name the profile shows). An account
removed from the config stays on the list only if it was closed. Which fields are public is
written down in docs/operations.md ("The register of accounts"): the editor, the substitute and
the communication plan are kept in the register, not published, unless `--internal` is given.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from somed.config import Config
from somed.display import local_time
from somed.i18n import Translator
from somed.reasons import display_name
from storage import evidence
from storage.register import register_rows

PUBLIC_FIELDS = (
    "key", "name", "platform", "platform_name", "url", "owner", "purpose", "audience",
    "start_date", "status", "status_since",
)  # fmt: skip
INTERNAL_FIELDS = ("editor", "substitute", "plan")
# the columns of the CSV and the HTML table, in order (the key and platform code stay in JSON)
COLUMNS = ("name", "platform_name", "url", "owner", "purpose", "audience", "start_date", "status")
INTERNAL_COLUMNS = ("editor", "substitute")


def account_list(
    config: Config, db: Database | None, *, internal: bool = False
) -> list[dict[str, Any]]:
    """The register's accounts, each with the public fields (and the internal ones if asked)."""
    from somed.daemon import account_register_rows  # what the archive's register is synced from

    stored = register_rows(db) if db is not None else {}
    rows: list[dict[str, Any]] = []
    for row in account_register_rows(config):
        found = stored.pop(str(row["key"]), {})
        status = "closed" if found.get("status") == "closed" else row["status"]
        since = found.get("status_since") if found.get("status") == status else None
        rows.append({**row, "status": status, "status_since": since})
    rows += [row for row in stored.values() if row.get("status") == "closed"]
    fields = PUBLIC_FIELDS + (INTERNAL_FIELDS if internal else ())
    listed = []
    for row in rows:
        profile = evidence.latest_profile(db, row["key"]) if db is not None else None
        row["name"] = (profile or {}).get("author_name") or row["key"]
        row["platform_name"] = display_name(row["platform"])
        listed.append({field: row.get(field) for field in fields})
    return listed


def labels(t: Translator, internal: bool = False) -> dict[str, str]:
    """The column headings in the reader's language."""
    names = COLUMNS + (INTERNAL_COLUMNS if internal else ())
    return {name: t(f"accounts.col.{name}") for name in names}


def cell(t: Translator, row: dict[str, Any], column: str) -> str:
    """One cell as people read it (the status in words, with its date when closed)."""
    value = row.get(column)
    if column == "status":
        text = t(f"accounts.status.{value}")
        if value == "closed" and row.get("status_since"):
            text = f"{text} {local_time(row['status_since'])[:10]}"
        return text
    return "" if value is None else str(value)


def history_value(t: Translator, field: str, value: str | None) -> str | None:
    """A register history value as people read it (a status in words, other values as kept)."""
    if field == "status" and value is not None and t.has(f"accounts.status.{value}"):
        return t(f"accounts.status.{value}")
    return value


def to_csv(t: Translator, rows: list[dict[str, Any]], *, internal: bool = False) -> str:
    """The list as CSV (comma-separated, a heading row, UTF-8 text)."""
    heads = labels(t, internal)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(heads.values())
    for row in rows:
        writer.writerow(cell(t, row, column) for column in heads)
    return out.getvalue()


def to_html(
    t: Translator, rows: list[dict[str, Any]], *, now: datetime, internal: bool = False
) -> str:
    """The list as an accessible HTML page (WCAG 2.1 AA: lang, landmarks, a captioned table)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("somed", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    heads = labels(t, internal)
    body = [
        {
            "name": row["name"],
            "url": row.get("url"),
            "cells": [cell(t, row, column) for column in list(heads)[1:] if column != "url"],
        }
        for row in rows
    ]
    return env.get_template("accounts.html").render(
        lang=t.language,
        title=t("accounts.title"),
        intro=t("accounts.intro"),
        caption=t.n("accounts.caption", len(rows)),
        heads=[label for column, label in heads.items() if column != "url"],
        rows=body,
        updated_label=t("accounts.updated"),
        updated_iso=utc_iso(now),
        updated=local_time(utc_iso(now))[:10],
        empty=t("accounts.empty"),
    )
