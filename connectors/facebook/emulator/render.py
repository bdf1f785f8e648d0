"""The Facebook emulator's reads: one Graph GET turned into JSON, with fields and cursor paging."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from connectors.facebook.emulator.data import TokenInfo
from connectors.facebook.emulator.errors import (
    VERSION,
    GraphError,
    expired_message,
    missing,
    nonexisting,
    require,
)
from connectors.facebook.emulator.fields import DEFAULT_SPECS, FieldSpec, parse_fields, project
from connectors.facebook.emulator.nodes import Ctx, build_getters
from connectors.facebook.emulator.store import Entry, GraphStore, decode_cursor, encode_cursor
from connectors.model import parse_utc

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
NEWEST_READABLE_MESSAGES = 20
EDGES: dict[str, dict[str, str]] = {
    "page": {
        "published_posts": "post",
        "posts": "post",
        "feed": "post",
        "tagged": "post",
        "conversations": "conversation",
    },
    "post": {"comments": "comment"},
    "comment": {"comments": "comment"},
    "conversation": {"messages": "message"},
    "message": {},
}


@dataclass
class _Listing:
    """An ordered edge with the window [lo, hi) that its filters allow."""

    items: Sequence[Any]
    index_of: Callable[[str], int | None]
    lo: int
    hi: int
    summary: dict[str, Any] | None = None
    carry: dict[str, str] = field(default_factory=dict)


class Renderer:
    """Answers Graph API GETs from a `GraphStore`; the caller holds the store's lock."""

    def __init__(self, store: GraphStore, supported_versions: tuple[str, ...]) -> None:
        self.store = store
        self.supported_versions = supported_versions
        self.serial = 0  # numbers responses (signed URLs), trace ids and trap cursors
        self.empty_pages = 0  # edge listings still to answer with an empty page
        # edge name -> "cursor" (default), "time" (until/since + __paging_token, no cursors,
        # as Graph pages feeds) or "offset"; nested edges page the same way
        self.paging: dict[str, str] = {}
        self._getters = build_getters(store)

    def next_serial(self) -> int:
        """Advance and return the serial."""
        self.serial += 1
        return self.serial

    def trace(self) -> str:
        """Return a fresh `fbtrace_id`."""
        digest = hashlib.sha1(f"trace{self.next_serial()}".encode()).digest()
        return "A" + base64.urlsafe_b64encode(digest[:15]).decode()

    # --- requests ---------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        token: str | None,
        default_version: str | None = None,
    ) -> tuple[int, Any, str | None]:
        """Answer one GET (an HTTP request or a batch item) as (status, body, page id)."""
        ctx = Ctx(serial=self.next_serial(), now=self.store.now())
        try:
            body = self._resolve(method, path, params, token, default_version, ctx)
        except GraphError as error:
            page_id = ctx.page_id or self.store.token_page(token)
            return error.status, error.envelope(self.trace()), page_id
        return 200, body, ctx.page_id

    def split_version(self, segments: list[str], default: str | None) -> tuple[str, list[str]]:
        """Split a leading `vN.N` off path segments (the default or newest version without)."""
        if segments and VERSION.fullmatch(segments[0]):
            if segments[0] not in self.supported_versions:
                raise GraphError(
                    400,
                    f"(#2635) You are calling a deprecated or unknown version "
                    f"of the Graph API ({segments[0]}). Please update to the latest "
                    f"version: {self.supported_versions[-1]}.",
                    2635,
                )
            return segments[0], segments[1:]
        return default or self.supported_versions[-1], segments

    def authenticate(self, token: str | None) -> TokenInfo:
        """Return what `token` may do, or raise the Graph error for a bad or expired token."""
        info = self.store.tokens.get(token or "")
        if info is None:
            raise GraphError(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if info.expired:
            raise GraphError(400, expired_message(self.store.now()), 190, subcode=463)
        return info

    def _resolve(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        token: str | None,
        default_version: str | None,
        ctx: Ctx,
    ) -> Any:
        ctx.version, segments = self.split_version(
            [s for s in path.split("/") if s], default_version
        )
        if method != "GET":
            raise GraphError(
                400, "(#3) Application does not have the capability to make this API call.", 3
            )
        ctx.info, ctx.token = self.authenticate(token), token
        if not segments:
            raise missing("")
        specs = parse_fields(params["fields"]) if params.get("fields") else None
        if segments == ["debug_token"]:
            return self._debug_token(params.get("input_token") or token or "", ctx)
        object_id = segments[0]
        if object_id == "me" and ctx.info.page_ids:
            object_id = ctx.info.page_ids[0]
        entry = self._lookup(object_id, ctx)
        if len(segments) == 1:
            return self.render(entry, specs, ctx)
        if len(segments) == 2:
            return self.edge(entry, segments[1], params, specs, ctx, params.get("fields"), True)
        raise GraphError(400, f"Unknown path components: /{'/'.join(segments[2:])}", 2500)

    def _lookup(self, object_id: str, ctx: Ctx) -> Entry:
        entry = self.store.index.get(object_id)
        if entry is None or ctx.info is None or entry.page_id not in ctx.info.page_ids:
            raise missing(object_id)
        ctx.page_id = entry.page_id
        require(entry.kind, ctx.info)
        if (
            entry.kind == "message"
            and entry.conversation is not None
            and not any(
                m is entry.obj for m in entry.conversation.messages[-NEWEST_READABLE_MESSAGES:]
            )
        ):
            raise GraphError(
                400,
                "(#100) Only the 20 most recent messages of a conversation can be read by id",
                100,
            )
        return entry

    def _debug_token(self, target: str, ctx: Ctx) -> dict[str, Any]:
        info = self.store.tokens.get(target)
        if info is None:
            return {
                "data": {
                    "error": {"code": 190, "message": "Invalid OAuth access token."},
                    "is_valid": False,
                    "scopes": [],
                }
            }
        now = int(ctx.now.timestamp())
        data_access = info.data_access_expires_at
        data: dict[str, Any] = {
            "app_id": "100000000000001",
            "type": "PAGE",
            "application": "somed emulator",
            "data_access_expires_at": (
                int(data_access.timestamp()) if data_access else now + 90 * 86400
            ),
            "expires_at": int(info.expires_at.timestamp()) if info.expires_at else 0,
            "is_valid": not info.expired,
            "issued_at": now - 86400,
            "profile_id": info.page_ids[0] if info.page_ids else None,
            "scopes": sorted(info.permissions),
            "granular_scopes": [
                {"scope": p, "target_ids": list(info.page_ids)} for p in sorted(info.permissions)
            ],
            "user_id": "100000000000042",
        }
        if info.expired:
            data["error"] = {"code": 190, "message": expired_message(ctx.now), "subcode": 463}
        return {"data": data}

    # --- objects ----------------------------------------------------------------------------

    def _check_fields(self, kind: str, specs: tuple[FieldSpec, ...] | None) -> None:
        for spec in specs or ():
            if spec.name not in self._getters[kind] and spec.name not in EDGES[kind]:
                raise nonexisting(spec.name, kind)

    def render(
        self, entry: Entry, specs: tuple[FieldSpec, ...] | None, ctx: Ctx, checked: bool = False
    ) -> dict[str, Any]:
        """Render an object with the requested fields (`id` always included)."""
        kind = entry.kind
        specs = specs or DEFAULT_SPECS[kind]
        if not checked:
            self._check_fields(kind, specs)
        edges, getters = EDGES[kind], self._getters[kind]
        result: dict[str, Any] = {}
        for spec in specs:
            name = spec.name
            if name in edges:
                value: Any = self.edge(
                    entry, name, spec.modifiers, spec.children, ctx, spec.children_text
                )
            elif name == "parent" and kind == "comment":
                if entry.parent is None:
                    continue
                value = self.render(self.store.index[entry.parent.id], spec.children, ctx)
            else:
                value = getters[name](entry, ctx)
                if value is None:
                    continue
                if spec.children is not None:
                    value = project(value, spec.children)
            result[name] = value
        if "id" not in result:
            result["id"] = entry.id
        return result

    # --- edges and paging -------------------------------------------------------------------

    def _listing(self, entry: Entry, edge: str, params: dict[str, str], ctx: Ctx) -> _Listing:
        if entry.kind == "page" and edge == "conversations":
            platform = params.get("platform", "messenger").lower()
            if platform not in ("messenger", "instagram"):
                raise GraphError(
                    400, "(#100) param platform must be one of {MESSENGER, INSTAGRAM}", 100
                )
            items = entry.obj.conversations if platform == "messenger" else []
            return _Listing(
                items, _finder(items), 0, len(items), carry=_carry(params, ("platform",))
            )
        if entry.kind == "page" and edge in ("feed", "tagged"):
            if ctx.info is None or "pages_read_user_content" not in ctx.info.permissions:
                raise GraphError(
                    403,
                    "(#10) This endpoint requires the 'pages_read_user_content' permission.",
                    10,
                )
            since = _parse_time(params.get("since"), "since")
            until = _parse_time(params.get("until"), "until")
            state, tagged = self.store.pages[entry.id], edge == "tagged"
            items = state.feed(tagged_only=tagged)
            find = state.feed_position(tagged_only=tagged)
            if since is not None or until is not None:
                items = [
                    post for post in items
                    if (since is None or post.created_time.timestamp() >= since)
                    and (until is None or post.created_time.timestamp() <= until)
                ]  # fmt: skip
                find = _finder(items)
            return _Listing(
                items, find, 0, len(items), {"total_count": len(items)},
                _carry(params, ("since", "until", "summary")),
            )  # fmt: skip
        if entry.kind == "page":
            state = self.store.pages[entry.id]
            lo, hi = state.window(
                _parse_time(params.get("since"), "since"), _parse_time(params.get("until"), "until")
            )
            return _Listing(
                state.page.posts,
                state.pos.get,
                lo,
                hi,
                {"total_count": hi - lo},
                _carry(params, ("since", "until", "summary")),
            )
        if entry.kind == "conversation":
            items = entry.obj.messages[::-1]
            return _Listing(items, _finder(items), 0, len(items))
        mode = params.get("filter", "toplevel")
        order = params.get("order", "chronological")
        if mode not in ("toplevel", "stream"):
            raise GraphError(
                400, "(#100) filter must be one of the following values: toplevel, stream", 100
            )
        if order not in ("chronological", "reverse_chronological", "ranked"):
            raise GraphError(
                400,
                "(#100) order must be one of the following values: "
                "chronological, reverse_chronological, ranked",
                100,
            )
        items = self.store.comments(entry, mode == "stream")
        if order == "reverse_chronological":
            items = items[::-1]
        summary = {"order": order, "total_count": len(items), "can_comment": True}
        return _Listing(
            items,
            _finder(items),
            0,
            len(items),
            summary,
            _carry(params, ("filter", "order", "summary")),
        )

    def _window(self, listing: _Listing, params: dict[str, str], limit: int) -> tuple[int, int]:
        lo, hi = listing.lo, listing.hi
        if params.get("__paging_token"):  # time-based: the token names the item a page ends at
            marker = decode_cursor(params["__paging_token"])
            if params.get("__previous"):
                end = min(self._position(listing, marker, lo), hi)
                return max(lo, end - limit), max(lo, end)
            start = max(self._position(listing, marker, lo - 1) + 1, lo)
            return start, max(start, min(start + limit, hi))
        if params.get("offset"):
            try:
                start = lo + max(0, int(params["offset"]))
            except ValueError:
                raise GraphError(400, "(#100) Param offset must be a number", 100) from None
            return min(start, hi), min(start + limit, hi)
        if params.get("after"):
            start = self._position(listing, decode_cursor(params["after"]), lo - 1) + 1
            start = max(start, lo)
            return start, max(start, min(start + limit, hi))
        if params.get("before"):
            end = min(self._position(listing, decode_cursor(params["before"]), lo), hi)
            start = max(lo, end - limit)
            return start, max(start, end)
        return lo, min(lo + limit, hi)

    def _position(self, listing: _Listing, marker: str, start: int) -> int:
        if marker == "":
            return start
        index = listing.index_of(marker)
        if index is None:  # the item the cursor points at is gone: the cursor dies with it
            raise GraphError(400, "(#2642) Invalid cursors values", 2642)
        return index

    def edge(
        self,
        entry: Entry,
        edge: str,
        params: dict[str, str],
        children: tuple[FieldSpec, ...] | None,
        ctx: Ctx,
        fields: str | None,
        top: bool = False,
    ) -> dict[str, Any]:
        """Render one page of an edge with cursors, `next`/`previous` links and summary."""
        child_kind = EDGES[entry.kind].get(edge)
        if child_kind is None:
            raise nonexisting(edge, entry.kind)
        require(child_kind, ctx.info)
        self._check_fields(child_kind, children)
        listing = self._listing(entry, edge, params, ctx)
        limit = _parse_limit(params.get("limit"))
        start, end = self._window(listing, params, limit)

        style = self.paging.get(edge, "cursor")

        def link(direction: str, cursor: str, position: dict[str, str] | None = None) -> str:
            query = {"access_token": ctx.token} if ctx.token else {}
            query.update(listing.carry)
            if fields:
                query["fields"] = fields
            query.update({"limit": str(limit), **(position or {direction: cursor})})
            return f"{GRAPH_URL}/{ctx.version}/{entry.id}/{edge}?{urlencode(query)}"

        result: dict[str, Any]
        if top and self.empty_pages > 0:
            self.empty_pages -= 1
            marker = listing.items[start - 1].id if start > 0 else ""
            cursor = encode_cursor(marker, self.next_serial())
            result = {
                "data": [],
                "paging": {
                    "cursors": {"before": cursor, "after": cursor},
                    "next": link("after", cursor),
                },
            }
        else:
            items = listing.items[start:end]
            index, render = self.store.index, self.render
            result = {"data": [render(index[item.id], children, ctx, True) for item in items]}
            if items and style == "cursor":
                first, last = encode_cursor(items[0].id), encode_cursor(items[-1].id)
                paging: dict[str, Any] = {"cursors": {"before": first, "after": last}}
                if start > listing.lo:
                    paging["previous"] = link("before", first)
                if end < listing.hi:
                    paging["next"] = link("after", last)
                result["paging"] = paging
            elif items:
                result["paging"] = self._uncursored(style, items, start, end, listing, link)
        if _truthy(params.get("summary")) and listing.summary is not None:
            result["summary"] = listing.summary
        return result

    def _uncursored(
        self,
        style: str,
        items: Sequence[Any],
        start: int,
        end: int,
        listing: _Listing,
        link: Callable[..., str],
    ) -> dict[str, str]:
        """Paging links without cursors: time-based (as Graph pages feeds) or by offset."""
        paging: dict[str, str] = {}
        if style == "offset":
            if start > listing.lo:
                paging["previous"] = link("", "", {"offset": str(max(0, start - len(items)))})
            if end < listing.hi:
                paging["next"] = link("", "", {"offset": str(end - listing.lo)})
            return paging
        first, last = items[0], items[-1]
        if start > listing.lo:
            paging["previous"] = link("", "", {
                "since": str(_stamp(first)), "__paging_token": encode_cursor(first.id),
                "__previous": "1"})  # fmt: skip
        if end < listing.hi:
            paging["next"] = link("", "", {
                "until": str(_stamp(last)), "__paging_token": encode_cursor(last.id)})  # fmt: skip
        return paging


def _stamp(item: Any) -> int:
    """The unix time a time-based paging link names: the item's creation (or update) time."""
    moment = getattr(item, "created_time", None) or getattr(item, "updated_time", None)
    return int(moment.timestamp()) if moment is not None else 0


def _parse_time(text: str | None, name: str) -> float | None:
    """Parse `since`/`until`: unix seconds or ISO 8601 (UTC when no offset is given)."""
    if not text:
        return None
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
            return float(text)
        try:
            moment = parse_utc(text)
        except ValueError:
            moment = datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
        return moment.timestamp() if moment else None
    except ValueError:
        raise GraphError(
            400, f"(#100) The parameter {name} must be a unix timestamp or an ISO 8601 date", 100
        ) from None


def _parse_limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    try:
        return max(0, min(MAX_LIMIT, int(text)))
    except ValueError:
        raise GraphError(400, "(#100) Param limit must be a number", 100) from None


def _truthy(text: str | None) -> bool:
    return text is not None and text.strip().lower() not in ("", "false", "0")


def _finder(items: Sequence[Any]) -> Callable[[str], int | None]:
    """A lookup of an item's position by id (the index is built on the first lookup)."""
    index: dict[str, int] = {}

    def find(item_id: str) -> int | None:
        if not index and items:
            index.update((item.id, i) for i, item in reversed(list(enumerate(items))))
        return index.get(item_id)

    return find


def _carry(params: dict[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: str(params[key]) for key in keys if key in params}
