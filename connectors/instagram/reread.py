"""The Instagram re-read: edits and deletions, found by reading stored posts again.

Instagram gives no edited time: a caption edit is only visible as a changed caption. A post's
change marker (`normalize.change_marker`) covers its caption, its comment count and the text
and hidden state of its first comments. Without a span every ref'd post is read in full (by
Graph batch, 50 a request); with a span (the deep sweep) the span is listed cheaply first and
only posts whose marker moved, new posts and posts missing from the listing are read in full.
A post Graph no longer has is a tombstone with all its comments; a stored comment missing from
its post's current comments is read by id, and a tombstone only when Graph says it is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from connectors.base import TransientError
from connectors.instagram.client import INSTAGRAM
from connectors.instagram.normalize import (
    COMMENT_BASE_FIELDS,
    change_marker,
    listing_fields,
    media_fields,
)
from connectors.meta_graph import BATCH_LIMIT, ObjectMissing
from connectors.meta_graph_walks import Entry, Refs, batch_read, tombstone
from connectors.model import (
    Batch,
    ItemRef,
    Record,
    Span,
    Tombstone,
    item_id,
    parse_utc,
)

if TYPE_CHECKING:
    from connectors.instagram.connector import InstagramConnector


def with_marker(post: Record, raw: dict[str, Any], firsts: Iterable[dict[str, Any]]) -> Record:
    """The post carrying the change marker of what was just read in full."""
    return replace(post, marker=change_marker(raw, firsts))


def refetch(
    conn: InstagramConnector, refs: Sequence[ItemRef], span: Span | None
) -> Iterator[Batch]:
    """Yield the re-read of `refs`: all of them, or with a span only what changed in it."""
    stored = Refs.of(refs)
    targets = list(stored.posts.values()) if span is None else stored.changed(list_span(conn, span))
    yield from _read_posts(conn, targets, stored)


def list_span(conn: InstagramConnector, span: Span) -> dict[str, str | None]:
    """The media created in the span, newest first: id -> change marker (None: read it)."""
    params: dict[str, Any] = {"fields": listing_fields(), "limit": conn.listing_size}
    listed: dict[str, str | None] = {}
    try:
        for page in conn.client.pages(f"{conn.user_id}/media", params, stream="posts"):
            for raw in page.data:
                ident = item_id(raw.get("id"))
                if ident is None:
                    continue
                try:
                    created = parse_utc(raw.get("timestamp"))
                except (TypeError, ValueError):
                    listed[ident] = None
                    continue
                if created is not None and created >= span.end:
                    continue
                if created is not None and created < span.start:
                    return listed  # newest first: the rest is older than the span
                nested = raw.get("comments") if isinstance(raw.get("comments"), dict) else {}
                firsts = [c for c in nested.get("data") or [] if isinstance(c, dict)]
                listed[ident] = change_marker(raw, firsts)
    except ObjectMissing:
        raise _unreadable(conn) from None
    return listed


def _read_posts(conn: InstagramConnector, targets: list[ItemRef], stored: Refs) -> Iterator[Batch]:
    """Read posts in full by Graph batch, one stored batch per request."""
    fields = media_fields(conn.page_size)
    chunks = [targets[i : i + BATCH_LIMIT] for i in range(0, len(targets), BATCH_LIMIT)]
    for number, chunk in enumerate(chunks):
        records: list[Entry] = []
        to_confirm: list[ItemRef] = []
        read = batch_read(conn.client, chunk, lambda p: _url(conn, p, fields), dialect=INSTAGRAM)
        if len(chunk) > 1 and all(body is None for _, body in read):
            conn.still_readable(conn.user_id, _unreadable(conn))  # unlinked: no deletion
        for ref, body in read:
            comments = stored.comments.get(ref.id, {})
            if body is None:
                records.append(_tombstone(conn, ref))
                records.extend(_tombstone(conn, c) for c in comments.values())
                continue
            current = conn.post_with_comments(body, ref.id)
            records.extend(current)
            present = {e.id for e in current if isinstance(e, Record)}
            to_confirm += [c for cid, c in comments.items() if cid not in present]
        if number == len(chunks) - 1:
            to_confirm.extend(stored.orphans)
        records.extend(_confirm(conn, to_confirm))
        yield Batch(records, final=number == len(chunks) - 1)
    if not chunks:
        yield Batch(_confirm(conn, stored.orphans), final=True)


def _url(conn: InstagramConnector, ref: ItemRef, fields: str) -> str:
    return f"{conn.client.version}/{ref.id}?fields={fields}"


def _confirm(conn: InstagramConnector, refs: list[ItemRef]) -> list[Entry]:
    """Read comments by id (in batches): still there (e.g. hidden), or really gone?"""
    results: list[Entry] = []
    for start in range(0, len(refs), BATCH_LIMIT):
        chunk = refs[start : start + BATCH_LIMIT]
        url = lambda r: _url(conn, r, COMMENT_BASE_FIELDS)  # noqa: E731
        for ref, body in batch_read(conn.client, chunk, url, dialect=INSTAGRAM):
            if body is None:
                results.append(_tombstone(conn, ref))
                continue
            parent = ref.parent_id if ref.kind == "reply" else None
            context = conn.context(media_id=ref.thread_id or "", parent_id=parent)
            results.append(conn.normalised("posts", "comment", body, context))
    return results


def _unreadable(conn: InstagramConnector) -> TransientError:
    return TransientError(
        f"Instagram account {conn.user_id} cannot be read right now; its posts are not "
        "marked deleted",
        reason="instagram.account_unreadable",
        params={"account": conn.user_id},
    )


def _tombstone(conn: InstagramConnector, ref: ItemRef) -> Tombstone:
    return tombstone(conn.platform, conn.account.key, ref)
