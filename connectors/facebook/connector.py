"""The Facebook Pages connector: streams, cursors, and the re-read of the recent window."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any, ClassVar

import requests

from connectors.base import (
    AccountSpec,
    CheckResult,
    Clock,
    FatalError,
    PermissionDenied,
    PlatformSettings,
    StreamSpec,
)
from connectors.facebook import reread
from connectors.facebook import visitors as visitors_edge
from connectors.facebook.capture import HINTS
from connectors.facebook.client import (
    FACEBOOK,
    CursorExpired,
    ObjectMissing,
    TooMuchData,
)
from connectors.facebook.normalize import (
    COMMENT_FIELDS,
    NORMALISERS,
    PROFILE_FIELDS,
    conversation_fields,
    post_fields,
    without_comments,
)
from connectors.meta_graph import epoch, token_info
from connectors.meta_graph_connector import MIN_PAGE_SIZE, GraphConnector
from connectors.meta_graph_walks import created_of, nested_edge, walk_conversations
from connectors.meta_graph_walks import later as _later
from connectors.meta_graph_walks import page_batch as _page_batch
from connectors.model import (
    Batch,
    ItemRef,
    Quarantined,
    Record,
    Span,
    Tombstone,
    item_id,
    parse_utc,
    utc_iso,
)

Entry = Record | Tombstone | Quarantined

MESSENGER_DETAIL_LIMIT = 20  # Graph only gives details of a conversation's newest 20 messages
# the permissions `check()` reports as missing: posts, comment authors, Messenger
CHECKED_PERMISSIONS = ("pages_read_engagement", "pages_read_user_content", "pages_messaging")


class FacebookConnector(GraphConnector):
    """Reads a Facebook page: profile, published posts with comments and replies, Messenger."""

    platform: ClassVar[str] = "facebook"
    display_name: ClassVar[str] = "Facebook"
    streams: ClassVar[tuple[StreamSpec, ...]] = (
        StreamSpec("profile", "none", timedelta(minutes=15)),
        StreamSpec("posts", "timestamp", timedelta(minutes=15)),
        # posts others publish on the page's wall (`/{page}/feed`, pages_read_user_content)
        StreamSpec("visitor_posts", "timestamp", timedelta(minutes=15), optional=True,
                   beside=True),
        StreamSpec("messages", "timestamp", timedelta(minutes=15), optional=True, beside=True),
    )
    hosts: ClassVar[tuple[str, ...]] = (
        "graph.facebook.com",
        "facebook.com",
        "*.facebook.com",
        "*.fbcdn.net",  # photos, videos, profile pictures
        "*.fbsbx.com",  # Messenger attachments (lookaside.fbsbx.com)
    )
    normalisers = NORMALISERS
    capture_hints = HINTS

    def __init__(
        self,
        account: AccountSpec,
        settings: PlatformSettings,
        session: requests.Session,
        clock: Clock,
    ) -> None:
        super().__init__(account, settings, session, clock)
        self.page_id = account.platform_id
        self.open_graph(FACEBOOK)
        self.comment_limit = self.page_size

    # --- bookkeeping -------------------------------------------------------------------------

    def _shrink(self) -> None:
        self.page_size = max(MIN_PAGE_SIZE, self.page_size // 2)
        self.comment_limit = max(MIN_PAGE_SIZE, self.comment_limit // 2)
        self.listing_size = max(MIN_PAGE_SIZE, self.listing_size // 2)

    # --- contract ----------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Read the page's name and the token's debug info, then probe visitors' posts and
        Messenger; a token without pages_read_user_content is named (authors are hidden)."""
        try:
            page = self.client.request(self.page_id, {"fields": "id,name"}, stream="profile")
        except ObjectMissing:
            raise self._no_such_page() from None
        info = token_info(self.client, self.account.token.reveal())
        allowed = list(self.stream_names())
        denied: dict[str, str] = {}
        lacking: set[str] = set()
        page_id = page.get("id") or self.page_id
        probes = (  # visitors' posts need pages_read_user_content, Messenger pages_messaging
            ("visitor_posts", "feed", {"limit": 1, "fields": "id"}),
            ("messages", "conversations", {"platform": "messenger", "limit": 1, "fields": "id"}),
        )
        for stream, edge, params in probes:
            try:
                self.client.request(f"{page_id}/{edge}", params, stream=stream)
            except PermissionDenied as exc:
                allowed.remove(stream)
                denied[stream] = str(exc)
                if exc.params.get("permission"):
                    lacking.add(str(exc.params["permission"]))
        scopes = info.get("scopes")
        if isinstance(scopes, list):  # without pages_read_user_content Graph hides authors
            lacking |= {p for p in CHECKED_PERMISSIONS if p not in scopes}
        missing = tuple(p for p in CHECKED_PERMISSIONS if p in lacking)
        missing += tuple(sorted(lacking - set(CHECKED_PERMISSIONS)))
        return CheckResult(
            identity=f"{page.get('name')} ({page.get('id')})",
            allowed_streams=tuple(allowed),
            denied=denied,
            expires_at=epoch(info.get("expires_at")),
            data_access_expires_at=epoch(info.get("data_access_expires_at")),
            missing_permissions=missing,
        )

    def fetch(self, stream: str, cursor: str | None, resume: str | None = None) -> Iterator[Batch]:
        """Yield batches of one stream's walk; a resume point whose cursor died restarts it."""
        try:
            yield from self._fetch(stream, cursor, resume)
        except CursorExpired:
            if resume is None:
                raise
            yield from self._fetch(stream, cursor, None)

    def _fetch(self, stream: str, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        try:
            self._resolve_page_id()
            if stream == "profile":
                yield from self._fetch_profile()
            elif stream == "posts":
                yield from self._fetch_posts(cursor, resume)
            elif stream == "visitor_posts":
                yield from self._fetch_posts(cursor, resume, visitors=True)
            elif stream == "messages":
                yield from self._fetch_messages(cursor, resume)
            else:
                raise self.unknown_stream(stream)
        except TooMuchData:
            self._shrink()
            raise

    def refetch(self, refs: Sequence[ItemRef], span: Span | None = None) -> Iterator[Batch]:
        """Re-read posts (with all their comments) by Graph batch; confirm missing comments.

        With a span, only what its cheap listing shows changed is read (see `reread`).
        """
        try:
            self._resolve_page_id()
            yield from reread.refetch(self, refs, span)
        except TooMuchData:
            self._shrink()
            raise

    # --- streams -----------------------------------------------------------------------------

    def _resolve_page_id(self) -> None:
        """Turn a configured handle (`morakommun`) into the page's numeric id, once.

        Authors are compared with the numeric id to tell own items from incoming ones.
        """
        if self.page_id.isdigit():
            return
        try:
            raw = self.client.request(self.page_id, {"fields": "id"}, stream="profile")
        except ObjectMissing:
            raise self._no_such_page() from None
        self.page_id = str(raw["id"])

    def _no_such_page(self) -> FatalError:
        return FatalError(
            f"page {self.account.platform_id} does not exist or this token cannot see it "
            f"(check the account's id, and that the token belongs to that page)",
            reason="facebook.page_missing",
            params={"page": self.account.platform_id},
        )

    def _fetch_profile(self) -> Iterator[Batch]:
        try:
            raw = self.client.request(self.page_id, {"fields": PROFILE_FIELDS}, stream="profile")
        except ObjectMissing:
            raise self._no_such_page() from None
        yield Batch([self.normalised("profile", "profile", raw)], final=True)

    def is_visitor_post(self, raw: dict[str, Any]) -> bool:
        """True for a `/feed` item someone else published on the page's own wall; posts on
        other walls that only tag the page have another id prefix and are not kept."""
        author = raw.get("from")
        on_wall = str(raw.get("id") or "").split("_", 1)[0] == self.page_id
        return (
            on_wall
            and isinstance(author, dict)
            and author.get("id") is not None
            and str(author["id"]) != self.page_id
        )

    def _fetch_posts(
        self, cursor: str | None, resume: str | None, *, visitors: bool = False
    ) -> Iterator[Batch]:
        """Posts newest first, each with all comments and replies; cursor = newest created_time.

        The page's own posts come from `/published_posts`; with `visitors`, the posts others
        published on its wall are picked out of `/feed`.
        """
        state: dict[str, Any] = json.loads(resume) if resume else {}
        params: dict[str, Any] = {
            "fields": visitors_edge.LISTING_FIELDS if visitors else post_fields(self.comment_limit),
            "limit": visitors_edge.LISTING_LIMIT if visitors else self.page_size,
        }
        since = parse_utc(cursor)
        if since is not None:
            params["since"] = int(since.timestamp())
        params.update(state.get("next") or {})
        high: str | None = _later(state.get("hw"), cursor)
        seen: set[str] = set()
        edge, stream = ("feed", "visitor_posts") if visitors else ("published_posts", "posts")
        for page in self.client.pages(f"{self.page_id}/{edge}", params, stream=stream):
            records: list[Entry] = []
            passed_over: list[str] = []
            items = page.data
            if visitors:
                items, passed_over, high = self._pick_visitor_posts(items, seen, high)
            for raw in items:
                ident = item_id(raw.get("id"))
                if ident in seen:
                    continue
                if ident is not None:
                    seen.add(ident)
                context = {"page_id": self.page_id}
                # a post without a usable id keeps its comments in quarantine with it
                body = without_comments(raw) if ident is not None else raw
                post = self.normalised(stream, "post", body, context)
                comments = self.comments_of(raw, ident) if ident is not None else []
                if isinstance(post, Record):  # the cursor may pass a quarantined post
                    post = reread.with_marker(post, comments, raw)
                    high = _later(high, utc_iso(post.created_at))
                records.append(post)
                records.extend(comments)
            yield _page_batch(records, page, high, last=page.next_params is None,
                              passed_over=tuple(passed_over))  # fmt: skip

    def _pick_visitor_posts(
        self, listed: list[dict[str, Any]], seen: set[str], high: str | None
    ) -> tuple[list[dict[str, Any]], list[str], str | None]:
        """From one `/feed` listing page: the visitors' posts read in full, the ids passed over
        (the page's own posts, posts elsewhere that tag it) and the walk's moved mark."""
        visitors: list[dict[str, Any]] = []
        passed_over: list[str] = []
        for raw in listed:
            ident = item_id(raw.get("id"))
            if ident in seen:
                continue
            if self.is_visitor_post(raw):
                visitors.append(raw)
                continue
            # the walk's mark moves past the page's own posts too, so an idle feed costs one
            # request (tagging posts elsewhere have no say in it)
            if str(ident or "").split("_", 1)[0] == self.page_id:
                high = _later(high, created_of(raw, "created_time"))
            if ident is not None:  # listed, so the walk is progressing
                passed_over.append(ident)
        return visitors_edge.read_in_full(self, visitors) if visitors else [], passed_over, high

    def comments_of(self, raw_post: dict[str, Any], post_id: str) -> list[Entry]:
        """All comments and replies of a post: the expanded first page, then the rest."""
        nested = raw_post.get("comments")
        if not isinstance(nested, dict):
            return []
        records: list[Entry] = []
        seen: set[str] = set()
        context = {"post_id": post_id, "page_id": self.page_id}

        def take(items: list[dict[str, Any]]) -> None:
            for item in items:
                ident = item_id(item.get("id"))
                if ident is None or ident not in seen:
                    if ident is not None:
                        seen.add(ident)
                    records.append(self.normalised("posts", "comment", item, context))

        if not isinstance(nested.get("data", []), list):
            return records
        params = {
            "filter": "stream",
            "order": "chronological",
            "fields": COMMENT_FIELDS,
            "limit": self.page_size,
        }
        take(list(nested_edge(self.client, nested, f"{post_id}/comments", params,
                              stream="posts")))  # fmt: skip
        return records

    def _fetch_messages(self, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        """Conversations by newest activity, stopping at the cursor (newest updated_time seen)."""
        params: dict[str, Any] = {
            "platform": "messenger",
            "limit": min(25, self.page_size),
            "fields": conversation_fields(MESSENGER_DETAIL_LIMIT),
        }
        path = f"{self.page_id}/conversations"
        yield from walk_conversations(self.client, path, params, cursor, resume, self._messages_of)

    def _messages_of(self, conversation: dict[str, Any]) -> list[Entry]:
        """The records of one conversation's messages (quarantined whole when malformed)."""
        messages = conversation.get("messages") or {}
        data = messages.get("data") if isinstance(messages, dict) else None
        if not isinstance(data, list | None):
            error = f"TypeError: messages is {type(messages).__name__}, not an edge"
            return [self.quarantine("messages", conversation, error)]
        context = {
            "page_id": self.page_id,
            "conversation": {k: v for k, v in conversation.items() if k != "messages"},
        }
        return [self.normalised("messages", "message", raw, context) for raw in data or []]
