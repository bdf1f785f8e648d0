"""The read side: cursors, refetch candidates, exports in the record contract, and overviews."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import ItemRef, MediaRef, parse_utc, utc_iso
from storage.filters import item_filter
from storage.runlog import decode_reason

POST_KINDS = ("post", "video")
THREAD_KINDS = ("comment", "reply")
EXPORT_CHUNK = 500


def get_cursor(db: Database, account: str, stream: str) -> str | None:
    """Return the stored cursor of an account's stream, or None before its first complete walk."""
    row = db.execute(
        "SELECT value FROM cursors WHERE account = ? AND stream = ?", [account, stream]
    ).fetchone()
    return row[0] if row else None


def refetch_refs(
    db: Database, account: str, *, since: datetime, until: datetime | None = None
) -> list[ItemRef]:
    """Return the account's live posts created in [since, until) and the live comments under
    them, each with the marker its connector gave last time."""
    rows = db.execute(
        f"""
        WITH recent AS (
            SELECT id FROM items
            WHERE account = :account AND kind IN {_in(POST_KINDS)}
              AND deleted_at IS NULL AND created_at >= :since
              AND (:until IS NULL OR created_at < :until)
        )
        SELECT kind, id, parent_id, thread_id, created_at, marker FROM items
        WHERE id IN (SELECT id FROM recent) AND account = :account
        UNION ALL
        -- "+account" keeps SQLite on the thread_id index instead of scanning the account
        SELECT kind, id, parent_id, thread_id, created_at, marker FROM items
        WHERE thread_id IN (SELECT id FROM recent) AND +account = :account
          AND kind IN {_in(THREAD_KINDS)} AND deleted_at IS NULL
        ORDER BY created_at, id
        """,
        {"account": account, "since": utc_iso(since), "until": utc_iso(until)},
    )
    return [
        ItemRef(kind=kind, id=item_id, parent_id=parent, thread_id=thread,
                created_at=parse_utc(created), marker=marker)
        for kind, item_id, parent, thread, created, marker in rows
    ]  # fmt: skip


def sweep_slice_start(
    db: Database, account: str, *, before: datetime, posts: int
) -> datetime | None:
    """Return where a deep-sweep slice of about `posts` live posts created before `before`
    starts (the creation time of the oldest of them), or None when none is left."""
    row = db.execute(
        f"SELECT min(created_at) FROM (SELECT created_at FROM items"
        f" WHERE account = ? AND kind IN {_in(POST_KINDS)} AND deleted_at IS NULL"
        f" AND created_at < ? ORDER BY created_at DESC LIMIT ?)",
        [account, utc_iso(before), max(1, posts)],
    ).fetchone()
    return parse_utc(row[0]) if row and row[0] else None


def downloaded_media_keys(db: Database, platform: str, keys: Iterable[str]) -> set[str]:
    """Return those of `keys` whose file has already been downloaded on `platform`."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    rows = db.execute(
        "SELECT DISTINCT media_key FROM item_media WHERE platform = ? AND sha256 IS NOT NULL"
        " AND media_key IN (SELECT value FROM json_each(?))",
        [platform, json.dumps(wanted)],
    )
    return {row[0] for row in rows}


def disposed_ids(db: Database, platform: str, ids: Iterable[str]) -> set[str]:
    """Return those of `ids` a retention rule disposed of on `platform` (never fetched again)."""
    rows = db.execute(
        "SELECT id FROM items WHERE platform = ? AND id IN (SELECT value FROM json_each(?))"
        " AND disposed_at IS NOT NULL",
        [platform, json.dumps(sorted({i for i in ids if isinstance(i, str)}))],
    )
    return {row[0] for row in rows}


def item_count(db: Database, account: str | None = None) -> int:
    """Return how many items are archived (deleted ones included), for one account or all."""
    if account is None:
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])
    sql = "SELECT count(*) FROM items WHERE account = ?"
    return int(db.execute(sql, [account]).fetchone()[0])


def last_runs(db: Database, account: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Return the newest runs first, for one account or all."""
    where, params = ("WHERE account = ?", [account]) if account is not None else ("", [])
    rows = _dicts(db, f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", [*params, limit])
    return [decode_reason(row) for row in rows]


def account_overview(db: Database) -> list[dict[str, Any]]:
    """Return, per registered account, its health, last run, item counts and stream states."""
    overview = []
    for account in _dicts(db, "SELECT * FROM accounts ORDER BY key"):
        key = account["key"]
        health = [
            decode_reason(row)
            for row in _dicts(db, "SELECT * FROM account_health WHERE account = ?", [key])
        ]
        runs = last_runs(db, key, limit=1)
        kinds = dict(
            db.execute(
                "SELECT kind, count(*) FROM items WHERE account = ? GROUP BY kind ORDER BY kind",
                [key],
            ).fetchall()
        )
        deleted, newest = db.execute(
            f"SELECT (SELECT count(*) FROM items WHERE account = :a AND deleted_at IS NOT NULL),"
            f" (SELECT max(created_at) FROM items INDEXED BY idx_items_account_created_at"
            f"  WHERE account = :a AND direction = 'own'"
            f"  AND kind IN {_in(POST_KINDS)})",
            {"a": key},
        ).fetchone()
        overview.append(
            {
                "key": key,
                "platform": account["platform"],
                "platform_id": account["platform_id"],
                "url": account["url"],
                "owner": account["owner"],
                "editor": account["editor"],
                "substitute": account["substitute"],
                "health": {
                    "status": health[0]["status"] if health else None,
                    "message": health[0]["message"] if health else None,
                    "since": health[0]["since"] if health else None,
                    "reason": health[0]["reason"] if health else None,
                    "reason_params": health[0]["reason_params"] if health else {},
                },
                "last_ok_at": health[0]["last_ok_at"] if health else None,
                "last_run": runs[0] if runs else None,
                "items": kinds,
                "item_total": sum(kinds.values()),
                "deleted": deleted,
                "newest_own_post_at": newest,
                "media_missing": missing_media_count(db, key),
                "streams": [
                    decode_reason(row)
                    for row in _dicts(
                        db,
                        "SELECT stream, status, message, reason, reason_params, updated_at,"
                        " last_ok_at FROM stream_state WHERE account = ? ORDER BY stream",
                        [key],
                    )
                ],
            }
        )
    return overview


def export_items(
    db: Database,
    *,
    account: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Sequence[str] | None = None,
    direction: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield items as record-contract dicts, ordered by created_at then id, streamed in chunks."""
    clauses, params = item_filter(
        accounts=None if account is None else [account],
        since=since,
        until=until,
        direction=direction,
        kinds=kinds,
    )
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    cursor = db.conn.execute(
        "SELECT platform, account, kind, id, parent_id, thread_id, direction, author_id,"
        " author_name, text, created_at, edited_at, url, first_seen_at, last_seen_at, deleted_at,"
        f" sha256, version_count, extra FROM items {where} ORDER BY created_at, id",
        params,
    )
    columns = [d[0] for d in cursor.description]
    try:
        while chunk := cursor.fetchmany(EXPORT_CHUNK):
            yield from _assemble(db, [dict(zip(columns, row, strict=True)) for row in chunk])
    finally:
        cursor.close()


def _assemble(db: Database, items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Attach versions, media, flags, registry numbers and tombstones to a chunk of items."""
    keys = json.dumps([[item["platform"], item["id"]] for item in items])
    versions: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in _dicts(
        db,
        "SELECT platform, item_id, version, seen_at, sha256, text, edited_at, media"
        f" FROM item_versions WHERE {_pairs_in('platform', 'item_id')}"
        " ORDER BY platform, item_id, version",
        [keys],
    ):
        versions.setdefault((row["platform"], row["item_id"]), []).append(row)
    media: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in _dicts(
        db,
        "SELECT l.platform, l.item_id, l.media_key, l.kind, l.source_url, l.sha256,"
        " m.mime_type, m.size, m.path FROM item_media AS l"
        " LEFT JOIN media AS m ON m.sha256 = l.sha256"
        f" WHERE {_pairs_in('l.platform', 'l.item_id')}",
        [keys],
    ):
        media.setdefault((row["platform"], row["item_id"]), {})[row["media_key"]] = {
            "key": row["media_key"],
            "kind": row["kind"],
            "sha256": row["sha256"],
            "mime_type": row["mime_type"],
            "size": row["size"],
            "source_url": row["source_url"],
            "path": row["path"],
        }
    flags: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in _dicts(
        db,
        "SELECT platform, item_id, flag, reason, created_at, resolved_at, resolution FROM flags"
        f" WHERE {_pairs_in('platform', 'item_id')} ORDER BY created_at, id",
        [keys],
    ):
        key = (row.pop("platform"), row.pop("item_id"))
        flags.setdefault(key, []).append(row)
    numbers: dict[tuple[str, str], list[str]] = {}
    for row in _dicts(
        db,
        "SELECT platform, item_id, number FROM registrations"
        f" WHERE {_pairs_in('platform', 'item_id')} ORDER BY registered_at, number",
        [keys],
    ):
        numbers.setdefault((row["platform"], row["item_id"]), []).append(row["number"])
    disposals: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _dicts(
        db,
        "SELECT platform, item_id, rule, decision, disposed_at, disposed_by, sha256"
        f" FROM disposals WHERE {_pairs_in('platform', 'item_id')}",
        [keys],
    ):
        disposals[(row.pop("platform"), row.pop("item_id"))] = row
    for item in items:
        key = (item["platform"], item["id"])
        item_versions = versions.get(key, [])
        links = media.get(key, {})
        current = item_versions[-1] if item_versions else None
        yield {
            "platform": item["platform"],
            "account": item["account"],
            "kind": item["kind"],
            "id": item["id"],
            "parent_id": item["parent_id"],
            "thread_id": item["thread_id"],
            "direction": item["direction"],
            "author": {"id": item["author_id"], "name": item["author_name"]},
            "text": item["text"],
            "created_at": item["created_at"],
            "edited_at": item["edited_at"],
            "url": item["url"],
            "first_seen_at": item["first_seen_at"],
            "last_seen_at": item["last_seen_at"],
            "deleted_at": item["deleted_at"],
            "versions": [
                {
                    "version": v["version"],
                    "seen_at": v["seen_at"],
                    "text": v["text"],
                    "edited_at": v["edited_at"],
                    "media": _media_of(v, links),
                    "sha256": v["sha256"],
                }
                for v in item_versions[:-1]
            ],
            "media": _media_of(current, links) if current else list(links.values()),
            "flags": flags.get(key, []),
            "registry_numbers": numbers.get(key, []),
            "extra": json.loads(item["extra"]) if item["extra"] else {},
            "sha256": item["sha256"],
            "disposal": disposals.get(key),
        }


def _media_of(version: dict[str, Any], links: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Resolve a version's media keys to the media objects of the record contract."""
    keys = json.loads(version["media"] or "[]")
    return [links.get(key) or {"key": key, "sha256": None, "mime_type": None, "size": None,
                               "source_url": None, "path": None} for key in keys]  # fmt: skip


def _pairs_in(platform_column: str, id_column: str) -> str:
    """Return an SQL test that (platform, id) is one of the pairs in a JSON array parameter."""
    return (
        f"({platform_column}, {id_column}) IN (SELECT json_extract(value, '$[0]'),"
        " json_extract(value, '$[1]') FROM json_each(?))"
    )


def _in(values: Sequence[str]) -> str:
    """Render a constant tuple of strings as an SQL list (only for module constants)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _dicts(db: Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def stream_state(db: Database, account: str, stream: str) -> dict[str, Any] | None:
    """Return the stored state of one account's stream (status, message, updated_at), if any."""
    rows = _dicts(
        db, "SELECT * FROM stream_state WHERE account = ? AND stream = ?", [account, stream]
    )
    return rows[0] if rows else None


MEDIA_RETRIES = 10  # runs that try a passing media failure again before only a re-read does


def pending_media(db: Database, account: str, *, limit: int = 200) -> list[MediaRef]:
    """Attachments of the account not downloaded yet: never tried (a run ended first), or
    failed in a way that may pass (tried again a few runs while the stored URL lives)."""
    rows = db.execute(
        "SELECT media_key, max(source_url), max(kind) FROM item_media"
        " WHERE sha256 IS NULL AND (last_error IS NULL OR (retry = 1 AND attempts < ?))"
        " AND EXISTS (SELECT 1 FROM items"
        "  WHERE items.platform = item_media.platform AND items.id = item_media.item_id"
        "  AND items.account = ?)"
        " GROUP BY media_key ORDER BY media_key LIMIT ?",
        [MEDIA_RETRIES, account, limit],
    ).fetchall()
    return [MediaRef(key=key, source_url=url, kind=kind or "image") for key, url, kind in rows]


def missing_media_count(db: Database, account: str) -> int:
    """How many of the account's attachments have no stored file yet."""
    row = db.execute(
        "SELECT count(DISTINCT media_key) FROM item_media WHERE sha256 IS NULL AND EXISTS"
        " (SELECT 1 FROM items WHERE items.platform = item_media.platform"
        "  AND items.id = item_media.item_id AND items.account = ?)",
        [account],
    ).fetchone()
    return int(row[0])


def quarantined_count(db: Database, account: str) -> int:
    """How many of the account's items wait in quarantine (0 while no quarantine table exists)."""
    if not db["quarantine"].exists():
        return 0
    columns = {column.name for column in db["quarantine"].columns}
    if "account" not in columns:
        return 0
    open_only = "".join(
        f" AND {name} IS NULL" for name in ("resolved_at", "released_at") if name in columns
    )
    sql = f"SELECT count(*) FROM quarantine WHERE account = ?{open_only}"
    return int(db.execute(sql, [account]).fetchone()[0])


def run_totals(db: Database) -> dict[str, dict[str, Any]]:
    """Per account: its finished runs counted by status, and requests and retries summed."""
    totals: dict[str, dict[str, Any]] = {}
    rows = db.execute(
        "SELECT account, status, count(*), sum(requests), sum(retries) FROM runs"
        " WHERE status != 'running' GROUP BY account, status ORDER BY account, status"
    )
    for account, status, count, requests, retries in rows:
        entry = totals.setdefault(account, {"runs": {}, "requests": 0, "retries": 0})
        entry["runs"][status] = int(count)
        entry["requests"] += int(requests or 0)
        entry["retries"] += int(retries or 0)
    return totals


def assemble_records(db: Database, items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Item rows (the columns `export_items` reads) as record-contract dicts."""
    return _assemble(db, items)
