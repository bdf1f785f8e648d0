"""The `replies` stream: what others write in the account's own conversations.

X has no "replies to this post" endpoint; recent search finds them with `conversation_id:ID`
(the root post's id), for the last seven days only. Many conversations go into one query
(`conversation_id:A OR conversation_id:B ...`, up to the tier's query length), and `since_id`
asks only for what is newer than the stream's cursor, so an idle poll costs one request per
query (one for an account with about a dozen posts in a week at 512 characters).

The cursor is JSON: `since` (the newest reply id seen) and `conversations` (the account's
root posts of the last seven days), so the next run knows them without re-reading the
timeline; the posts this run's `posts` walk saw are added to them.
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


def queries(conversations: list[str], length: int) -> list[str]:
    """`conversation_id:` clauses joined by OR, each query at most `length` characters."""
    found: list[str] = []
    current = ""
    for ident in conversations:
        clause = f"conversation_id:{ident}"
        joined = f"{current} OR {clause}" if current else clause
        if current and len(joined) > length:
            found.append(current)
            joined = clause
        current = joined
    if current:
        found.append(current)
    return found


def fetch_replies(connector: XConnector, cursor: str | None, resume: str | None) -> Iterator[Batch]:
    """Walk recent search over the account's conversations of the last seven days."""
    state = _state(cursor)
    edge = snowflake_at(connector.clock() - timedelta(days=SEARCH_DAYS) + MARGIN)
    listed = {str(c) for c in state.get("conversations") or [] if item_id(c)}
    recent = sorted(
        (c for c in listed | connector.recent_posts if c.isdigit() and int(c) >= edge),
        key=int,
        reverse=True,
    )
    since = item_id(state.get("since"))
    if since is not None and (not since.isdigit() or int(since) < edge):
        since = None  # search refuses a since_id older than its window: read the window whole
    progress: dict[str, Any] = json.loads(resume) if resume else {}
    high = progress.get("hw") or since
    done = int(progress.get("query", 0))
    texts = queries(recent, connector.options.search_query_length)
    params: dict[str, Any] = {**connector.tweet_params(), "max_results": 100}
    if since:
        params["since_id"] = since
    for number, query in enumerate(texts):
        if number < done:
            continue
        start = progress.get("next") if number == done else None
        pages = connector.client.pages(
            "search_recent_tweets",
            query,
            stream="replies",
            token_key="next_token",
            start=start,
            **params,
        )
        for body in pages:
            records = connector.records_of("replies", body)
            for raw in body.get("data") or []:
                if isinstance(raw, dict):
                    high = newer_id(high, item_id(raw.get("id")))
            following = (body.get("meta") or {}).get("next_token")
            if following:
                mark = {"query": number, "next": following, "hw": high}
            elif number + 1 < len(texts):
                mark = {"query": number + 1, "hw": high}
            else:
                yield Batch(records, high_water=_cursor(high, recent), final=True)
                return
            yield Batch(records, resume=json.dumps(mark))
    yield Batch([], high_water=_cursor(high, recent), final=True)  # no recent conversation


def _cursor(since: str | None, conversations: list[str]) -> str:
    return json.dumps({"since": since, "conversations": conversations})
