"""The YouTube re-read: stored videos and their comments read again, for edits and deletions.

Videos are read by id (`videos.list`, 50 a call): one YouTube no longer shows is a tombstone,
with its comments. Each video still shown has its comment threads listed again; a stored
comment missing from the listing is asked for by id (`comments.list(id=...)`) before it is
called gone, since listings can leave out comments held for review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from connectors.model import Batch, ItemRef, Quarantined, Record, Tombstone
from connectors.youtube.comments import comments_by_id

if TYPE_CHECKING:
    from connectors.youtube.connector import YouTubeConnector

Entry = Record | Tombstone | Quarantined
GROUP = 10  # videos (with their comments) per batch
STREAM = "posts"


def refetch(conn: YouTubeConnector, refs: Sequence[ItemRef]) -> Iterator[Batch]:
    """Yield the re-read of `refs` in batches of `GROUP` videos; the last one is final."""
    videos = [r for r in refs if r.kind in ("video", "post")]
    comments: dict[str, dict[str, ItemRef]] = defaultdict(dict)
    for ref in refs:
        if ref.kind in ("comment", "reply"):
            comments[ref.thread_id or ref.parent_id or ""][ref.id] = ref
    video_ids = {v.id for v in videos}
    orphans = [c for thread, of in comments.items() if thread not in video_ids
               for c in of.values()]  # fmt: skip
    fresh = conn.read_in_full  # read by this run's walk a moment ago: only confirm its gaps
    shown, unreadable = conn.videos_by_id([v.id for v in videos if v.id not in fresh], STREAM)
    groups = [videos[i : i + GROUP] for i in range(0, len(videos), GROUP)]
    first = True
    for group in groups:
        entries: list[Entry] = list(unreadable) if first else []
        first = False
        for ref in group:
            stored = comments.get(ref.id, {})
            if ref.id in fresh:
                listed_now = fresh[ref.id]
                entries.extend(_confirm(conn, [c for c in stored.values()
                                               if c.id not in listed_now]))  # fmt: skip
                continue
            raw = shown.get(ref.id)
            if raw is None and unreadable:  # one of those answers may be it: not called gone
                continue
            if raw is None:
                entries.append(_gone(conn, ref))
                entries.extend(_gone(conn, c) for c in stored.values())
                continue
            records, listed = conn.video_with_comments(raw, STREAM)
            entries.extend(records)
            if listed:
                found = {e.id for e in records if not isinstance(e, Tombstone)}
                entries.extend(_confirm(conn, [c for c in stored.values() if c.id not in found]))
        yield Batch(entries)
    yield Batch(_confirm(conn, orphans), final=True)


def _confirm(conn: YouTubeConnector, missing: list[ItemRef]) -> list[Entry]:
    """Ask for comments by id: those YouTube still has are records, the rest tombstones."""
    if not missing:
        return []
    present = comments_by_id(conn.client, [c.id for c in missing], STREAM)
    entries: list[Entry] = []
    for ref in missing:
        raw = present.get(ref.id)
        if raw is None:
            entries.append(_gone(conn, ref))
        else:
            context = {"channel_id": conn.channel_id, "video_id": ref.thread_id}
            entries.append(conn.normalised(STREAM, "comment", raw, context))
    return entries


def _gone(conn: YouTubeConnector, ref: ItemRef) -> Tombstone:
    return Tombstone(platform=conn.platform, account=conn.account.key, kind=ref.kind, id=ref.id)
