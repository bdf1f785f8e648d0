"""The Instagram connector: one class, two modes chosen per account (`mode` in `[[accounts]]`).

- `graph` (default): a municipality's own professional account through the Instagram Graph
  API, with the linked Facebook page's token (this module and `reread.py`);
- `instaloader`: public profiles without API access (`loader.py`, built beside this one).

The instaloader entry point: `connectors.instagram.loader.open_mode(conn)` returns an object
with `check()`, `fetch(stream, cursor, resume)`, `refetch(refs, span)`,
`download(media, sink, limits)`, `request_count()`, `pause_hint()` and `close()`; the connector
hands every call to it. Items that mode quarantines carry `"mode": "instaloader"` in their
context, so `renormalise` picks `loader_normalize.NORMALISERS` for them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Literal

import requests
from pydantic import ConfigDict

from connectors.base import (
    AccountSpec,
    CheckResult,
    Clock,
    FatalError,
    Normaliser,
    PermissionDenied,
    PlatformSettings,
    StreamSpec,
)
from connectors.download import MediaLimits, Sink
from connectors.instagram import messages, reread
from connectors.instagram.capture import HINTS
from connectors.instagram.client import INSTAGRAM
from connectors.instagram.loader_options import LoaderOptions
from connectors.instagram.normalize import (
    NORMALISERS,
    PROFILE_FIELDS,
    comment_fields,
    edge_data,
    media_fields,
    without_edges,
)
from connectors.meta_graph import (
    CursorExpired,
    ObjectMissing,
    TooMuchData,
    epoch,
    token_info,
)
from connectors.meta_graph_connector import MIN_PAGE_SIZE, GraphConnector
from connectors.meta_graph_walks import (
    PART_RECORDS,
    Entry,
    created_of,
    later,
    nested_edge,
    page_batch,
    page_part,
)
from connectors.model import (
    Batch,
    ItemRef,
    MediaRef,
    Record,
    Span,
    item_id,
)

LOADER_MODULE = "connectors.instagram.loader"
LOADER_NORMALISE = "connectors.instagram.loader_normalize"


class InstagramOptions(LoaderOptions):
    """The Instagram keys of an `[[accounts]]` table (instaloader mode's from LoaderOptions)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    mode: Literal["graph", "instaloader"] = "graph"
    # the linked Facebook page (its conversations hold the direct messages); default: the
    # page the token belongs to (`/me`)
    page_id: str | None = None


def _dispatch(kind: str) -> Normaliser:
    """The normaliser of `kind` for the mode that read the item (its context says)."""

    def normalise(raw: Any, context: Mapping[str, Any], account: str) -> Record:
        if context.get("mode") == "instaloader":
            module = importlib.import_module(LOADER_NORMALISE)
            return module.NORMALISERS[kind](raw, context, account)
        return NORMALISERS[kind](raw, context, account)

    return normalise


class InstagramConnector(GraphConnector):
    """Reads an Instagram professional account: profile, media with comments and replies, DMs."""

    platform: ClassVar[str] = "instagram"
    display_name: ClassVar[str] = "Instagram"
    streams: ClassVar[tuple[StreamSpec, ...]] = (
        StreamSpec("profile", "none", timedelta(minutes=60)),
        StreamSpec("posts", "timestamp", timedelta(minutes=30)),
        StreamSpec("messages", "timestamp", timedelta(minutes=30), optional=True),
    )
    hosts: ClassVar[tuple[str, ...]] = (
        "graph.facebook.com",
        "graph.instagram.com",
        "instagram.com",
        "*.instagram.com",
        "*.cdninstagram.com",  # photos, videos, profile pictures
        "*.fbcdn.net",  # some media and thumbnails
        "*.fbsbx.com",  # direct message attachments (lookaside.fbsbx.com)
    )
    normalisers: ClassVar[Mapping[str, Normaliser]] = {k: _dispatch(k) for k in NORMALISERS}
    capture_hints = HINTS
    options_model: ClassVar[type[Any] | None] = InstagramOptions

    @classmethod
    def token_required(cls, options: Mapping[str, Any]) -> bool:
        """Graph mode reads with the page's token; instaloader mode may go without one."""
        return options.get("mode", "graph") != "instaloader"

    def __init__(
        self,
        account: AccountSpec,
        settings: PlatformSettings,
        session: requests.Session,
        clock: Clock,
    ) -> None:
        super().__init__(account, settings, session, clock)
        self.mode = str(account.options.get("mode") or "graph")
        self.user_id = account.platform_id
        self.username: str | None = None
        self.page_id: str | None = account.options.get("page_id")
        self.loader: Any = None
        if self.mode == "instaloader":
            self.loader = importlib.import_module(LOADER_MODULE).open_mode(self)
            return
        self.open_graph(INSTAGRAM)

    # --- bookkeeping -------------------------------------------------------------------------

    def request_count(self) -> int:
        """Return how many HTTP requests (a Graph batch counts once) this connector made."""
        return int(self.loader.request_count()) if self.loader else super().request_count()

    def pause_hint(self) -> float:
        """Pace requests as Graph's usage headers near 100 percent; honour the regain hint."""
        if self.loader:
            return float(self.loader.pause_hint())
        return super().pause_hint()

    def close(self) -> None:
        """Release the HTTP session (and the instaloader mode's own)."""
        if self.loader:
            self.loader.close()
        super().close()

    def _shrink(self) -> None:
        self.page_size = max(MIN_PAGE_SIZE, self.page_size // 2)
        self.listing_size = max(MIN_PAGE_SIZE, self.listing_size // 2)

    def context(self, **more: Any) -> dict[str, Any]:
        """What every normaliser of this account needs: who the account is."""
        return {"user_id": self.user_id, "username": self.username, **more}

    # --- contract ----------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Read the account's username and the token's expiry; probe the direct messages."""
        if self.loader:
            return self.loader.check()  # type: ignore[no-any-return]
        self._resolve_user()
        try:
            raw = self.client.request(self.user_id, {"fields": "id,username"}, stream="profile")
        except ObjectMissing:
            raise self._no_such_account() from None
        info = token_info(self.client, self.account.token.reveal())
        allowed, denied, missing = list(self.stream_names()), {}, []
        try:
            messages.probe(self)
        except PermissionDenied as exc:
            allowed.remove("messages")
            denied["messages"] = str(exc)
            missing.append(str(exc.params.get("permission") or "instagram_manage_messages"))
        return CheckResult(
            identity=f"@{raw.get('username')} ({raw.get('id')})",
            allowed_streams=tuple(allowed),
            denied=denied,
            expires_at=epoch(info.get("expires_at")),
            data_access_expires_at=epoch(info.get("data_access_expires_at")),
            missing_permissions=tuple(missing),
        )

    def fetch(self, stream: str, cursor: str | None, resume: str | None = None) -> Iterator[Batch]:
        """Yield batches of one stream's walk; a resume point whose cursor died restarts it."""
        if self.loader:
            yield from self.loader.fetch(stream, cursor, resume)
            return
        try:
            yield from self._fetch(stream, cursor, resume)
        except CursorExpired:
            if resume is None:
                raise
            yield from self._fetch(stream, cursor, None)
        except TooMuchData:
            self._shrink()
            raise

    def _fetch(self, stream: str, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        self._resolve_user()
        if stream == "profile":
            yield from self._fetch_profile()
        elif stream == "posts":
            yield from self._fetch_posts(cursor, resume)
        elif stream == "messages":
            yield from messages.walk(self, cursor, resume)
        else:
            raise self.unknown_stream(stream)

    def refetch(self, refs: Sequence[ItemRef], span: Span | None = None) -> Iterator[Batch]:
        """Re-read posts with all their comments (by Graph batch); tombstones for the gone."""
        if self.loader:
            yield from self.loader.refetch(refs, span)
            return
        try:
            self._resolve_user()
            yield from reread.refetch(self, refs, span)
        except TooMuchData:
            self._shrink()
            raise

    def download(self, media: MediaRef, sink: Sink, limits: MediaLimits) -> str | None:
        """Stream a file into `sink` (capped, type-checked); return its MIME type."""
        if self.loader:
            return self.loader.download(media, sink, limits)  # type: ignore[no-any-return]
        return super().download(media, sink, limits)

    # --- the account -------------------------------------------------------------------------

    def _resolve_user(self) -> None:
        """Turn a configured username into the Instagram user id through the linked page."""
        if self.user_id.isdigit():
            return
        page = self._linked_page()
        linked = page.get("instagram_business_account") or {}
        if str(linked.get("username") or "").lower() != self.user_id.lstrip("@").lower():
            raise self._no_such_account()
        self.user_id, self.username = str(linked["id"]), str(linked["username"])

    def _linked_page(self) -> dict[str, Any]:
        """The Facebook page the token reads through, with its Instagram account."""
        fields = {"fields": "id,instagram_business_account{id,username}"}
        try:
            page = self.client.request(self.page_id or "me", fields, stream="profile")
        except ObjectMissing:
            raise self._no_such_account() from None
        self.page_id = str(page.get("id") or self.page_id or "")
        return page if isinstance(page, dict) else {}

    def _no_such_account(self) -> FatalError:
        return FatalError(
            f"Instagram account {self.account.platform_id} does not exist or this token cannot "
            "see it (check the account's id, and that the token is the linked page's)",
            reason="instagram.account_missing",
            params={"account": self.account.platform_id},
        )

    def _fetch_profile(self) -> Iterator[Batch]:
        try:
            raw = self.client.request(self.user_id, {"fields": PROFILE_FIELDS}, stream="profile")
        except ObjectMissing:
            raise self._no_such_account() from None
        if isinstance(raw.get("username"), str):
            self.username = raw["username"]
        yield Batch([self.normalised("profile", "profile", raw, self.context())], final=True)

    # --- posts, comments, replies ------------------------------------------------------------

    def _fetch_posts(self, cursor: str | None, resume: str | None) -> Iterator[Batch]:
        """Media newest first, each with every comment and reply; stops at the cursor (the
        newest `timestamp` archived), so an idle poll costs one request."""
        state: dict[str, Any] = json.loads(resume) if resume else {}
        params: dict[str, Any] = {"fields": media_fields(self.page_size), "limit": self.page_size}
        params.update(state.get("next") or {})
        high: str | None = later(state.get("hw"), cursor)
        seen: set[str] = set()
        at_page = state.get("next")  # the paging parameters of the page being read
        for page in self.client.pages(f"{self.user_id}/media", params, stream="posts"):
            records: list[Entry] = []
            reached = False
            for n, raw in enumerate(page.data, 1):
                created = created_of(raw, "timestamp")
                if cursor and created and created < cursor:
                    reached = True  # newest first: everything after this is archived
                    break
                ident = item_id(raw.get("id"))
                if ident in seen:
                    continue
                if ident is not None:
                    seen.add(ident)
                records.extend(self.post_with_comments(raw, ident))
                high = later(high, created)
                if len(records) >= PART_RECORDS and n < len(page.data):  # the page's end: below
                    yield page_part(records, at_page, high)
                    records = []
            yield page_batch(records, page, high, last=reached or page.next_params is None)
            if reached:
                return
            at_page = page.next_params

    def post_with_comments(self, raw: dict[str, Any], ident: str | None) -> list[Entry]:
        """A media object's record (with its change marker) followed by its comments."""
        if isinstance(raw.get("username"), str) and self.username is None:
            self.username = raw["username"]
        if ident is None:  # no usable id: quarantined whole, its comments with it
            return [self.normalised("posts", "post", raw, self.context())]
        post = self.normalised("posts", "post", without_edges(raw, "comments"), self.context())
        firsts: list[dict[str, Any]] = []
        try:
            comments = self.comments_of(raw, ident, firsts)
        except TypeError as exc:  # a comments edge of the wrong shape: keep the post whole
            return [self.quarantine("posts", raw, f"TypeError: {exc}", "post", self.context())]
        if isinstance(post, Record):
            post = reread.with_marker(post, raw, firsts)
        return [post, *comments]

    def comments_of(
        self, raw: dict[str, Any], media_id: str, firsts: list[dict[str, Any]] | None = None
    ) -> list[Entry]:
        """Every comment of a media object and every reply, paging past the nested first page;
        `firsts` collects the raw top-level comments in Graph's order (for the marker)."""
        nested = raw.get("comments")
        if not isinstance(nested, dict):
            return []
        records: list[Entry] = []
        seen: set[str] = set()
        context = self.context(media_id=media_id)
        for item in self._edge_items(nested, f"{media_id}/comments", comment_fields):
            ident = item_id(item.get("id"))
            if ident is not None and ident in seen:
                continue
            if ident is not None:
                seen.add(ident)
            if firsts is not None:
                firsts.append(item)
            replies = item.get("replies")
            top = without_edges(item, "replies") if replies is not None else item
            records.append(self.normalised("posts", "comment", top, context))
            if ident is None or not isinstance(replies, dict):
                continue
            of_reply = self.context(media_id=media_id, parent_id=ident)
            for reply in self._edge_items(replies, f"{ident}/replies", self._reply_fields):
                reply_id = item_id(reply.get("id"))
                if reply_id is not None and reply_id in seen:
                    continue
                if reply_id is not None:
                    seen.add(reply_id)
                records.append(self.normalised("posts", "comment", reply, of_reply))
        return records

    def _reply_fields(self, limit: int) -> str:
        return comment_fields(limit).split(",replies", 1)[0]

    def _edge_items(self, nested: dict[str, Any], path: str, fields: Any) -> Iterator[dict]:
        """The items of a nested edge's first page, then of every further page of `path`."""
        items = edge_data({"edge": nested}, "edge")  # a wrong shape is a TypeError
        if not nested.get("paging"):  # most edges fit their nested first page
            yield from items
            return
        params = {"fields": fields(self.page_size), "limit": self.page_size}
        yield from nested_edge(self.client, nested, path, params, stream="posts")
