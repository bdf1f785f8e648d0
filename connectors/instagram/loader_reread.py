"""Re-reading stored Instagram posts in mode `instaloader`: edits, deletions, comments.

The timeline is listed from the newest post down to the span (12 posts a request), which shows
every post's current caption and comment count (its change marker) at a fraction of reading each
post; when the span lies so deep that listing would cost more than reading its posts one by one,
the rest are read by id. A post neither listed nor readable is gone (a tombstone, with its
comments). A post whose marker moved (or that has no marker yet) has its comments read again,
and the stored comments no longer among them become tombstones. Posts of the span that were
never stored are archived with their comments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from connectors.instagram.loader_normalize import epoch, is_pinned, marker_of, media_id
from connectors.model import Batch, ItemRef, Quarantined, Record, Span, Tombstone

if TYPE_CHECKING:
    from connectors.instagram.loader import LoaderWalk

Entry = Record | Tombstone | Quarantined
LISTING_SLACK = 12  # listed posts beyond the span's own before reading by id is cheaper


def refetch(walk: LoaderWalk, refs: Sequence[ItemRef], span: Span | None) -> Iterator[Batch]:
    """Yield each re-read post with its comments, and tombstones for what is gone."""
    posts = {r.id: r for r in refs if r.kind == "post"}
    replies: dict[str, list[ItemRef]] = defaultdict(list)
    for ref in refs:
        if ref.kind in ("comment", "reply") and ref.thread_id:
            replies[ref.thread_id].append(ref)
    wanted = set(posts) | set(replies)
    listed, new = _listed(walk, span, wanted)
    platform, account = walk.connector.platform, walk.connector.account.key
    for post_id in [*sorted(wanted), *new]:
        raw = listed.get(post_id) or walk.read_post(post_id)
        if raw is None:
            gone = [Tombstone(platform, account, "post", post_id)]
            gone += [Tombstone(platform, account, r.kind, r.id) for r in replies[post_id]]
            yield Batch(gone)
            continue
        record = walk.connector.normalised("posts", "post", raw, {"mode": "instaloader"})
        if isinstance(record, Record):
            record = replace(record, marker=marker_of(raw))
        else:  # quarantined under the id the archive knows (not the media object's `id`)
            record = replace(record, id=post_id)
        entries: list[Entry] = [record]
        ref = posts.get(post_id)
        if ref is None or ref.marker != marker_of(raw):
            comments = walk.comments_of(raw, post_id)
            entries += comments
            if walk.logged_in:
                current = {e.id for e in comments if isinstance(e, Record)}
                entries += [Tombstone(platform, account, r.kind, r.id)
                            for r in replies[post_id] if r.id not in current]  # fmt: skip
        yield Batch(entries)
    yield Batch([], final=True)


def _listed(walk: LoaderWalk, span: Span | None,
            wanted: set[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:  # fmt: skip
    """Timeline posts down to the span: {id: raw} of those in it, and the span's unstored ones."""
    if span is None:
        return {}, []
    listed: dict[str, dict[str, Any]] = {}
    new: list[str] = []
    above = 0  # listed posts newer than the span: the price of reaching it
    after: str | None = None
    while True:
        nodes, after, more = walk.timeline_page(after)
        for raw in nodes:
            try:
                ident, created = media_id(raw), epoch(raw.get("taken_at"))
            except (TypeError, ValueError):
                continue  # a malformed item: the walk quarantines it, the re-read passes it
            if created < span.start:
                if not is_pinned(raw):
                    return listed, new
                continue
            if created >= span.end:
                above += 0 if is_pinned(raw) else 1
                continue
            listed[ident] = raw
            if ident not in wanted and ident not in new:
                new.append(ident)
        if not more or after is None or above > len(wanted) + LISTING_SLACK:
            return listed, new
