"""Full-text search over the archive (FTS5, `items_fts`), safe for anything a person types.

A query is words, `"quoted phrases"` and prefixes (`skol*`); every word must occur. The words
are quoted before they reach FTS5, so no input is FTS5 syntax (`NEAR(`, `"`, `*`, `OR`...): an
input without any word is a `BadQuery`, never an SQL error. The index keeps å, ä and ö apart
from a and o (`m022_search_swedish`). Results are newest first, with a snippet around the hits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from storage.filters import ceil_iso, item_filter

_PART = re.compile(r'"([^"]*)"(\*?)|(\S+)')
_WORD = re.compile(r"\w")


class BadQuery(ValueError):
    """The query holds no word to search for."""


def fts_query(text: str) -> str:
    """The FTS5 MATCH expression for a person's query: each word or phrase quoted, ANDed."""
    terms = []
    for phrase, phrase_star, word in _PART.findall(text):
        body, prefix = (phrase, phrase_star) if phrase or phrase_star else (word, "")
        if not phrase and not phrase_star:
            body = body.replace('"', "")
            prefix = "*" if body.endswith("*") else ""
            body = body.rstrip("*").replace("*", " ")
        if not _WORD.search(body):
            continue
        terms.append('"' + body.replace('"', '""') + '"' + prefix)
    if not terms:
        raise BadQuery(text)
    return " AND ".join(terms)


LONGEST_PREFIX = 6  # the prefix indexes of `items_fts` are 3 to 6 characters long
CHUNK_BITS = 13  # `search_chunks`: the newest created_at of each run of 8,192 item rowids
FEW = 2000  # up to this many matches, all are sorted at once; beyond, chunk by chunk


def search(
    db: Database,
    text: str,
    *,
    accounts: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    direction: str | None = None,
    kinds: Sequence[str] | None = None,
    limit: int = 50,
    sort_all_up_to: int = FEW,
    offset: int = 0,
    marks: tuple[str, str] = ("[", "]"),
    platforms: Sequence[str] | None = None,
    deleted_only: bool = False,
    flagged_only: bool = False,
    registered_only: bool = False,
) -> list[dict[str, Any]]:
    """The newest `limit` items matching `text` and the filters, each with a `snippet`.

    `offset` skips that many of the newest hits first (a page further on); `marks` enclose
    the matched words in the snippet; `platforms` and the `*_only` flags are the further
    filters of `item_filter`.

    Few matches (up to `sort_all_up_to`) are sorted at once. Many (a common word) are read a
    chunk of rowids at a time, the chunks with the newest items first (`search_chunks` holds
    each chunk's newest created_at), until no chunk left can hold anything newer than the
    `limit`th hit so far: the same answer as sorting every match, without reading them all.
    """
    match = fts_query(text)
    where, values = item_filter(
        accounts=accounts, since=since, until=until, direction=direction, kinds=kinds or None,
        table="i", platforms=platforms, deleted_only=deleted_only, flagged_only=flagged_only,
        registered_only=registered_only,
    )  # fmt: skip
    wanted = offset + limit
    sql = (
        "SELECT i.rowid, coalesce(i.created_at, '') FROM items_fts"
        " JOIN items AS i ON i.rowid = items_fts.rowid WHERE items_fts MATCH ?"
        + "".join(f" AND {w}" for w in where)
        + "{range} ORDER BY 2 DESC, 1 DESC LIMIT ?"
    )
    few = db.execute(
        "SELECT count(*) FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
        [match, sort_all_up_to + 1],
    ).fetchone()[0]
    prefixes = [p.split()[-1] for p in re.findall(r'"((?:[^"]|"")*)"\*', match) if p.split()]
    longer = any(len(p) > LONGEST_PREFIX for p in prefixes)
    if few <= sort_all_up_to or longer:  # a longer prefix costs a merge per query: ask once
        best = db.execute(sql.format(range=""), [match, *values, wanted]).fetchall()
    else:
        ranged = sql.format(range=" AND items_fts.rowid BETWEEN ? AND ?")
        floor = ceil_iso(since) if since is not None else ""
        best = _newest_by_chunk(db, ranged, [match, *values], wanted, floor)
    return _with_snippets(db, match, [rowid for rowid, _ in best[offset:]], marks)


def _newest_by_chunk(
    db: Database, sql: str, values: list[Any], limit: int, since: str
) -> list[tuple[int, str]]:
    """The newest `limit` (rowid, created_at) of `sql`, asked one chunk of rowids at a time."""
    best: list[tuple[int, str]] = []
    chunks = db.execute(
        "SELECT chunk, newest FROM search_chunks WHERE newest >= ? ORDER BY newest DESC", [since]
    ).fetchall()
    for chunk, newest in chunks:
        if len(best) >= limit and newest < best[-1][1]:
            break  # nothing in this chunk or any later one is newer than the hits we have
        first = chunk << CHUNK_BITS
        found = db.execute(sql, [*values, first, first + (1 << CHUNK_BITS) - 1, limit])
        best = sorted([*best, *found.fetchall()], key=lambda r: (r[1], r[0]), reverse=True)
        del best[limit:]
    return best


def _with_snippets(
    db: Database, match: str, rowids: list[int], marks: tuple[str, str] = ("[", "]")
) -> list[dict[str, Any]]:
    """The hits' fields and a snippet around the matched words, in the order of `rowids`."""
    if not rowids:
        return []
    # one pass over the matches between the lowest and highest hit (`+rowid IN` is a filter:
    # as a constraint, FTS5 would evaluate the query once per hit)
    cursor = db.execute(
        "SELECT i.rowid, i.platform, i.id, i.account, i.kind, i.direction, i.created_at, i.url,"
        " i.thread_id, i.author_name, i.deleted_at, i.disposed_at,"
        " snippet(items_fts, 0, ?, ?, '…', 16) FROM items_fts"
        " JOIN items AS i ON i.rowid = items_fts.rowid"
        " WHERE items_fts MATCH ? AND items_fts.rowid BETWEEN ? AND ?"
        " AND +items_fts.rowid IN (SELECT value FROM json_each(?))",
        [*marks, match, min(rowids), max(rowids), json.dumps(rowids)],
    )
    columns = ("platform", "item_id", "account", "kind", "direction", "created_at", "url",
               "thread_id", "author_name", "deleted_at", "disposed_at", "snippet")  # fmt: skip
    found = {row[0]: dict(zip(columns, row[1:], strict=True)) for row in cursor.fetchall()}
    return [found[rowid] for rowid in rowids if rowid in found]
