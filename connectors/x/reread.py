"""Re-reading stored tweets: the current version of each, and a tombstone for each one gone.

`get_tweets(ids=...)` reads up to 100 tweets per request. A deleted tweet comes back in the
answer's `errors` as a "Not Found Error" (problem type `.../resource-not-found`): that is a
tombstone. A tweet hidden for another reason (its author went protected or was suspended:
"Authorization Error", "Forbidden") is left as it is: it may come back and is not deleted.
Each tweet is asked for by its newest known version (`ItemRef.marker`); when X says the chain
has grown since (`edit_history_tweet_ids` ends in a newer id), that newest version is read too.

Every post read counts against the monthly cap of X's paid tiers, so a stored tweet is read again
only when it is due: the marker also says when it was last read (`<newest id>@<Unix seconds>`),
and a tweet is due again after half its age (at least an hour, at most 30 days; the account
key `recheck_share` sets the share, 0 for every run). A day-old post
is checked every 12 hours, a month-old one every two weeks; edits of recent posts arrive through
the timeline anyway (an edit is a new id, newer than the cursor).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.model import Batch, ItemRef, Record, Tombstone, item_id
from connectors.x.normalize import flatten, newest_id

if TYPE_CHECKING:
    from connectors.x.connector import XConnector

LOOKUP_LIMIT = 100
NOT_FOUND = "resource-not-found"
TWEET_KINDS = frozenset({"post", "comment", "reply"})
MIN_RECHECK = timedelta(hours=1)
MAX_RECHECK = timedelta(days=30)


def stamped(record: Record, now: datetime) -> Record:
    """`record` with its marker saying when it was read (`<newest id>@<Unix seconds>`)."""
    if record.marker is None:
        return record
    return replace(record, marker=f"{record.marker.split('@', 1)[0]}@{int(now.timestamp())}")


def asked_id(ref: ItemRef) -> str:
    """The id to ask X for: the newest version the marker names, else the stored id."""
    newest = (ref.marker or "").split("@", 1)[0]
    return newest if newest.isdigit() else ref.id


def due(ref: ItemRef, now: datetime, share: float = 0.5) -> bool:
    """True when the stored tweet should be read again: `share` of its age has passed since
    it was last read (at least an hour, at most 30 days; share 0: always)."""
    checked = (ref.marker or "").partition("@")[2]
    if share <= 0 or not checked.isdigit():
        return True
    age = now - ref.created_at if ref.created_at is not None else MIN_RECHECK
    interval = min(max(age * share, MIN_RECHECK), MAX_RECHECK)
    return now.timestamp() - int(checked) >= interval.total_seconds()


def gone_ids(body: dict[str, Any]) -> set[str]:
    """The ids an answer's `errors` say do not exist (deleted), not merely hidden."""
    found: set[str] = set()
    for error in body.get("errors") or []:
        if not isinstance(error, dict):
            continue
        kind = str(error.get("type") or "")
        if NOT_FOUND in kind or error.get("title") == "Not Found Error":
            ident = item_id(error.get("resource_id")) or item_id(error.get("value"))
            if ident is not None:
                found.add(ident)
    return found


def refetch(connector: XConnector, refs: Sequence[ItemRef]) -> Iterator[Batch]:
    """Batches of current records and tombstones for the stored tweets in `refs`."""
    now = connector.clock()
    share = connector.options.recheck_share
    wanted = [r for r in refs if r.kind in TWEET_KINDS and due(r, now, share)]
    chunks = [wanted[i : i + LOOKUP_LIMIT] for i in range(0, len(wanted), LOOKUP_LIMIT)]
    for number, chunk in enumerate(chunks):
        yield Batch(_read(connector, chunk), final=number == len(chunks) - 1)
    if not chunks:
        yield Batch([], final=True)


def _read(connector: XConnector, refs: Sequence[ItemRef]) -> list[Any]:
    """Read one chunk of refs (and, where the chain grew, their newest versions)."""
    by_asked = {asked_id(ref): ref for ref in refs}
    entries: list[Any] = []
    asked = list(by_asked)
    for _ in range(2):  # the chunk, then the newer versions X pointed to
        body = connector.client.call(
            "get_tweets", ids=asked, stream="posts", **connector.tweet_params()
        )
        newer: list[str] = []
        context = connector.context()
        for raw in flatten(body):
            ident, latest = item_id(raw.get("id")), newest_id(raw)
            if ident is not None and latest is not None and latest != ident:
                by_asked[latest] = by_asked.get(ident) or by_asked.get(latest)  # type: ignore[assignment]
                newer.append(latest)
                continue
            entry = connector.normalised("posts", "tweet", raw, context)
            entries.append(
                stamped(entry, connector.clock()) if isinstance(entry, Record) else entry
            )
        for ident in gone_ids(body):
            ref = by_asked.get(ident)
            if ref is not None:
                entries.append(
                    Tombstone(connector.platform, connector.account.key, ref.kind, ref.id)
                )
        if not newer:
            break
        asked = newer
    return entries
