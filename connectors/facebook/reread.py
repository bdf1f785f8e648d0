"""The Facebook re-read: list a span of posts cheaply, read in full only what changed.

A post's change marker (`normalize.change_marker`) covers its `updated_time` (Graph moves it
on an edit and on every new comment), its comment count (moves on a deleted comment) and the
text of its first comments (an edited comment moves neither). The runner hands back the
marker stored with each post; a post whose listing gives another marker, a listed post that
is not stored, and a stored post missing from the listing are read in full by Graph batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from connectors.base import PermissionDenied, TransientError
from connectors.facebook.client import BATCH_LIMIT, FACEBOOK, ObjectMissing
from connectors.facebook.normalize import (
    COMMENT_FIELDS,
    change_marker,
    listing_fields,
    post_fields,
    without_comments,
)
from connectors.meta_graph_walks import Refs, batch_read, tombstone
from connectors.model import (
    Batch,
    ItemRef,
    Quarantined,
    Record,
    Span,
    Tombstone,
    item_id,
    parse_utc,
)

Entry = Record | Tombstone | Quarantined

if TYPE_CHECKING:
    from connectors.facebook.connector import FacebookConnector


def refetch(conn: FacebookConnector, refs: Sequence[ItemRef], span: Span | None) -> Iterator[Batch]:
    """Yield the re-read of `refs`: all of them, or with a span only what changed in it."""
    stored = Refs.of(refs)
    if span is None:
        targets = list(stored.posts.values())
    else:
        listed = list_span(conn, span, "published_posts")
        if any(post_id not in listed for post_id in stored.posts):  # visitors' posts: /feed
            listed |= {
                post_id: marker
                for post_id, marker in _feed_listing(conn, span).items()
                if post_id in stored.posts
            }
        targets = stored.changed(listed)
    yield from _read_posts(conn, targets, stored)


def _feed_listing(conn: FacebookConnector, span: Span) -> dict[str, str | None]:
    """The span of `/feed` (visitors' posts), or nothing when the token may not list it."""
    try:
        return list_span(conn, span, "feed")
    except PermissionDenied:
        return {}  # the posts are then read one by one


def list_span(conn: FacebookConnector, span: Span, edge: str) -> dict[str, str | None]:
    """List the posts of an edge created in the span: id -> change marker (None: read it)."""
    params: dict[str, Any] = {
        "fields": listing_fields(),
        "limit": conn.listing_size,
        "since": int(span.start.timestamp()),
        "until": math.ceil(span.end.timestamp()),
    }
    listed: dict[str, str | None] = {}
    try:
        for page in conn.client.pages(f"{conn.page_id}/{edge}", params, stream="posts"):
            for raw in page.data:
                ident = item_id(raw.get("id"))
                if ident is None:  # cannot be read by id: the walk quarantined it
                    continue
                try:
                    created = parse_utc(raw.get("created_time"))
                except (TypeError, ValueError):  # read in full: its normalisation decides
                    listed[ident] = None
                    continue
                if created is not None and not span.start <= created < span.end:
                    continue
                nested = raw.get("comments") if isinstance(raw.get("comments"), dict) else {}
                firsts = [c for c in nested.get("data") or [] if isinstance(c, dict)]
                listed[ident] = change_marker(raw, firsts)
    except ObjectMissing:
        raise _unreadable(conn) from None
    return listed


def with_marker(post: Record, comments: Sequence[Entry], raw_post: dict[str, Any]) -> Record:
    """Return the post carrying the change marker of what was just read in full."""
    raws = (c.raw for c in comments if not isinstance(c, Tombstone))
    return replace(post, marker=change_marker(raw_post, raws))


def _read_posts(conn: FacebookConnector, targets: list[ItemRef], stored: Refs) -> Iterator[Batch]:
    """Read posts in full by Graph batch (50 a request), one stored batch per request."""
    fields = post_fields(conn.comment_limit)
    version = conn.client.version
    chunks = [targets[i : i + BATCH_LIMIT] for i in range(0, len(targets), BATCH_LIMIT)]
    for number, chunk in enumerate(chunks):
        records: list[Entry] = []
        to_confirm: list[ItemRef] = []
        url = lambda p: f"{version}/{p.id}?fields={fields}"  # noqa: E731
        read = batch_read(conn.client, chunk, url, dialect=FACEBOOK)
        if len(chunk) > 1 and all(body is None for _, body in read):
            conn.still_readable(conn.page_id, _unreadable(conn))  # a hidden page: no deletion
        for ref, body in read:
            comments = stored.comments.get(ref.id, {})
            if body is None:
                records.append(_tombstone(conn, ref))
                records.extend(_tombstone(conn, c) for c in comments.values())
                continue
            context = {"page_id": conn.page_id}
            post = conn.normalised("posts", "post", without_comments(body), context)
            current = conn.comments_of(body, ref.id)
            if isinstance(post, Record):
                post = with_marker(post, current, body)
            records.append(post)
            records.extend(current)
            present = {c.id for c in current}
            to_confirm.extend(c for cid, c in comments.items() if cid not in present)
        if number == len(chunks) - 1:
            to_confirm.extend(stored.orphans)
        records.extend(_confirm(conn, to_confirm))
        yield Batch(records, final=number == len(chunks) - 1)
    if not chunks:
        yield Batch(_confirm(conn, stored.orphans), final=True)


def _unreadable(conn: FacebookConnector) -> TransientError:
    return TransientError(
        f"page {conn.page_id} cannot be read right now (unpublished or restricted?); "
        "its posts are not marked deleted",
        reason="facebook.page_unreadable",
        params={"page": conn.page_id},
    )


def _confirm(conn: FacebookConnector, refs: list[ItemRef]) -> list[Entry]:
    """Read comments one by one (in batches): still there, or really gone?"""
    results: list[Entry] = []
    version = conn.client.version
    url = lambda r: f"{version}/{r.id}?fields={COMMENT_FIELDS}"  # noqa: E731
    for start in range(0, len(refs), BATCH_LIMIT):
        for ref, body in batch_read(conn.client, refs[start : start + BATCH_LIMIT], url,
                                    dialect=FACEBOOK):  # fmt: skip
            if body is None:
                results.append(_tombstone(conn, ref))
                continue
            context = {"post_id": ref.thread_id or "", "page_id": conn.page_id}
            results.append(conn.normalised("posts", "comment", body, context))
    return results


def _tombstone(conn: FacebookConnector, ref: ItemRef) -> Tombstone:
    return tombstone(conn.platform, conn.account.key, ref)
