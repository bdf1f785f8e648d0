"""An account's records of a period, streamed into a temporary SQLite file by thread and month.

Threads are rendered whole, in the month (Swedish local time) their post was published (a
conversation: its first message in the period), so the records are sorted into threads on disk
rather than in memory: the builder stays small however many records an account has.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from connectors.model import parse_utc
from somed.bundle.rendition.threads import ROOT_KINDS, thread_key
from somed.display import LOCAL_TZ

UNDATED = "undated"


def month_of(iso: str | None) -> str:
    """The calendar month (YYYY-MM, Swedish local time) of a UTC timestamp."""
    moment = parse_utc(iso)
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m") if moment else UNDATED


class Spill:
    """Records of one account on disk, grouped into threads and months."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE rec (thread TEXT, created TEXT, id TEXT, month TEXT, root INT,"
            " body TEXT);"
        )
        self.profiles: list[dict[str, Any]] = []

    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Store records (profiles are kept aside for the index page)."""
        rows = []
        for record in records:
            if record["kind"] == "profile":
                self.profiles.append(dict(record))
                continue
            created = record.get("created_at")
            rows.append((thread_key(record), created or "", str(record["id"]), month_of(created),
                         1 if record["kind"] in ROOT_KINDS else 0, json.dumps(record)))  # fmt: skip
            if len(rows) >= 500:
                self.conn.executemany("INSERT INTO rec VALUES (?, ?, ?, ?, ?, ?)", rows)
                rows = []
        self.conn.executemany("INSERT INTO rec VALUES (?, ?, ?, ?, ?, ?)", rows)
        self.conn.execute("CREATE INDEX rec_thread ON rec (thread, created, id)")

    def threads(self) -> list[tuple[str, str, int]]:
        """Every thread as (month, key, records), in month then date order."""
        rows = self.conn.execute(
            "SELECT coalesce(max(CASE WHEN root THEN month END), min(month)) AS m, thread,"
            " count(*), coalesce(max(CASE WHEN root THEN created END), min(created)) AS c"
            " FROM rec GROUP BY thread ORDER BY m, c, thread"
        )
        return [(month, key, count) for month, key, count, _created in rows]

    def records(self, key: str) -> Iterator[dict[str, Any]]:
        """The records of one thread."""
        for (body,) in self.conn.execute(
            "SELECT body FROM rec WHERE thread = ? ORDER BY created, id", [key]
        ):
            yield json.loads(body)

    def close(self) -> None:
        """Close the file."""
        self.conn.close()
