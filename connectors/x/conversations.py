"""The `replies` stream: what others write in the account's own conversations.

X has no "replies to this post" endpoint; recent search finds them with `conversation_id:ID`
(the root post's id), for the last seven days only. Many conversations go into one query
(`conversation_id:A OR conversation_id:B ...`, up to the tier's query length), beside
`from:handle`, which finds the account's new posts (and so its new conversations) even when the
`posts` walk that saw them ended before this stream ran.

Each member of the search (a conversation, or `from`) remembers the newest id found for it.
A member never searched yet (a new conversation) is searched over the whole week, at once, in
the same walk; the others are searched in turns: one query a walk, with `since_id`, the group
chosen by the minute the walk starts in (spread evenly over the groups, and the cursor of an
idle poll stays as it was). So an idle poll costs one request whatever the number of
conversations, and each conversation is searched about every n-th poll for n groups (one group
for about a dozen posts a week at 512 characters). Direct replies to the account's posts arrive
through `mentions` on every poll anyway.

The cursor is the newest id the stream has seen (20 digits, so cursors order like ids and never
go back), a space, and JSON: `members` (id -> newest id found, `from` included). The walk's
resume token carries its plan (the queries, with what each covers), so a walk resumed in another
process asks the same queries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.model import Batch, Record, item_id
from connectors.x.normalize import newer_id, snowflake_at

if TYPE_CHECKING:
    from connectors.x.connector import XConnector

SEARCH_DAYS = 7  # recent search reaches back this far
MARGIN = timedelta(minutes=10)  # a since_id this close to the edge is dropped, not refused
FROM = "from"  # the member for the account's own new posts

Plan = list[tuple[list[str], str | None]]  # (members, since_id) per query


def _state(cursor: str | None) -> dict[str, Any]:
    """The stored cursor's parts ({} for none or an unreadable one: start afresh)."""
    if not cursor:
        return {}
    high, _, text = cursor.partition(" ") if cursor[:1].isdigit() else ("", "", cursor)
    try:
        state = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    return {**state, "high": high.lstrip("0") or None}


def chunks(members: list[str], handle: str, length: int) -> list[list[str]]:
    """Members grouped so that each group's query has at most `length` characters."""
    groups: list[list[str]] = []
    size = 0
    for member in members:
        clause = len(_clause(member, handle)) + 4  # " OR "
        if groups and size + clause <= length + 4:
            groups[-1].append(member)
            size += clause
        else:
            groups.append([member])
            size = clause
    return groups


def _clause(member: str, handle: str) -> str:
    return f"from:{handle}" if member == FROM else f"conversation_id:{member}"


def query(members: list[str], handle: str) -> str:
    """The search query covering these members."""
    return " OR ".join(_clause(m, handle) for m in members)


def _oldest(ids: list[str | None]) -> str | None:
    """The smallest id (None when any is None: that member was never searched)."""
    if not ids or any(i is None for i in ids):
        return None
    return min((i for i in ids if i), key=lambda i: (len(i), i), default=None)


def turn_of(moment: datetime) -> int:
    """The walk's turn: a number drawn from the minute it starts in (evenly spread)."""
    minute = int(moment.timestamp() // 60)
    return int.from_bytes(hashlib.sha256(str(minute).encode()).digest()[:4], "big")


def plan_walk(members: dict[str, str | None], handle: str, length: int, turn: int) -> Plan:
    """This walk's queries: every never-searched member (whole week), then one group in turn."""
    order = sorted(members, key=lambda m: (m != FROM, -int(m) if m.isdigit() else 0))
    fresh = [m for m in order if members[m] is None]
    steady = [m for m in order if members[m] is not None]
    plan: Plan = [(group, None) for group in chunks(fresh, handle, length)]
    groups = chunks(steady, handle, length)
    if groups:
        group = groups[turn % len(groups)]
        plan.append((group, _oldest([members[m] for m in group])))
    return plan


def fetch_replies(connector: XConnector, cursor: str | None, resume: str | None) -> Iterator[Batch]:
    """Walk this poll's recent-search queries over the account's conversations."""
    state = _state(cursor)
    edge = snowflake_at(connector.clock() - timedelta(days=SEARCH_DAYS) + MARGIN)
    progress: dict[str, Any] = json.loads(resume) if resume else {}
    members: dict[str, str | None] = progress.get("members") or _members(state, edge)
    for post in connector.recent_posts:  # the posts walk of this run saw them
        if int(post) >= edge:
            members.setdefault(post, None)
    handle = connector.lookup_user()["username"]
    length = connector.options.search_query_length
    turn = turn_of(connector.clock())
    plan: Plan = (
        [(list(m), s) for m, s in progress["plan"]]
        if "plan" in progress
        else (plan_walk(members, handle, length, turn))
    )
    step = int(progress.get("step", 0))
    high: str | None = progress.get("high") or state.get("high")
    params: dict[str, Any] = {**connector.tweet_params(), "max_results": 100}
    while step < len(plan):
        group, since = plan[step]
        if since is not None and int(since) < edge:
            since = None  # search refuses a since_id older than its window
        start = progress.get("next") if progress.get("step") == step else None
        ask = {**params, **({"since_id": since} if since else {})}
        pages = connector.client.pages("search_recent_tweets", query(group, handle),
                                       stream="replies", token_key="next_token", start=start,
                                       **ask)  # fmt: skip
        for body in pages:
            records = connector.records_of("replies", body)
            _note(members, group, records, connector.user_id(), edge)
            for raw in body.get("data") or []:
                if isinstance(raw, dict):
                    high = newer_id(high, item_id(raw.get("id")))
            following = (body.get("meta") or {}).get("next_token")
            if not following:
                _searched(members, group)
                step += 1
                new = [p for p in connector.recent_posts if p not in members and int(p) >= edge]
                for post in new:  # conversations found now: searched whole in this walk
                    members[post] = None
                plan += [(g, None) for g in chunks(new, handle, length)]
            if step >= len(plan):
                yield Batch(records, high_water=_cursor(members, edge, high), final=True)
                return
            mark = {"members": members, "plan": plan, "step": step, "next": following, "high": high}
            yield Batch(records, resume=json.dumps(mark))
            if not following:
                break
    yield Batch([], high_water=_cursor(members, edge, high), final=True)


def _members(state: dict[str, Any], edge: int) -> dict[str, str | None]:
    """The stored members still inside the search window (`from` always)."""
    stored = state.get("members") if isinstance(state.get("members"), dict) else {}
    members: dict[str, str | None] = {FROM: None}
    for key, since in stored.items():
        ident = item_id(since) if since is not None else None
        if key == FROM or (str(key).isdigit() and int(key) >= edge):
            members[str(key)] = ident
    return members


def _note(members: dict[str, str | None], group: list[str], records: list[Any], own: str,
          edge: int) -> None:  # fmt: skip
    """Move the members of `group` past what this page found for them."""
    for record in records:
        if not isinstance(record, Record):
            continue
        current = record.marker.split("@", 1)[0] if record.marker else record.id
        conversation = record.thread_id or record.id
        if conversation in group:
            members[conversation] = newer_id(members[conversation], current)
        if FROM in group and record.author.id == own:
            members[FROM] = newer_id(members[FROM], current)


def _searched(members: dict[str, str | None], group: list[str]) -> None:
    """A member searched without a find is steady from now on: since its own id (a
    conversation's replies are newer than its root); `from` stays fresh until it finds one."""
    for member in group:
        if members.get(member) is None and member != FROM:
            members[member] = member


def _cursor(members: dict[str, str | None], edge: int, high: str | None) -> str:
    """The stream's cursor: the newest id seen, then the members inside the window."""
    live = {k: v for k, v in members.items() if k == FROM or int(k) >= edge}
    return f"{(high or '0').zfill(20)} {json.dumps({'members': live}, sort_keys=True)}"
