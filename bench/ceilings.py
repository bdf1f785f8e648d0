"""The benchmark's ceilings: each step of a first archive done alone, as plainly as it can be.

- plain fetch: the same `published_posts` walk with a plain `requests.Session` (same fields,
  page size and nested comments), JSON decoded, nothing else;
- normalise: the connector's pure normalisers over the decoded posts, then the row values
  somed stores (content hash over canonical JSON, compact JSON of `extra` and `raw`);
- same-schema insert: those rows into a scratch database made by somed's own migrations and
  opener (WAL, `synchronous=NORMAL`, busy timeout, foreign keys, every index, the FTS5
  triggers, the append-only versions), one transaction per page of posts as somed commits,
  multi-row INSERTs into `items` and `item_versions` (one FTS flush per statement). Only the
  SQL is timed.

The sum fetch + normalise + insert is what one thread doing the steps one after the other
would take; somed overlaps fetching with storing, so it can beat that sum.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import store_ceiling
from emulated import ACCOUNT, API_VERSION, PAGE_ID, PAGE_SIZE, TOKEN

from connectors.facebook.normalize import (
    COMMENT_FIELDS,
    normalize_comment,
    normalize_post,
    post_fields,
)
from connectors.model import Record, canonical_content_of, canonical_json, compact_json, utc_iso

Row = dict[str, Any]


@dataclass
class Fetched:
    posts: list[dict[str, Any]]
    items: int
    calls: int
    wall: float


def plain_fetch(base_url: str) -> Fetched:
    """Walk published_posts with plain requests (same fields, limit, page size); decode JSON."""
    session = requests.Session()
    base = f"{base_url}/{API_VERSION}"
    params: dict[str, Any] = {"access_token": TOKEN, "fields": post_fields(PAGE_SIZE),
                              "limit": PAGE_SIZE}  # fmt: skip
    posts: list[dict[str, Any]] = []
    items = calls = 0
    started = time.perf_counter()
    after: str | None = None
    while True:
        query = {**params, "after": after} if after else params
        body = session.get(f"{base}/{PAGE_ID}/published_posts", params=query, timeout=60).json()
        calls += 1
        for post in body["data"]:
            posts.append(post)
            comments = post.get("comments") or {}
            items += 1 + len(comments.get("data", []))
            more = (comments.get("paging") or {}).get("cursors", {}).get("after")
            while (comments.get("paging") or {}).get("next"):  # more than PAGE_SIZE comments
                comments = session.get(
                    f"{base}/{post['id']}/comments",
                    params={"access_token": TOKEN, "filter": "stream", "order": "chronological",
                            "fields": COMMENT_FIELDS, "limit": PAGE_SIZE, "after": more},
                    timeout=60,
                ).json()  # fmt: skip
                calls += 1
                post["comments"]["data"] += comments.get("data", [])
                items += len(comments.get("data", []))
                more = (comments.get("paging") or {}).get("cursors", {}).get("after")
        paging = body.get("paging") or {}
        if not paging.get("next"):
            break
        after = paging["cursors"]["after"]
    wall = time.perf_counter() - started
    session.close()
    return Fetched(posts, items, calls, wall)


def _records_of(raw: dict[str, Any]) -> list[Record]:
    post = normalize_post(raw, page_id=PAGE_ID, account=ACCOUNT)
    return [post] + [
        normalize_comment(c, post_id=post.id, page_id=PAGE_ID, account=ACCOUNT)
        for c in (raw.get("comments") or {}).get("data", [])
    ]


def media_urls(posts: list[dict[str, Any]]) -> list[str]:
    """The media URLs of decoded posts and their comments, as somed's normaliser finds them."""
    return [m.source_url for raw in posts for record in _records_of(raw) for m in record.media]


def plain_media_fetch(base_url: str, posts: list[dict[str, Any]]) -> tuple[int, float]:
    """Download each distinct media file of `posts` once with plain requests (not stored)."""
    paths = list(dict.fromkeys(urlsplit(url).path for url in media_urls(posts)))
    session = requests.Session()
    started = time.perf_counter()
    for path in paths:
        response = session.get(f"{base_url}{path}", timeout=60)
        response.raise_for_status()
        _ = response.content
    wall = time.perf_counter() - started
    session.close()
    return len(paths), wall


def normalise(posts: list[dict[str, Any]]) -> tuple[list[list[Record]], float]:
    """Normalise the decoded posts and their comments, grouped by page as somed's walk is."""
    started = time.perf_counter()
    pages = [
        [record for raw in posts[start : start + PAGE_SIZE] for record in _records_of(raw)]
        for start in range(0, len(posts), PAGE_SIZE)
    ]
    return pages, time.perf_counter() - started


@dataclass
class Rows:
    items: list[Row]
    versions: list[Row]


def prepare_rows(pages: list[list[Record]], now: str) -> tuple[list[Rows], float]:
    """Turn records into the `items` and `item_versions` rows of a first archive."""
    started = time.perf_counter()
    prepared: list[Rows] = []
    for page in pages:
        rows = Rows([], [])
        for record in page:
            created, edited = utc_iso(record.created_at), utc_iso(record.edited_at)
            extra = canonical_json(record.extra) if record.extra else "{}"
            content = canonical_content_of(record, created, edited, extra)
            sha = hashlib.sha256(content.encode("utf-8")).hexdigest()
            rows.items.append({
                "platform": record.platform, "id": record.id, "account": record.account,
                "kind": record.kind, "parent_id": record.parent_id,
                "thread_id": record.thread_id, "direction": record.direction,
                "author_id": record.author.id, "author_name": record.author.name,
                "text": record.text, "created_at": created,
                "edited_at": edited, "url": record.url, "first_seen_at": now,
                "last_seen_at": now, "deleted_at": None, "sha256": sha, "version_count": 1,
                "extra": extra,
            })  # fmt: skip
            rows.versions.append({
                "platform": record.platform, "item_id": record.id, "version": 1,
                "seen_at": now, "sha256": sha, "text": record.text,
                "edited_at": edited,
                "media": compact_json([m.key for m in record.media]) if record.media else "[]",
                "extra": extra, "raw": compact_json(record.raw),
            })  # fmt: skip
        prepared.append(rows)
    return prepared, time.perf_counter() - started


def same_schema_insert(pages: list[Rows], path: Path) -> tuple[int, float]:
    """Insert the rows into a fresh database with somed's schema and pragmas, a page per commit."""
    wall = store_ceiling.insert_pages([(p.items, p.versions) for p in pages], path)
    return sum(len(p.items) for p in pages), wall
