"""The X connector: profile, own posts, mentions, replies in the account's conversations, DMs.

Reads are precious on X's paid tiers, so every increment asks only for what is newer than the
stream's cursor (`since_id`, the newest id seen) and an idle poll costs one request per stream.
An endpoint the tier does not include answers 403: that stream is reported (`x.tier`), the
others go on. Direct messages need a user-context token (`user_token_env`/`user_token_file`);
without one the stream is skipped with `x.no_user_token`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any, ClassVar

import pydantic
import requests

from connectors.base import (
    AccountSpec,
    CheckResult,
    Clock,
    Connector,
    FatalError,
    PermissionDenied,
    PlatformSettings,
    StreamSpec,
)
from connectors.download import MediaLimits, Sink
from connectors.model import Batch, ItemRef, MediaRef, Record, Span, item_id
from connectors.x import conversations, reread
from connectors.x.capture import HINTS
from connectors.x.client import XClient
from connectors.x.normalize import (
    DM_EXPANSIONS,
    DM_FIELDS,
    EXPANSIONS,
    MEDIA_FIELDS,
    NORMALISERS,
    TWEET_FIELDS,
    USER_FIELDS,
    flatten,
    newer_id,
)

INTERVAL = timedelta(minutes=30)


class XOptions(pydantic.BaseModel):
    """The X keys of an `[[accounts]]` table."""

    model_config = pydantic.ConfigDict(strict=True, extra="forbid")

    # the longest search query the API tier takes (Basic 512, Pro 1,024): more conversations
    # fit in one `conversation_id:` search, so fewer requests find their replies
    search_query_length: int = pydantic.Field(default=512, ge=64, le=4096)
    # a stored post is read again once this share of its age has passed since it was last
    # read (0: on every run, as on platforms whose reads cost nothing)
    recheck_share: float = pydantic.Field(default=0.5, ge=0.0, le=1.0)


class XConnector(Connector):
    """Reads an X account through tweepy's v2 Client on the run's network layer."""

    platform: ClassVar[str] = "x"
    display_name: ClassVar[str] = "X"
    plain_downloads: ClassVar[bool] = True  # X media are plain GETs through the session
    streams: ClassVar[tuple[StreamSpec, ...]] = (
        StreamSpec("profile", "none", INTERVAL),
        StreamSpec("posts", "id", INTERVAL),
        StreamSpec("mentions", "id", INTERVAL, optional=True),
        StreamSpec("replies", "id", INTERVAL, optional=True),
        StreamSpec("messages", "id", INTERVAL, optional=True),
    )
    hosts: ClassVar[tuple[str, ...]] = (
        "api.twitter.com",
        "api.x.com",
        "pbs.twimg.com",  # photos, previews, profile pictures
        "video.twimg.com",  # videos and GIFs
        "*.twimg.com",
        "ton.twitter.com",  # DM attachments
    )
    normalisers = NORMALISERS
    capture_hints = HINTS
    options_model: ClassVar[type[pydantic.BaseModel] | None] = XOptions
    secret_names: ClassVar[tuple[str, ...]] = ("user_token",)

    def __init__(
        self,
        account: AccountSpec,
        settings: PlatformSettings,
        session: requests.Session,
        clock: Clock,
    ) -> None:
        super().__init__(account, settings, session, clock)
        user_token = account.secrets.get("user_token")
        self.client = XClient(
            account.token.reveal(),
            session,
            user_token=user_token.reveal() if user_token and user_token.reveal() else None,
            now=lambda: clock().timestamp(),
        )
        self.options = XOptions.model_validate(
            {k: v for k, v in account.options.items() if k in XOptions.model_fields}
        )
        self.page_size = max(5, min(100, settings.page_size))  # timelines take 5-100
        self.user: dict[str, Any] | None = None
        self.recent_posts: set[str] = set()  # own root posts this run saw (their conversations)

    # --- bookkeeping -------------------------------------------------------------------------

    def request_count(self) -> int:
        """Return how many HTTP requests this connector has made (downloads included)."""
        return self.client.requests_made

    def pause_hint(self) -> float:
        """Spread the last requests of a rate-limit window over the time it has left."""
        return self.client.windows.pause_hint()

    # --- the account -------------------------------------------------------------------------

    def lookup_user(self, stream: str = "profile") -> dict[str, Any]:
        """The account's user object (by id or handle), read once per run."""
        if self.user is not None:
            return self.user
        wanted = self.account.platform_id.lstrip("@")
        params = {"user_fields": USER_FIELDS}
        if wanted.isdigit():
            body = self.client.call("get_user", id=wanted, stream=stream, **params)
        else:
            body = self.client.call(
                "get_user_by_username", username=wanted, stream=stream, **params
            )
        data = body.get("data")
        if not isinstance(data, dict) or item_id(data.get("id")) is None:
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            detail = errors[0].get("detail") if errors and isinstance(errors[0], dict) else None
            raise FatalError(
                f"X account {self.account.platform_id} does not exist or cannot be read"
                + (f" ({detail})" if isinstance(detail, str) else "")
                + ": check the account's id",
                reason="x.user_missing",
                params={"user": self.account.platform_id},
            )
        self.user = data
        return data

    def user_id(self) -> str:
        """The account's numeric user id (its configured id, or looked up from the handle)."""
        wanted = self.account.platform_id.lstrip("@")
        return wanted if wanted.isdigit() else str(self.lookup_user()["id"])

    def context(self) -> dict[str, Any]:
        """What the normalisers need besides a raw item: whose account this is."""
        return {"user_id": self.user_id()}

    # --- contract ----------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Read the account, then probe each stream's endpoint once (cheaply) for the tier."""
        user = self.lookup_user()
        uid = str(user["id"])
        probes: tuple[tuple[str, str, tuple[Any, ...], dict[str, Any]], ...] = (
            ("posts", "get_users_tweets", (uid,), {"max_results": 5}),
            ("mentions", "get_users_mentions", (uid,), {"max_results": 5}),
            # a conversation that cannot exist: the tier is checked, no post is read
            ("replies", "search_recent_tweets", ("conversation_id:1",), {"max_results": 10}),
            ("messages", "get_direct_message_events", (), {"max_results": 1}),
        )
        allowed = list(self.stream_names())
        denied: dict[str, str] = {}
        for stream, method, args, params in probes:
            try:
                self.client.call(method, *args, stream=stream, user=stream == "messages", **params)
            except PermissionDenied as exc:
                allowed.remove(stream)
                denied[stream] = str(exc)
        return CheckResult(
            identity=f"{user.get('name')} (@{user.get('username')}, {uid})",
            allowed_streams=tuple(allowed),
            denied=denied,
        )

    def fetch(self, stream: str, cursor: str | None, resume: str | None = None) -> Iterator[Batch]:
        """Yield batches of one stream's walk, newer than the cursor's id."""
        if stream == "profile":
            yield Batch([self.normalised("profile", "profile", self.lookup_user())], final=True)
        elif stream == "posts":
            yield from self._timeline("posts", "get_users_tweets", cursor, resume)
        elif stream == "mentions":
            yield from self._timeline("mentions", "get_users_mentions", cursor, resume)
        elif stream == "replies":
            yield from conversations.fetch_replies(self, cursor, resume)
        elif stream == "messages":
            yield from self._messages(cursor, resume)
        else:
            raise self.unknown_stream(stream)

    def refetch(self, refs: Sequence[ItemRef], span: Span | None = None) -> Iterator[Batch]:
        """Read stored tweets again by id (100 a request): current versions and tombstones."""
        yield from reread.refetch(self, refs)

    def download(self, media: MediaRef, sink: Sink, limits: MediaLimits) -> str | None:
        """Stream an attachment into `sink` (capped, type-checked); return its MIME type."""
        return self.client.download(
            media.source_url, sink, kind=media.kind, declared=media.mime_type, limits=limits
        )

    # --- streams -----------------------------------------------------------------------------

    def tweet_params(self) -> dict[str, Any]:
        """The fields and expansions every tweet read asks for."""
        return {
            "tweet_fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "media_fields": MEDIA_FIELDS,
            "user_fields": USER_FIELDS,
        }

    def records_of(self, stream: str, body: dict[str, Any]) -> list[Any]:
        """Each tweet of an answer as a record (or quarantined); own root posts are noted."""
        entries: list[Any] = []
        context = self.context()
        for raw in flatten(body):
            entry = self.normalised(stream, "tweet", raw, context)
            if isinstance(entry, Record):
                entry = reread.stamped(entry, self.clock())
                if entry.kind == "post" and entry.direction == "own":
                    self.recent_posts.add(entry.id)
            entries.append(entry)
        return entries

    def _timeline(
        self, stream: str, method: str, cursor: str | None, resume: str | None
    ) -> Iterator[Batch]:
        """A user timeline (own posts or mentions), newest first, newer than `since_id`."""
        state: dict[str, Any] = json.loads(resume) if resume else {}
        high: str | None = newer_id(state.get("hw"), cursor)
        params = {**self.tweet_params(), "max_results": self.page_size}
        if cursor:
            params["since_id"] = cursor
        pages = self.client.pages(
            method, self.user_id(), stream=stream, start=state.get("next"), **params
        )
        for body in pages:
            records = self.records_of(stream, body)
            for raw in body.get("data") or []:
                if isinstance(raw, dict):
                    high = newer_id(high, item_id(raw.get("id")))
            following = (body.get("meta") or {}).get("next_token")
            if not following:
                yield Batch(records, high_water=high, final=True)
                return
            yield Batch(records, resume=json.dumps({"next": following, "hw": high}))

    def _messages(self, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        """Direct-message events, newest first, until the cursor's event (X has no since_id
        there); needs the user-context token."""
        state: dict[str, Any] = json.loads(resume) if resume else {}
        high: str | None = newer_id(state.get("hw"), cursor)
        params = {
            "event_types": "MessageCreate",
            "dm_event_fields": DM_FIELDS,
            "expansions": DM_EXPANSIONS,
            "user_fields": USER_FIELDS,
            "media_fields": MEDIA_FIELDS,
            "max_results": 100,
        }
        pages = self.client.pages(
            "get_direct_message_events",
            stream="messages",
            user=True,
            start=state.get("next"),
            **params,
        )
        context: dict[str, Any] | None = None
        for body in pages:
            context = context or self.context()
            records: list[Any] = []
            reached = False
            for raw in flatten(body):
                ident = item_id(raw.get("id"))
                if cursor and ident and newer_id(ident, cursor) == cursor:
                    reached = True  # newest first: everything from here on is archived
                    break
                high = newer_id(high, ident)
                records.append(self.normalised("messages", "message", raw, context))
            following = (body.get("meta") or {}).get("next_token")
            if reached or not following:
                yield Batch(records, high_water=high, final=True)
                return
            yield Batch(records, resume=json.dumps({"next": following, "hw": high}))
