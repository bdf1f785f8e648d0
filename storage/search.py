"""Full-text search over the archive (FTS5, `items_fts`), safe for anything a person types.

A query is words, `"quoted phrases"` and prefixes (`skol*`); every word must occur. The words
are quoted before they reach FTS5, so no input is FTS5 syntax (`NEAR(`, `"`, `*`, `OR`...): an
input without any word is a `BadQuery`, never an SQL error. The index keeps å, ä and ö apart
from a and o (`m022_search_swedish`). Results are newest first, with a snippet around the hits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso

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
) -> list[dict[str, Any]]:
    """The newest `limit` items matching `text` and the filters, each with a `snippet`."""
    match = fts_query(text)
    where, values = ["items_fts MATCH ?"], [match]
    if accounts:
        where.append(f"i.account IN ({', '.join('?' for _ in accounts)})")
        values += list(accounts)
    if since is not None:
        where.append("i.created_at >= ?")
        values.append(utc_iso(since))
    if until is not None:
        where.append("i.created_at < ?")
        values.append(utc_iso(until))
    if direction is not None:
        where.append("i.direction = ?")
        values.append(direction)
    if kinds:
        where.append(f"i.kind IN ({', '.join('?' for _ in kinds)})")
        values += list(kinds)
    # the newest hits first, then snippets for those only (not for every match)
    cursor = db.execute(
        f"""WITH hits AS (
              SELECT i.rowid AS rid, i.platform, i.id, i.account, i.kind, i.direction,
                     i.created_at, i.url
              FROM items_fts JOIN items AS i ON i.rowid = items_fts.rowid
              WHERE {" AND ".join(where)}
              ORDER BY i.created_at DESC, i.rowid DESC LIMIT ?)
            SELECT h.platform, h.id, h.account, h.kind, h.direction, h.created_at, h.url,
                   snippet(items_fts, 0, '[', ']', '…', 16) AS snippet
            FROM hits AS h JOIN items_fts ON items_fts.rowid = h.rid
            WHERE items_fts MATCH ?
            ORDER BY h.created_at DESC, h.rid DESC""",
        [*values, limit, match],
    )
    columns = ("platform", "item_id", "account", "kind", "direction", "created_at", "url",
               "snippet")  # fmt: skip
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
