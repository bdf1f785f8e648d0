"""Records of a period, streamed into a temporary SQLite file by account, thread and month.

Threads are rendered whole, in the month (Swedish local time) their post was published (a
conversation: its first message in the period), so the records are sorted into threads on disk
rather than in memory: the builder stays small however many records an account has. A bundle
fills the spill while it writes `records.jsonl` (`put` with the line it wrote), so the archive
is read once for both.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from connectors.model import parse_utc
from somed.bundle.rendition.threads import ROOT_KINDS, thread_key
from somed.display import LOCAL_TZ

UNDATED = "undated"
BATCH = 500


def month_of(iso: str | None) -> str:
    """The calendar month (YYYY-MM, Swedish local time) of a UTC timestamp."""
    if iso and len(iso) == 20 and iso[-1] == "Z" and iso[:4] >= "1900":
        return _month_of_hour(iso[:13])  # the stored form, e.g. 2026-12-01T10:15:00Z
    moment = parse_utc(iso)
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m") if moment else UNDATED


@lru_cache(maxsize=1 << 16)
def _month_of_hour(hour: str) -> str:
    """The local month of a UTC hour (`2026-12-01T10`): Swedish time is a whole hour off UTC
    since 1900, so every moment of the hour falls in the same month."""
    moment = parse_utc(f"{hour}:00:00Z")
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m") if moment else UNDATED


class Spill:
    """Records on disk, grouped into accounts, threads and months."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE rec (account TEXT, thread TEXT, created TEXT, id TEXT, month TEXT,"
            " root INT, body TEXT);"
        )
        self.profiles: dict[str, list[dict[str, Any]]] = {}  # account -> its profile records
        self._rows: list[tuple[Any, ...]] = []
        self._indexed = False

    def put(self, record: Mapping[str, Any], body: str | None = None) -> None:
        """Store one record (`body`: its JSON, when already made); profiles are kept aside."""
        if record["kind"] == "profile":
            self.profiles.setdefault(record.get("account") or "", []).append(dict(record))
            return
        created = record.get("created_at")
        self._rows.append((record.get("account") or "", thread_key(record), created or "",
                           str(record["id"]), month_of(created),
                           1 if record["kind"] in ROOT_KINDS else 0,
                           body if body is not None else json.dumps(record)))  # fmt: skip
        if len(self._rows) >= BATCH:
            self._flush()

    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Store records."""
        for record in records:
            self.put(record)

    def _flush(self) -> None:
        self.conn.executemany("INSERT INTO rec VALUES (?, ?, ?, ?, ?, ?, ?)", self._rows)
        self._rows = []

    def _ready(self) -> None:
        if not self._indexed:
            self._flush()
            self.conn.execute("CREATE INDEX rec_thread ON rec (account, thread, created, id)")
            self._indexed = True

    def threads(self, account: str) -> list[tuple[str, str, int]]:
        """Every thread of `account` as (month, key, records), in month then date order."""
        self._ready()
        rows = self.conn.execute(
            "SELECT coalesce(max(CASE WHEN root THEN month END), min(month)) AS m, thread,"
            " count(*), coalesce(max(CASE WHEN root THEN created END), min(created)) AS c"
            " FROM rec WHERE account = ? GROUP BY thread ORDER BY m, c, thread",
            [account],
        )
        return [(month, key, count) for month, key, count, _created in rows]

    def records(self, account: str, key: str) -> Iterator[dict[str, Any]]:
        """The records of one thread."""
        self._ready()
        for (body,) in self.conn.execute(
            "SELECT body FROM rec WHERE account = ? AND thread = ? ORDER BY created, id",
            [account, key],
        ):
            yield _decode(body)

    def close(self) -> None:
        """Close the file."""
        self.conn.close()


def _decode(body: str) -> dict[str, Any]:
    """A record's JSON (orjson's speed; the standard library for what orjson refuses)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:  # an integer past 64 bits, NaN
        return json.loads(body)


@contextlib.contextmanager
def temporary_spill() -> Iterator[Spill]:
    """A spill in a temporary folder, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="somed-rendition-") as folder:
        spill = Spill(Path(folder) / "records.db")
        try:
            yield spill
        finally:
            spill.close()
