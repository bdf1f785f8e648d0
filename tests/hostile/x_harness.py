"""The X harness of `tests/hostile/harness.py`: planted posts, replies and DMs on `HostileX`.

Replies to the account's posts arrive through `mentions` (they mention the account), direct
messages through `messages` with the user token. A quarantined tweet is kept in the flattened
form the connector normalises (its author and media put inline: see `connectors/x/normalize.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.x.normalize import flatten
from tests.hostile.harness import Damage, FacebookHarness
from tests.hostile.server import json_response
from tests.hostile.x import (
    TOKEN,
    TOKEN_ENV,
    USER_ID,
    USER_TOKEN,
    USER_TOKEN_ENV,
    HostileX,
    snowflake,
    tweet,
)

LISTINGS = {"posts": rf"/2/users/{USER_ID}/tweets", "messages": r"/2/dm_events"}
START = datetime(2026, 11, 2, 8, tzinfo=UTC)


class XHarness:
    """The harness for X accounts, on `tests.hostile.x.HostileX`."""

    platform = "x"
    account = "hostile-x"
    env = {TOKEN_ENV: TOKEN, USER_TOKEN_ENV: USER_TOKEN}
    text_field = "text"  # where a planted post keeps its text
    listings = ("posts", "messages")  # the streams with a paged listing the tests turn hostile
    # the harness interface's generic parts, as Facebook's harness has them
    streams = FacebookHarness.streams
    overshoot = FacebookHarness.overshoot
    lengthen_texts = FacebookHarness.lengthen_texts
    with_text = FacebookHarness.with_text

    def __init__(self) -> None:
        self.x = HostileX()
        self.graph = self.x  # the tests reach the planted posts as `graph.posts`
        self.endpoint = ""

    def start(self) -> None:
        """Serve on loopback."""
        self.endpoint = self.x.start()

    def stop(self) -> None:
        """Stop serving."""
        self.x.stop()

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform table (endpoint, options) and the account with both tokens."""
        return ["[platforms.x]", f'endpoint = "{self.endpoint}"',
                *(f"{key} = {value!r}" for key, value in platform_options.items()),
                "[[accounts]]", f'key = "{self.account}"', 'platform = "x"', f'id = "{USER_ID}"',
                f'token_env = "{TOKEN_ENV}"', f'user_token_env = "{USER_TOKEN_ENV}"']  # fmt: skip

    # --- planting ----------------------------------------------------------------------------

    def plant_good(self, posts: int = 5, comments: int = 2, threads: int = 2) -> None:
        """Posts newest first, each with replies from citizens (in mentions), and DM threads."""
        for n in range(1, posts + 1):
            when = START - timedelta(hours=n)
            raw = tweet(n, when=when)
            self.x.tweets.append(raw)
            for c in range(comments):
                at = when + timedelta(minutes=5 + c)
                ident = snowflake(at, 2000 + n * 10 + c)
                self.x.mentions.append({
                    "id": ident, "text": f"@hostilekommun Kommentar {c}", "author_id": f"55{c}",
                    "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "conversation_id": raw["id"], "in_reply_to_user_id": USER_ID,
                    "referenced_tweets": [{"type": "replied_to", "id": raw["id"]}],
                    "edit_history_tweet_ids": [ident],
                })  # fmt: skip
        self.x.mentions.sort(key=lambda t: int(t["id"]), reverse=True)
        for t in range(threads):
            for m in range(3):
                at = START + timedelta(hours=1) - timedelta(hours=t, minutes=m)
                self.x.dm_events.append({
                    "id": snowflake(at, 3000 + t * 10 + m), "event_type": "MessageCreate",
                    "text": f"Fråga {m} i tråd {t}", "sender_id": f"77{t}",
                    "dm_conversation_id": f"77{t}-{USER_ID}",
                    "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                })  # fmt: skip

    def good_ids(self) -> set[str]:
        """Every planted id (posts, replies, messages) the archive must hold."""
        items = [*self.x.tweets, *self.x.mentions, *self.x.dm_events]
        return {raw["id"] for raw in items if isinstance(raw.get("id"), str)}

    def _served(self, raw: dict[str, Any]) -> dict[str, Any]:
        """`raw` as the connector keeps it: flattened with the includes the server sends."""
        includes = {"users": [self.x.user], "media": self.x.media}
        return flatten({"data": [raw], "includes": includes})[0]

    def plant_malformed(self, damage: str) -> Damage:
        """Damage the second post (or one of its replies, or a message) in the named way."""
        target = self.x.tweets[1]
        ident = target["id"]
        if damage == "time_in_words":
            target["created_at"] = "yesterday"
        elif damage == "time_as_number":
            target["created_at"] = 1764590400
        elif damage == "time_without_zone":
            target["created_at"] = "2026-10-31T09:00:00"
        elif damage == "id_object":
            target["id"] = {"value": ident}
            return Damage(None, "quarantined", "posts", self._served(target))
        elif damage == "text_object":
            target["text"] = {"text": "Inlägg som objekt"}
        elif damage == "attachments_text":
            target["attachments"] = "photo.jpg"
        elif damage == "lone_surrogate":
            target["text"] = "Trasig text \ud800 här"
            return Damage(ident, "repaired", "posts", self._served(target))
        elif damage == "comment_text_object":
            bad = next(t for t in self.x.mentions if t["conversation_id"] == ident)
            bad["text"] = {"text": "Kommentar som objekt"}
            return Damage(bad["id"], "quarantined", "mentions", self._served(bad))
        elif damage == "message_id_object":
            bad = self.x.dm_events[1]
            bad["id"] = {"value": bad["id"]}
            return Damage(None, "quarantined", "messages", dict(bad))
        else:
            raise ValueError(f"unknown damage {damage!r}")
        return Damage(ident, "quarantined", "posts", self._served(target))

    # --- hostile paging ----------------------------------------------------------------------

    def _items(self, stream: str) -> list[dict[str, Any]]:
        return self.x.tweets if stream == "posts" else self.x.dm_events

    def repeat_forever(self, stream: str) -> None:
        """Every page of `stream` brings the same items under a fresh `next_token`."""
        items = self._items(stream)

        def endless(request: Request, match: Any) -> Response:
            token = request.args.get("pagination_token") or "r0"
            following = f"r{int(token[1:]) + 1}" if token[1:].isdigit() else "r1"
            return json_response(
                {"data": items[:2], "meta": {"result_count": 2, "next_token": following}}
            )

        self.x.server.override(LISTINGS[stream], endless)

    def break_paging(self, stream: str) -> None:
        """`stream`'s listing says where its next page is with an object, not a token."""
        items = self._items(stream)

        def broken(request: Request, match: Any) -> Response:
            return json_response({"data": items, "meta": {"next_token": {"url": 1}}})

        self.x.server.override(LISTINGS[stream], broken)

    def unlisted_ids(self, stream: str) -> set[str]:
        """Good ids a hostile `repeat_forever`/`break_paging` of `stream` keeps from the walk
        (replies come through mentions, whatever the posts listing does)."""
        if stream == "posts":
            return {p["id"] for p in self.x.tweets[2:]} - {p["id"] for p in self.x.tweets[:2]}
        return {m["id"] for m in self.x.dm_events if isinstance(m.get("id"), str)}

    def requests_to(self, stream: str) -> int:
        """Requests the server got for `stream`'s listing."""
        return len(self.x.server.requests_to(LISTINGS[stream] + "$"))
