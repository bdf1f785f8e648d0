"""The rows `somed flags` shows: the registration queue and the other open flags, for people.

The queue's items come from `storage.queue`; beside them, the open flags that do not put an item
in the queue (the monitors' account flags, `unanswered`, `commercial`, ...). Each row names its
item as `PLATFORM:ID` (None for an account's flag), why it is there (`why`: `message` and flag
names), its flags with their reasons in words, and whether anything about it is still `open`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from defusedcsv import csv
from sqlite_utils import Database

from somed.display import local_time
from somed.i18n import Translator
from somed.item_ref import format_item
from somed.reasons import render
from storage.flags import open_flags
from storage.queue import MESSAGE, QUEUE_FLAGS, queue

CSV_COLUMNS = ("item", "account", "kind", "direction", "created", "why", "permalink")


def flag_rows(
    db: Database,
    t: Translator,
    platforms: Mapping[str, str],
    *,
    accounts: Sequence[str] | None = None,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """The queue (items first, oldest first), then the other open flags, reasons in words."""
    rows = []
    for entry in queue(db, accounts=accounts):
        if open_only and not entry["open"]:
            continue
        entry["item"] = format_item(entry["platform"], entry["item_id"])
        entry["in_queue"] = True
        for flag in entry["flags"]:
            flag["text"] = _flag_text(t, flag, platforms)
        rows.append(entry)
    wanted = set(accounts) if accounts is not None else None
    for flag in open_flags(db):
        if flag["flag"] in QUEUE_FLAGS or (wanted is not None and flag["account"] not in wanted):
            continue
        flag["text"] = _flag_text(t, flag, platforms)
        item = format_item(flag["platform"], flag["item_id"]) if flag["item_id"] else None
        rows.append({**flag, "item": item, "why": [flag["flag"]], "open": True,
                     "in_queue": False, "flags": [dict(flag)]})  # fmt: skip
    return rows


def _flag_text(t: Translator, flag: Mapping[str, Any], platforms: Mapping[str, str]) -> str:
    """A flag's reason in words (the platform's own texts where it has them)."""
    return render(t, flag["reason"], flag["params"], platform=platforms.get(flag["account"]))


def why_text(t: Translator, row: Mapping[str, Any]) -> str:
    """Why a row is listed, in words: the message, each flag's name and reason."""
    parts = [t("registrar.why.message")] if MESSAGE in row["why"] else []
    for flag in row["flags"]:
        name = t(f"flag.{flag['flag']}")
        parts.append(f"{name}: {flag['text']}" if flag.get("text") else name)
    return "; ".join(parts)


def to_csv(t: Translator, rows: Sequence[Mapping[str, Any]]) -> str:
    """The queue's items as CSV for the registrar (headers in the reader's language).

    Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, ...) are neutralised
    by `defusedcsv`, since comments and messages are written by anyone.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t(f"registrar.csv.{column}") for column in CSV_COLUMNS])
    for row in rows:
        if not row.get("in_queue"):
            continue
        writer.writerow(
            [row["item"], row["account"], row["kind"], row["direction"],
             local_time(row["created_at"]), why_text(t, row), row["url"] or ""]
        )  # fmt: skip
    return out.getvalue()
