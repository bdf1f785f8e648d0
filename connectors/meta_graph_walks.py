"""The walks both Graph connectors (Facebook, Instagram) make, written once.

Times and high-water marks of a walk, its resumable batches, the rest of a nested edge,
a conversations walk that stops at the cursor, and the pieces of a re-read: which stored
items to read again, and a Graph batch read that tells "gone" from every other failure.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.meta_graph import (
    BATCH_LIMIT,
    CursorExpired,
    Dialect,
    GraphClient,
    ObjectMissing,
    Page,
    classify,
    failure_from_envelope,
)
from connectors.model import (
    Batch,
    ItemRef,
    Quarantined,
    Record,
    Tombstone,
    parse_utc,
    utc_iso,
)

Entry = Record | Tombstone | Quarantined


def created_of(raw: Mapping[str, Any], key: str) -> str | None:
    """A raw item's time under `key` as stored (UTC ISO), or None when none is usable."""
    try:
        return utc_iso(parse_utc(raw.get(key)))
    except (TypeError, ValueError):
        return None


def later(a: str | None, b: str | None) -> str | None:
    """The later of two UTC ISO timestamps (either may be missing)."""
    if a is None or b is None:
        return a or b
    return max(a, b)


PART_RECORDS = 1_000  # a page's records are handed on in parts of about this many (see page_part)


def page_part(records: list[Entry], at_page: Mapping[str, Any] | None, high: str | None) -> Batch:
    """Records of a page before its end (a page of posts with all their comments can hold
    thousands), so that storing them starts while the page's later posts are read. It resumes
    at the same page (`at_page`: the paging parameters that asked for it, None for the first):
    what was stored from it is found unchanged."""
    return Batch(records, resume=json.dumps({"next": dict(at_page) if at_page else None,
                                             "hw": high}))  # fmt: skip


def page_batch(
    records: list[Entry], page: Page, high: str | None, *, last: bool,
    passed_over: tuple[str, ...] = (),
) -> Batch:  # fmt: skip
    """A walk's batch: resume after this page, and on the last page the new high-water mark."""
    if last or page.next_params is None:
        return Batch(records, high_water=high, final=True, passed_over=passed_over)
    resume = json.dumps({"next": page.next_params, "hw": high})
    return Batch(records, resume=resume, passed_over=passed_over)


def nested_edge(
    client: GraphClient, nested: dict[str, Any], path: str, params: dict[str, Any], *,
    stream: str,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The items of a nested edge's first page, then of every further page of `path`.

    A paging cursor that died under us (its item was deleted) lists the edge again from its
    start: callers drop the items they have seen.
    """
    first = Page.from_body(nested)
    yield from first.data
    if not first.next_params:
        return
    try:
        for page in client.pages(path, {**params, **first.next_params}, stream=stream):
            yield from page.data
    except CursorExpired:
        for page in client.pages(path, params, stream=stream):
            yield from page.data


def walk_conversations(
    client: GraphClient, path: str, params: dict[str, Any], cursor: str | None,
    resume: str | None, take: Callable[[dict[str, Any]], list[Entry]],
) -> Iterator[Batch]:  # fmt: skip
    """Conversations by newest activity, stopping at the cursor (newest updated_time seen);
    `take` turns one conversation into its records."""
    state: dict[str, Any] = json.loads(resume) if resume else {}
    params = {**params, **(state.get("next") or {})}
    high: str | None = later(state.get("hw"), cursor)
    for page in client.pages(path, params, stream="messages"):
        records: list[Entry] = []
        reached = False
        for conversation in page.data:
            updated = created_of(conversation, "updated_time")
            if cursor and updated and updated < cursor:
                reached = True
                break
            records.extend(take(conversation))
            high = later(high, updated)
        yield page_batch(records, page, high, last=reached or page.next_params is None)
        if reached:
            return


@dataclass
class Refs:
    """Stored items to read again: posts by id, their comments by post, comments without one."""

    posts: dict[str, ItemRef]
    comments: dict[str, dict[str, ItemRef]] = field(default_factory=dict)
    orphans: list[ItemRef] = field(default_factory=list)

    @classmethod
    def of(cls, refs: Sequence[ItemRef]) -> Refs:
        """Group the refs the runner hands over."""
        posts = {r.id: r for r in refs if r.kind == "post"}
        comments: dict[str, dict[str, ItemRef]] = defaultdict(dict)
        for ref in refs:
            if ref.kind in ("comment", "reply"):
                comments[ref.thread_id or ""][ref.id] = ref
        orphans = [c for thread, by_id in comments.items() if thread not in posts
                   for c in by_id.values()]  # fmt: skip
        return cls(posts, comments, orphans)

    def changed(self, listed: Mapping[str, str | None]) -> list[ItemRef]:
        """The posts to read in full after a span's listing (id -> marker): new ones, those
        whose marker moved or is unknown, and stored ones the listing no longer shows."""
        targets = [
            self.posts.get(post_id) or ItemRef("post", post_id)
            for post_id, marker in listed.items()
            if post_id not in self.posts or marker is None or self.posts[post_id].marker != marker
        ]
        return targets + [ref for post_id, ref in self.posts.items() if post_id not in listed]


def batch_read(
    client: GraphClient, refs: Sequence[ItemRef], url: Callable[[ItemRef], str], *,
    dialect: Dialect, stream: str = "posts",
) -> list[tuple[ItemRef, dict[str, Any] | None]]:  # fmt: skip
    """Read up to 50 objects by Graph batch: (ref, body), body None when Graph says it is
    gone; any other failure raises its typed error."""
    if len(refs) > BATCH_LIMIT:
        raise ValueError(f"a Graph batch takes at most {BATCH_LIMIT} requests")
    answers = client.batch([url(ref) for ref in refs])
    read: list[tuple[ItemRef, dict[str, Any] | None]] = []
    for ref, (status, body) in zip(refs, answers, strict=True):
        if status == 200 and isinstance(body, dict) and body.get("id"):
            read.append((ref, body))
            continue
        error = classify(failure_from_envelope(body, status), stream=stream, dialect=dialect)
        if not isinstance(error, ObjectMissing):
            raise error
        read.append((ref, None))
    return read


def tombstone(platform: str, account: str, ref: ItemRef) -> Tombstone:
    """The tombstone of a stored item the platform no longer has."""
    return Tombstone(platform=platform, account=account, kind=ref.kind, id=ref.id)
