"""Re-reading stored tweets: the current version of each, and a tombstone for each one gone.

`get_tweets(ids=...)` reads up to 100 tweets per request. A deleted tweet comes back in the
answer's `errors` as a "Not Found Error" (problem type `.../resource-not-found`): that is a
tombstone. A tweet hidden for another reason (its author went protected or was suspended:
"Authorization Error", "Forbidden") is left as it is: it may come back and is not deleted.
Each tweet is asked for by its newest known version (`ItemRef.marker`); when X says the chain
has grown since (`edit_history_tweet_ids` ends in a newer id), that newest version is read too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from connectors.model import Batch, ItemRef, Tombstone, item_id
from connectors.x.normalize import flatten, newest_id

if TYPE_CHECKING:
    from connectors.x.connector import XConnector

LOOKUP_LIMIT = 100
NOT_FOUND = "resource-not-found"
TWEET_KINDS = frozenset({"post", "comment", "reply"})


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
    wanted = [r for r in refs if r.kind in TWEET_KINDS]
    chunks = [wanted[i : i + LOOKUP_LIMIT] for i in range(0, len(wanted), LOOKUP_LIMIT)]
    for number, chunk in enumerate(chunks):
        yield Batch(_read(connector, chunk), final=number == len(chunks) - 1)
    if not chunks:
        yield Batch([], final=True)


def _read(connector: XConnector, refs: Sequence[ItemRef]) -> list[Any]:
    """Read one chunk of refs (and, where the chain grew, their newest versions)."""
    by_asked = {ref.marker or ref.id: ref for ref in refs}
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
            entries.append(entry)
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
