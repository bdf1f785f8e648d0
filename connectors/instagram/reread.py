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

from collections import defaultdict
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
from connectors.instagram.walks import Entry
from connectors.meta_graph import BATCH_LIMIT, ObjectMissing, classify, failure_from_envelope
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
    posts = {r.id: r for r in refs if r.kind == "post"}
    comments: dict[str, dict[str, ItemRef]] = defaultdict(dict)
    for ref in refs:
        if ref.kind in ("comment", "reply"):
            comments[ref.thread_id or ""][ref.id] = ref
    orphans = [c for thread, by_id in comments.items() if thread not in posts
               for c in by_id.values()]  # fmt: skip
    if span is None:
        targets = list(posts.values())
    else:
        listed = list_span(conn, span)
        targets = [
            posts.get(post_id) or ItemRef("post", post_id)
            for post_id, marker in listed.items()
            if post_id not in posts or marker is None or posts[post_id].marker != marker
        ]
        targets += [ref for post_id, ref in posts.items() if post_id not in listed]
    yield from _read_posts(conn, targets, comments, orphans)


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


def _read_posts(
    conn: InstagramConnector,
    targets: list[ItemRef],
    comments: dict[str, dict[str, ItemRef]],
    orphans: list[ItemRef],
) -> Iterator[Batch]:
    """Read posts in full by Graph batch, one stored batch per request."""
    version = conn.client.version
    fields = media_fields(conn.page_size)
    chunks = [targets[i : i + BATCH_LIMIT] for i in range(0, len(targets), BATCH_LIMIT)]
    for number, chunk in enumerate(chunks):
        records: list[Entry] = []
        to_confirm: list[ItemRef] = []
        answers = conn.client.batch([f"{version}/{p.id}?fields={fields}" for p in chunk])
        if len(chunk) > 1 and all(status != 200 for status, _ in answers):
            _account_still_readable(conn)  # "gone" for all may mean the account is hidden
        for ref, (status, body) in zip(chunk, answers, strict=True):
            if status == 200 and isinstance(body, dict) and body.get("id"):
                current = conn.post_with_comments(body, ref.id)
                records.extend(current)
                present = {e.id for e in current if isinstance(e, Record)}
                to_confirm += [c for cid, c in comments[ref.id].items() if cid not in present]
                continue
            _raise_unless_missing(body, status)
            records.append(_tombstone(conn, ref))
            records.extend(_tombstone(conn, c) for c in comments[ref.id].values())
        if number == len(chunks) - 1:
            to_confirm.extend(orphans)
        records.extend(_confirm(conn, to_confirm))
        yield Batch(records, final=number == len(chunks) - 1)
    if not chunks:
        yield Batch(_confirm(conn, orphans), final=True)


def _confirm(conn: InstagramConnector, refs: list[ItemRef]) -> list[Entry]:
    """Read comments by id (in batches): still there (e.g. hidden), or really gone?"""
    results: list[Entry] = []
    version = conn.client.version
    for start in range(0, len(refs), BATCH_LIMIT):
        chunk = refs[start : start + BATCH_LIMIT]
        answers = conn.client.batch(
            [f"{version}/{r.id}?fields={COMMENT_BASE_FIELDS}" for r in chunk]
        )
        for ref, (status, body) in zip(chunk, answers, strict=True):
            if status == 200 and isinstance(body, dict) and body.get("id"):
                parent = ref.parent_id if ref.kind == "reply" else None
                context = conn.context(media_id=ref.thread_id or "", parent_id=parent)
                results.append(conn.normalised("posts", "comment", body, context))
                continue
            _raise_unless_missing(body, status)
            results.append(_tombstone(conn, ref))
    return results


def _raise_unless_missing(body: Any, status: int) -> None:
    """Raise the typed error of a failed read in a batch, unless it says "gone"."""
    error = classify(failure_from_envelope(body, status), stream="posts", dialect=INSTAGRAM)
    if not isinstance(error, ObjectMissing):
        raise error


def _unreadable(conn: InstagramConnector) -> TransientError:
    return TransientError(
        f"Instagram account {conn.user_id} cannot be read right now; its posts are not "
        "marked deleted",
        reason="instagram.account_unreadable",
        params={"account": conn.user_id},
    )


def _account_still_readable(conn: InstagramConnector) -> None:
    """Raise unless the account itself can be read: "does not exist" for every post of an
    account that was disconnected from its page is no deletion."""
    try:
        conn.client.request(conn.user_id, {"fields": "id"}, stream="posts")
    except ObjectMissing:
        raise _unreadable(conn) from None


def _tombstone(conn: InstagramConnector, ref: ItemRef) -> Tombstone:
    return Tombstone(platform=conn.platform, account=conn.account.key, kind=ref.kind, id=ref.id)
