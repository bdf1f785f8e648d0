"""Ceilings any platform's benchmark can measure from the archive somed just made.

- `same_schema_insert`: the rows somed stored (`items` and `item_versions`, in the order it
  stored them) inserted again into a fresh database made by somed's own migrations and opener
  (WAL, `synchronous=NORMAL`, every index, the FTS5 triggers), in multi-row INSERTs with a
  commit per `per_commit` items, as somed commits a page at a time. Only the SQL is timed.
- `media_fetch`: every media file somed downloaded, fetched again with plain `requests` from
  the emulator (the same paths and queries, as many at once as somed downloads), read whole and
  thrown away.

A platform's plain-fetch ceiling is its API walk plus `media_fetch`; the lower of that and
`same_schema_insert` is what its first archive is held against.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlite_utils import Database

from somed.config import DEFAULT_PARALLEL_DOWNLOADS
from storage.db import connect, insert_rows

Row = dict[str, Any]


def _as_tuples(db: Database, table: str, rows: Sequence[Row]) -> tuple[list[str], list[tuple]]:
    """The columns of `rows` the table has, and the rows as tuples of them."""
    have = set(db[table].columns_dict)
    columns = [c for c in rows[0] if c in have] if rows else []
    return columns, [tuple(r[c] for c in columns) for r in rows]


def insert_pages(pages: Sequence[tuple[Sequence[Row], Sequence[Row]]], path: Path) -> float:
    """Insert each page's (items, versions) rows into a fresh database at `path` with somed's
    own multi-row INSERTs (`storage.db.insert_rows`), a commit per page; return the seconds
    the SQL took (the rows are made tuples before the clock starts)."""
    db = connect(path)  # somed's opener: WAL, synchronous=NORMAL, every migration
    ready = [(_as_tuples(db, "items", items), _as_tuples(db, "item_versions", versions))
             for items, versions in pages]  # fmt: skip
    started = time.perf_counter()
    for (item_columns, item_rows), (version_columns, version_rows) in ready:
        db.conn.execute("BEGIN IMMEDIATE")
        if item_rows:
            insert_rows(db, "items", item_columns, item_rows)
        if version_rows:
            insert_rows(db, "item_versions", version_columns, version_rows)
        db.conn.execute("COMMIT")
    wall = time.perf_counter() - started
    db.close()
    return wall


def _rows(conn: sqlite3.Connection, table: str) -> list[Row]:
    conn.row_factory = sqlite3.Row
    return [dict(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]


def same_schema_insert(archive_db: Path, scratch: Path, per_commit: int) -> dict[str, Any]:
    """Insert the items and versions somed stored in `archive_db` again into `scratch`."""
    with closing(sqlite3.connect(f"file:{archive_db}?mode=ro", uri=True)) as conn:
        items, versions = _rows(conn, "items"), _rows(conn, "item_versions")
    by_item: dict[tuple[str, str], list[Row]] = {}
    for version in versions:
        by_item.setdefault((version["platform"], version["item_id"]), []).append(version)
    per = max(1, per_commit)
    pages = []
    for start in range(0, len(items), per):
        chunk = items[start : start + per]
        pages.append((chunk, [v for i in chunk for v in by_item.get((i["platform"], i["id"]), [])]))
    wall = insert_pages(pages, scratch)
    return {"items": len(items), "versions": len(versions), "per_commit": per, "wall_s": wall,
            "items_per_s": len(items) / wall if wall else 0.0}  # fmt: skip


def media_fetch(archive_db: Path, base_url: str) -> dict[str, Any]:
    """Fetch every media file somed stored again from `base_url` (same path and query), as
    many at once as somed downloads (`[media] parallel_downloads`, its default in the
    benchmarks), a session per thread."""
    with closing(sqlite3.connect(f"file:{archive_db}?mode=ro", uri=True)) as conn:
        stored = "SELECT source_url FROM item_media WHERE sha256 IS NOT NULL GROUP BY sha256"
        urls = [url for (url,) in conn.execute(stored)]
    local = threading.local()

    def get(url: str) -> int:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        response = session.get(f"{base_url}{parts.path}{query}", timeout=60)
        response.raise_for_status()
        return len(response.content)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=DEFAULT_PARALLEL_DOWNLOADS) as pool:
        fetched = sum(pool.map(get, urls))
    wall = time.perf_counter() - started
    return {"files": len(urls), "bytes": fetched, "wall_s": wall}


def against_lower(
    items: int, wall: float, api_items: int, api_wall: float, media: dict[str, Any],
    insert: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """somed's first archive (`items` in `wall` s) beside the plain fetch (the API walk of
    `api_items` in `api_wall` s plus `media`) and the same-schema insert: each ceiling's rate,
    the lower one, and the ratio to it."""
    fetch_wall = api_wall + media["wall_s"]
    fetch_rate = api_items / fetch_wall if fetch_wall else 0.0
    lower = min(fetch_rate, insert["items_per_s"])
    rate = items / wall if wall else 0.0
    return {"fetch_items_per_s": fetch_rate, "fetch_wall_s": fetch_wall,
            "media_files": media["files"], "media_wall_s": media["wall_s"],
            "insert_items_per_s": insert["items_per_s"], "insert_wall_s": insert["wall_s"],
            "lower_items_per_s": lower, "lower": "fetch" if lower == fetch_rate else "insert",
            "ratio": rate / lower if lower else 0.0}  # fmt: skip


def measure(
    db: Path, scratch: Path, base_url: str, items: int, wall: float, requests_made: int,
    api_items: int, api_wall: float,
) -> dict[str, Any]:  # fmt: skip
    """Both ceilings for a first archive somed stored in `db` (`items` in `wall` s with
    `requests_made` API requests, so a commit per that many items), from `base_url`."""
    media = media_fetch(db, base_url)
    insert = same_schema_insert(db, scratch, per_commit=round(items / max(1, requests_made)))
    return against_lower(items, wall, api_items, api_wall, media, insert)
