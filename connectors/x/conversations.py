"""The `replies` stream: what others write in the account's own conversations.

X has no "replies to this post" endpoint; recent search finds them with `conversation_id:ID`
(the root post's id), for the last seven days only. One query asks, with `since_id`, for the
account's new posts (`from:handle`) and for what is new in the conversations the stream knows
(`OR conversation_id:A OR ...`, up to the tier's query length); a conversation new to the
stream (a post found so, or by this run's `posts` walk) is then searched whole once. An idle
poll costs one request per query: one for an account with about a dozen posts a week at 512
characters.

The cursor is JSON: `since` (the newest id seen) and `conversations` (the account's posts of
the last seven days); the walk's resume token also carries the conversations found so far, so
a walk resumed in another process misses none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from connectors.model import Batch, item_id
from connectors.x.normalize import newer_id, snowflake_at

if TYPE_CHECKING:
    from connectors.x.connector import XConnector

SEARCH_DAYS = 7  # recent search reaches back this far
MARGIN = timedelta(minutes=10)  # a since_id this close to the edge is dropped, not refused


def _state(cursor: str | None) -> dict[str, Any]:
    """The stored cursor's parts ({} for none or an unreadable one: start afresh)."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def queries(clauses: list[str], length: int) -> list[str]:
    """The clauses joined by OR into queries of at most `length` characters each."""
    found: list[str] = []
    current = ""
    for clause in clauses:
        joined = f"{current} OR {clause}" if current else clause
        if current and len(joined) > length:
            found.append(current)
            joined = clause
        current = joined
    if current:
        found.append(current)
    return found


def _conversations(ids: set[str]) -> list[str]:
    """`conversation_id:` clauses, newest conversation first."""
    return [f"conversation_id:{c}" for c in sorted(ids, key=int, reverse=True)]


def fetch_replies(
    connector: XConnector, cursor: str | None, resume: str | None
) -> Iterator[Batch]:
    """Walk recent search: new posts of the account and new replies in its known
    conversations (`since_id`), then every reply of conversations new to the stream."""
    state = _state(cursor)
    edge = snowflake_at(connector.clock() - timedelta(days=SEARCH_DAYS) + MARGIN)
    recent = lambda ids: {c for c in ids if c.isdigit() and int(c) >= edge}  # noqa: E731
    known = recent({str(c) for c in state.get("conversations") or [] if item_id(c)})
    since = item_id(state.get("since"))
    if since is not None and (not since.isdigit() or int(since) < edge):
        since = None  # search refuses a since_id older than its window: read the window whole
    progress: dict[str, Any] = json.loads(resume) if resume else {}
    phase = int(progress.get("phase", 0))
    high = progress.get("hw") or since
    found = {str(c) for c in progress.get("found") or []}
    username = connector.lookup_user()["username"]
    length = connector.options.search_query_length
    params: dict[str, Any] = {**connector.tweet_params(), "max_results": 100}
    for number in (0, 1):
        if number < phase:
            continue
        if number == 0:  # the account's new posts, and what is new in its conversations
            texts, after = queries([f"from:{username}", *_conversations(known)], length), since
        else:  # conversations this stream did not know: all their replies of the week
            fresh = recent(found | connector.recent_posts) - known
            texts, after = queries(_conversations(fresh), length), None
        first = int(progress.get("query", 0)) if number == phase else 0
        token = progress.get("next") if number == phase else None
        for query_number, text in enumerate(texts):
            if query_number < first:
                continue
            ask = {**params, **({"since_id": after} if after else {})}
            start = token if query_number == first else None
            pages = connector.client.pages("search_recent_tweets", text, stream="replies",
                                           token_key="next_token", start=start, **ask)
            for body in pages:
                records = connector.records_of("replies", body)
                for raw in body.get("data") or []:
                    if isinstance(raw, dict):
                        high = newer_id(high, item_id(raw.get("id")))
                found |= connector.recent_posts
                following = (body.get("meta") or {}).get("next_token")
                if following:
                    mark = {"phase": number, "query": query_number, "next": following}
                elif query_number + 1 < len(texts):
                    mark = {"phase": number, "query": query_number + 1}
                elif number == 0:
                    mark = {"phase": 1}
                else:
                    yield Batch(records, high_water=_cursor(high, recent(known | found)),
                                final=True)
                    return
                mark.update(hw=high, found=sorted(recent(found)))
                yield Batch(records, resume=json.dumps(mark))
    yield Batch([], high_water=_cursor(high, recent(known | found)), final=True)


def _cursor(since: str | None, conversations: set[str]) -> str:
    return json.dumps({"since": since, "conversations": sorted(conversations, key=int)})
