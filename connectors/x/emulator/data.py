"""What the X emulator holds: users, tweets with their edit chains, media and DM events.

Ids are snowflakes made from the creation time, as on X, so `since_id` and the age of an id
work as they do there. Editing a tweet adds a version with a new id to its chain (every
version then lists the whole chain in `edit_history_tweet_ids`, oldest first) and timelines
show only the newest version; deleting a tweet deletes every version.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

TWITTER_EPOCH_MS = 1288834974657
EDITS_FROM = datetime(2022, 9, 1, tzinfo=UTC)  # tweets before this have no edit history


def x_time(moment: datetime) -> str:
    """A time as X writes it: UTC with milliseconds (`2026-12-01T10:00:00.000Z`)."""
    u = moment.astimezone(UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"


@dataclass
class XAccount:
    """One emulated X account and everything around it."""

    user: dict[str, Any]
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)  # every version, by id
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # others, by id
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # by media_key
    dm_events: list[dict[str, Any]] = field(default_factory=list)  # newest first
    deleted: set[str] = field(default_factory=set)
    hidden_users: set[str] = field(default_factory=set)  # withheld: never in includes
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def id(self) -> str:
        """The account's user id."""
        return str(self.user["id"])

    @property
    def username(self) -> str:
        """The account's handle."""
        return str(self.user["username"])

    def new_id(self, moment: datetime) -> str:
        """A fresh snowflake id made at `moment`."""
        millis = int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS
        return str((millis << 22) | (next(self._seq) & 0x3FFFFF))

    def user_by_id(self, ident: str) -> dict[str, Any] | None:
        """The account or another user, by id."""
        return self.user if ident == self.id else self.users.get(ident)

    def add_user(self, ident: str, name: str, username: str, **fields: Any) -> dict[str, Any]:
        """Add another user (a citizen writing to the account)."""
        user = {"id": ident, "name": name, "username": username, "protected": False, **fields}
        self.users[ident] = user
        return user

    # --- tweets ------------------------------------------------------------------------------

    def add_tweet(
        self,
        author: str,
        text: str,
        moment: datetime,
        *,
        reply_to: str | None = None,
        media: list[dict[str, Any]] | None = None,
        mentions: list[str] = (),  # type: ignore[assignment]
        lang: str = "sv",
    ) -> dict[str, Any]:
        """Add a tweet by `author` (a user id); `reply_to` makes it a reply in that thread."""
        with self._lock:
            ident = self.new_id(moment)
            tweet: dict[str, Any] = {
                "id": ident,
                "text": text,
                "author_id": author,
                "created_at": x_time(moment),
                "conversation_id": ident,
                "lang": lang,
                "possibly_sensitive": False,
                "reply_settings": "everyone",
                "public_metrics": {
                    "retweet_count": 0,
                    "reply_count": 0,
                    "like_count": 0,
                    "quote_count": 0,
                    "bookmark_count": 0,
                    "impression_count": 0,
                },
            }
            if moment >= EDITS_FROM:
                tweet["edit_history_tweet_ids"] = [ident]
                tweet["edit_controls"] = {
                    "edits_remaining": 5,
                    "is_edit_eligible": not media,
                    "editable_until": x_time(moment + timedelta(hours=1)),
                }
            handles = list(mentions)
            if reply_to is not None:
                parent = self.tweets[reply_to]
                tweet["conversation_id"] = parent["conversation_id"]
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
                tweet["in_reply_to_user_id"] = parent["author_id"]
                parent_author = self.user_by_id(str(parent["author_id"]))
                if parent_author and parent_author["username"] not in handles:
                    handles.insert(0, parent_author["username"])
                parent["public_metrics"]["reply_count"] += 1
            if handles:
                tweet["entities"] = {
                    "mentions": [{"start": 0, "end": len(h) + 1, "username": h} for h in handles]
                }
            if media:
                for item in media:
                    self.media[item["media_key"]] = item
                tweet["attachments"] = {"media_keys": [m["media_key"] for m in media]}
            self.tweets[ident] = tweet
            return tweet

    def chain(self, ident: str) -> list[str]:
        """The edit chain the tweet `ident` belongs to (just itself without history)."""
        tweet = self.tweets[ident]
        return list(tweet.get("edit_history_tweet_ids") or [ident])

    def current(self, ident: str) -> dict[str, Any]:
        """The newest version of the tweet `ident`."""
        return self.tweets[self.chain(ident)[-1]]

    def edit(self, ident: str, text: str, moment: datetime | None = None) -> dict[str, Any]:
        """Edit a tweet: a new version with a new id joins its chain; returns the new version."""
        with self._lock:
            old = self.current(ident)
            when = moment or datetime.now(UTC)
            new_id = self.new_id(when)
            chain = [*self.chain(ident), new_id]
            version = {**old, "id": new_id, "text": text, "created_at": x_time(when)}
            controls = dict(old.get("edit_controls") or {})
            controls["edits_remaining"] = max(0, int(controls.get("edits_remaining", 5)) - 1)
            version["edit_controls"] = controls
            version["public_metrics"] = dict(old["public_metrics"])  # conversation_id is kept
            self.tweets[new_id] = version
            for each in chain:
                self.tweets[each]["edit_history_tweet_ids"] = chain
            return version

    def delete(self, ident: str) -> None:
        """Delete a tweet, every version of it."""
        with self._lock:
            self.deleted.update(self.chain(ident))

    def visible(self, ident: str) -> bool:
        """True when the tweet exists and is not deleted."""
        return ident in self.tweets and ident not in self.deleted

    def timeline(
        self,
        author: str | None = None,
        mentioning: str | None = None,
        conversations: set[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Live newest versions, newest first: by `author`, mentioning a handle, or in the
        given conversations."""
        with self._lock:
            found = []
            for tweet in self.tweets.values():
                ident = tweet["id"]
                if ident in self.deleted or self.chain(ident)[-1] != ident:
                    continue
                if author is not None and tweet["author_id"] != author:
                    continue
                if mentioning is not None:
                    handles = {
                        m["username"].lower()
                        for m in (tweet.get("entities") or {}).get("mentions", [])
                    }
                    if mentioning.lower() not in handles or tweet["author_id"] == self.id:
                        continue
                if conversations is not None and tweet["conversation_id"] not in conversations:
                    continue
                found.append(tweet)
            return sorted(found, key=lambda t: int(t["id"]), reverse=True)

    # --- direct messages ---------------------------------------------------------------------

    def add_dm(self, sender: str, other: str, text: str, moment: datetime) -> dict[str, Any]:
        """Add a direct message between the account and `other` (sent by `sender`)."""
        with self._lock:
            low, high = sorted((int(self.id), int(other)))
            event = {
                "id": self.new_id(moment),
                "event_type": "MessageCreate",
                "text": text,
                "sender_id": sender,
                "dm_conversation_id": f"{low}-{high}",
                "created_at": x_time(moment),
                "participant_ids": [self.id, other],
            }
            self.dm_events.append(event)
            self.dm_events.sort(key=lambda e: int(e["id"]), reverse=True)
            return event
