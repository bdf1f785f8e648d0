"""A local HTTP server that speaks the Facebook Graph API wire format for pages.

The test suite, the benchmark and `somed demo` talk to it exactly as they would talk to
graph.facebook.com: versioned paths, `fields` expansion, cursor paging, batch requests, the error
envelope, usage headers, signed CDN image URLs, and (on request) faults and paging traps.
The emulator takes ownership of the `PageData` objects it is given and changes them in place.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import logging
import random
import re
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from connectors.facebook.emulator_data import (
    ALL_PERMISSIONS,
    CommentData,
    ConversationData,
    MessageData,
    PageData,
    PostData,
    TokenInfo,
    demo_pages,
    generate_page,
    person,
)
from connectors.model import parse_utc

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "ALL_PERMISSIONS", "FAULT_KINDS", "CommentData", "ConversationData", "FacebookEmulator",
    "FaultPlan", "FieldSpec", "LoggedRequest", "MessageData", "PageData", "PostData", "TokenInfo",
    "demo_pages", "generate_page", "parse_fields", "png_image",
]

_log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
CDN_URL = "https://scontent.xx.fbcdn.net"
JSON_TYPE = "application/json; charset=UTF-8"
FAULT_KINDS: tuple[str, ...] = (
    "throttle", "server_error", "malformed", "reduce_data", "expired_token", "permission",
)
THROTTLE_MESSAGES: dict[int, str] = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try "
    "again.",
}
MAX_BATCH = 50
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
NEWEST_READABLE_MESSAGES = 20
_VERSION = re.compile(r"v\d+\.\d+")
_HTML_ERROR = (
    "<!DOCTYPE html><html><head><title>Facebook | Error</title></head>"
    "<body><h1>Sorry, something went wrong.</h1><p>We're working on it.</p></body></html>"
)

NODE_TYPES = {"page": "Page", "post": "PagePost", "comment": "Comment",
              "conversation": "UnifiedThread", "message": "Message"}
EDGES: dict[str, dict[str, str]] = {
    "page": {"published_posts": "post", "posts": "post", "feed": "post",
             "conversations": "conversation"},
    "post": {"comments": "comment"},
    "comment": {"comments": "comment"},
    "conversation": {"messages": "message"},
    "message": {},
}


@dataclass
class FaultPlan:
    """Random faults: each API request fails with probability `rate`, a kind drawn from `kinds`."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("throttle", "server_error", "malformed", "reduce_data")
    regain_minutes: int = 0
    seed: int = 1


@dataclass
class LoggedRequest:
    """One request the emulator answered.

    `batch=False` entries are real HTTP requests (a batch POST has `batch_size` > 0);
    `batch=True` entries are the sub-requests inside a batch, logged after their batch.
    """

    method: str
    path: str
    query: dict[str, str]
    batch_size: int = 0
    status: int = 0
    batch: bool = False
    fault: str | None = None


@dataclass(frozen=True)
class FieldSpec:
    """One requested field: its name, its `.modifier(value)`s and its `{sub,fields}`."""

    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: tuple[FieldSpec, ...] | None = None

    def text(self) -> str:
        """Serialise back to the `fields` syntax."""
        mods = "".join(f".{key}({value})" for key, value in self.modifiers.items())
        inner = "" if self.children is None else "{" + fields_text(self.children) + "}"
        return f"{self.name}{mods}{inner}"

    @cached_property
    def children_text(self) -> str | None:
        """Return the sub-fields in `fields` syntax (None without sub-fields)."""
        return None if self.children is None else fields_text(self.children)


def fields_text(specs: Iterable[FieldSpec]) -> str:
    """Serialise field specs to the `fields` query syntax."""
    return ",".join(spec.text() for spec in specs)


class _GraphError(Exception):
    """An error answered with the Graph API error envelope."""

    def __init__(self, status: int, message: str, code: int, *, kind: str = "OAuthException",
                 subcode: int | None = None, transient: bool | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.kind, self.subcode, self.transient = kind, subcode, transient

    def envelope(self, trace: str) -> dict[str, Any]:
        """Return the `{"error": {...}}` body."""
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        error["fbtrace_id"] = trace
        return {"error": error}


def _missing(object_id: str) -> _GraphError:
    return _GraphError(
        400,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
        100, kind="GraphMethodException", subcode=33,
    )


def _nonexisting(name: str, kind: str) -> _GraphError:
    return _GraphError(
        400, f"(#100) Tried accessing nonexisting field ({name}) on node type ({NODE_TYPES[kind]})",
        100,
    )


def _expired_message(now: datetime) -> str:
    stamp = "%A, %d-%b-%y %H:%M:%S UTC"
    expired = (now - timedelta(hours=1)).strftime(stamp)
    return (f"Error validating access token: Session has expired on {expired}. "
            f"The current time is {now.strftime(stamp)}.")


# --- fields syntax ---------------------------------------------------------------------------


def parse_fields(text: str) -> tuple[FieldSpec, ...]:
    """Parse a `fields` value such as `id,comments.limit(5).summary(true){id,from{name}}`."""
    parser = _FieldParser(text)
    specs = parser.parse_list()
    if parser.pos < len(text):
        parser.fail("Expected end of string")
    return specs


class _FieldParser:
    """Recursive-descent parser for the `fields` syntax."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def fail(self, expected: str) -> None:
        """Raise the Graph API syntax error for the current position."""
        found = self.text[self.pos] if self.pos < len(self.text) else "end of string"
        raise _GraphError(400, f'Syntax error "{expected} instead of "{found}"." at character '
                          f"{self.pos}: {self.text}", 2500)

    def peek(self) -> str:
        """Return the next non-blank character ('' at the end)."""
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def name(self) -> str:
        """Read a field or modifier name."""
        self.peek()
        start = self.pos
        text = self.text
        while self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] == "_"):
            self.pos += 1
        if start == self.pos:
            self.fail("Expected a field name")
        return self.text[start:self.pos]

    def parse_list(self) -> tuple[FieldSpec, ...]:
        """Parse comma-separated fields up to `}` or the end."""
        specs: list[FieldSpec] = []
        while self.peek() not in ("", "}"):
            if self.peek() == ",":
                self.pos += 1
                continue
            specs.append(self.parse_field())
            if self.peek() not in (",", "}", ""):
                self.fail("Expected \",\"")
        return tuple(specs)

    def parse_field(self) -> FieldSpec:
        """Parse one field with its modifiers and sub-fields."""
        name = self.name()
        modifiers: dict[str, str] = {}
        while self.peek() == ".":
            self.pos += 1
            key = self.name()
            if self.peek() != "(":
                self.fail('Expected "("')
            end = self.text.find(")", self.pos)
            if end < 0:
                self.fail('Expected ")"')
            modifiers[key] = self.text[self.pos + 1:end].strip()
            self.pos = end + 1
        children = None
        if self.peek() == "{":
            self.pos += 1
            children = self.parse_list()
            if self.peek() != "}":
                self.fail('Expected "}"')
            self.pos += 1
        return FieldSpec(name, modifiers, children)


DEFAULT_SPECS: dict[str, tuple[FieldSpec, ...]] = {
    kind: tuple(FieldSpec(name) for name in names)
    for kind, names in {
        "page": ("name", "id"), "post": ("created_time", "message", "id"),
        "comment": ("created_time", "from", "message", "id"),
        "conversation": ("link", "updated_time", "id"), "message": ("id", "created_time"),
    }.items()
}


def _project(value: Any, children: tuple[FieldSpec, ...] | None) -> Any:
    """Keep only the requested sub-fields of an object-valued field."""
    if children is None:
        return value
    if isinstance(value, list):
        return [_project(item, children) for item in value]
    if not isinstance(value, dict):
        return value
    if "data" in value and set(value) <= {"data", "paging", "summary"}:
        return {**value, "data": _project(value["data"], children)}
    wanted = {spec.name: spec for spec in children}
    return {key: _project(item, wanted[key].children)
            for key, item in value.items() if key in wanted}


# --- helpers ----------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 17)
def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _numeric_id(name: str) -> str:
    return str(int(hashlib.sha256(name.encode()).hexdigest()[:13], 16))


def _encode_cursor(marker: str, salt: int = 0) -> str:
    return base64.urlsafe_b64encode(f"{marker}\x1f{salt}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if "\x1f" not in raw:
        raise _GraphError(400, "(#2642) Invalid cursors values", 2642)
    return raw.split("\x1f", 1)[0]


def _comment_key(comment: CommentData) -> tuple[datetime, int, str]:
    return (comment.created_time, len(comment.id), comment.id)


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
        raise _GraphError(400, f"(#100) The parameter {name} must be a unix timestamp or an "
                          "ISO 8601 date", 100) from None


def _parse_limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    try:
        return max(0, min(MAX_LIMIT, int(text)))
    except ValueError:
        raise _GraphError(400, "(#100) Param limit must be a number", 100) from None


def _truthy(text: str | None) -> bool:
    return text is not None and text.strip().lower() not in ("", "false", "0")


def _finder(items: Sequence[Any]) -> Callable[[str], int | None]:
    return lambda item_id: next((i for i, item in enumerate(items) if item.id == item_id), None)


@lru_cache(maxsize=4096)
def png_image(name: str) -> bytes:
    """Return a small valid PNG whose pixels and text chunk are derived from `name`."""
    digest = hashlib.sha256(name.encode()).digest()
    width, height = 16, 12
    colours = [digest[i:i + 3] for i in range(0, 12, 3)]
    rows = b"".join(
        b"\x00" + b"".join(colours[((x // 4) + (y // 4)) % 4] for x in range(width))
        for y in range(height)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + digest.hex().encode())
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# --- indexed state ----------------------------------------------------------------------------


@dataclass
class _Entry:
    """Where an object lives: its kind, owning page, and for comments/messages their context."""

    kind: str
    obj: Any
    page_id: str
    post: PostData | None = None
    parent: CommentData | None = None
    conversation: ConversationData | None = None

    @property
    def id(self) -> str:
        """Return the object's id."""
        return str(self.obj.id)


Getter = Callable[[_Entry, "_Ctx"], Any]


@dataclass
class _Listing:
    """An ordered edge with the window [lo, hi) that its filters allow."""

    items: Sequence[Any]
    index_of: Callable[[str], int | None]
    lo: int
    hi: int
    summary: dict[str, Any] | None = None
    carry: dict[str, str] = field(default_factory=dict)


@dataclass
class _Ctx:
    """Per-request context: version, token, response serial (for signed URLs), time."""

    serial: int
    now: datetime
    version: str = ""
    token: str | None = None
    info: TokenInfo | None = None
    page_id: str | None = None


class _PageState:
    """A page's posts kept newest first, with sort keys for bisecting and an id → position map."""

    def __init__(self, page: PageData) -> None:
        self.page = page
        ordered = sorted(enumerate(page.posts), key=lambda pair: (pair[1].created_time, pair[0]))
        self.seq = {post.id: n for n, (_, post) in enumerate(ordered)}
        self.next_seq = len(ordered)
        self.next_serial = len(ordered) + 1
        page.posts[:] = [post for _, post in reversed(ordered)]
        self.keys = [self.key(post) for post in page.posts]
        self.pos: dict[str, int] = {}
        self.reindex()
        self.by_user = {conversation.user[0]: conversation for conversation in page.conversations}
        self.sort_conversations()

    def key(self, post: PostData) -> tuple[float, int]:
        """Return the ascending sort key that puts the newest post first."""
        return (-post.created_time.timestamp(), -self.seq[post.id])

    def reindex(self) -> None:
        """Rebuild the id → position map after an insert or delete."""
        self.pos = {post.id: index for index, post in enumerate(self.page.posts)}

    def insert(self, post: PostData) -> None:
        """Insert a post at its place in the newest-first order."""
        self.seq[post.id] = self.next_seq
        self.next_seq += 1
        key = self.key(post)
        index = bisect.bisect_left(self.keys, key)
        self.keys.insert(index, key)
        self.page.posts.insert(index, post)
        self.reindex()

    def remove(self, post: PostData) -> None:
        """Remove a post."""
        index = self.pos[post.id]
        del self.keys[index], self.page.posts[index]
        self.seq.pop(post.id, None)
        self.reindex()

    def window(self, since: float | None, until: float | None) -> tuple[int, int]:
        """Return the [lo, hi) positions of posts created in [since, until]."""
        lo = 0 if until is None else bisect.bisect_left(self.keys, (-until, -(10**18)))
        hi = len(self.keys) if since is None else bisect.bisect_right(self.keys, (-since, 10**18))
        return lo, max(lo, hi)

    def sort_conversations(self) -> None:
        """Order conversations by their newest message, newest first."""
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        self.page.conversations.sort(
            key=lambda c: c.messages[-1].created_time if c.messages else epoch, reverse=True
        )


class _QuietHandler(WSGIRequestHandler):
    """A request handler that does not print a line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Send server messages to the debug log."""
        _log.debug(message, *args)


# --- the emulator -----------------------------------------------------------------------------


class FacebookEmulator:
    """A thread-safe, seeded Graph API emulator for Facebook pages, served over loopback HTTP."""

    def __init__(
        self,
        pages: list[PageData] | None = None,
        *,
        tokens: dict[str, TokenInfo] | None = None,
        faults: FaultPlan | None = None,
        supported_versions: tuple[str, ...] = ("v19.0", "v20.0", "v21.0", "v22.0", "v23.0"),
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
        usage_budget: int = 2000,
        enforce_budget: bool = False,
    ) -> None:
        self.supported_versions = supported_versions
        self.host, self.port = host, port
        self.usage_budget = usage_budget
        self.enforce_budget = enforce_budget
        self.base_url = ""
        self.request_log: list[LoggedRequest] = []
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._rng = random.Random(1)
        self._index: dict[str, _Entry] = {}
        self._pages: dict[str, _PageState] = {}
        self._tokens: dict[str, TokenInfo] = dict(tokens or {})
        self._streams: dict[str, list[CommentData]] = {}
        self._comment_serials: dict[str, int] = {}
        self._calls: deque[float] = deque()
        self._fail_queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._empty_pages = 0
        self._serial = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._faults: FaultPlan | None = None
        self._fault_rng = random.Random(1)
        self._getters = self._build_getters()
        self.set_faults(faults)
        for page in pages or []:
            self.add_page(page)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving in a daemon thread and return the base URL."""
        with self._lock:
            if self._server is None:
                self._server = make_server(self.host, self.port, self._wsgi, threaded=True,
                                           request_handler=_QuietHandler)
                self.base_url = f"http://{self.host}:{self._server.server_port}"
                self._thread = threading.Thread(target=self._server.serve_forever,
                                                kwargs={"poll_interval": 0.05},
                                                name="facebook-emulator", daemon=True)
                self._thread.start()
            return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FacebookEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_log(self) -> None:
        """Forget the logged requests."""
        with self._lock:
            self.request_log.clear()

    def http_requests(self) -> list[LoggedRequest]:
        """Return the logged real HTTP requests (batch sub-requests left out)."""
        with self._lock:
            return [entry for entry in self.request_log if not entry.batch]

    # --- state changes ----------------------------------------------------------------------

    def add_page(self, page: PageData) -> None:
        """Add a page with all its posts, comments and conversations."""
        with self._lock:
            entries: dict[str, _Entry] = {}
            for object_id, entry in self._entries(page):
                if object_id in entries or object_id in self._index:
                    raise ValueError(f"duplicate object id {object_id!r}")
                entries[object_id] = entry
            for post in page.posts:
                if post.updated_time is None:
                    post.updated_time = max([post.created_time] + [
                        comment.created_time for comment in _walk(post.comments)])
            self._index.update(entries)
            self._pages[page.id] = _PageState(page)

    def _entries(self, page: PageData) -> Iterator[tuple[str, _Entry]]:
        yield page.id, _Entry("page", page, page.id)
        for post in page.posts:
            yield post.id, _Entry("post", post, page.id)
            yield from self._comment_entries(page.id, post, post.comments, None)
        for conversation in page.conversations:
            conversation.messages.sort(key=lambda m: m.created_time)
            yield conversation.id, _Entry("conversation", conversation, page.id)
            for message in conversation.messages:
                yield message.id, _Entry("message", message, page.id, conversation=conversation)

    def _comment_entries(self, page_id: str, post: PostData, comments: list[CommentData],
                         parent: CommentData | None) -> Iterator[tuple[str, _Entry]]:
        comments.sort(key=_comment_key)
        for comment in comments:
            yield comment.id, _Entry("comment", comment, page_id, post=post, parent=parent)
            yield from self._comment_entries(page_id, post, comment.replies, comment)

    def add_token(self, token: str, info: TokenInfo) -> None:
        """Accept `token` from now on."""
        with self._lock:
            self._tokens[token] = info

    def expire_token(self, token: str) -> None:
        """Make `token` answer with code 190, subcode 463 (session expired)."""
        with self._lock:
            self._tokens[token] = replace(self._tokens[token], expired=True)

    def _get(self, object_id: str, kind: str) -> _Entry:
        entry = self._index.get(object_id)
        if entry is None or entry.kind != kind:
            raise KeyError(f"no {kind} with id {object_id!r}")
        return entry

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def add_post(self, page_id: str, message: str, *, created_time: datetime | None = None,
                 images: int = 0) -> str:
        """Publish a post on the page (now, or at `created_time`) and return its id."""
        with self._lock:
            state = self._pages[page_id]
            while True:
                post_id = f"{page_id}_{page_id}{state.next_serial:06d}"
                state.next_serial += 1
                if post_id not in self._index:
                    break
            created = (created_time or self._now()).astimezone(UTC).replace(microsecond=0)
            post = PostData(post_id, message, created, updated_time=created, images=images)
            state.insert(post)
            self._index[post_id] = _Entry("post", post, page_id)
            return post_id

    def newest_post_id(self, page_id: str) -> str | None:
        """Return the id of the page's newest post (None when it has none)."""
        with self._lock:
            posts = self._pages[page_id].page.posts
            return posts[0].id if posts else None

    def edit_post(self, post_id: str, message: str) -> None:
        """Change a post's text; its updated_time moves to now."""
        with self._lock:
            post = self._get(post_id, "post").obj
            post.message = message
            post.updated_time = max(self._now(), post.created_time)

    def delete_post(self, post_id: str) -> None:
        """Delete a post and all its comments."""
        with self._lock:
            entry = self._get(post_id, "post")
            self._pages[entry.page_id].remove(entry.obj)
            del self._index[post_id]
            self._forget_comments(entry.obj.comments)
            self._streams.pop(post_id, None)

    def _forget_comments(self, comments: list[CommentData]) -> None:
        for comment in comments:
            self._index.pop(comment.id, None)
            self._forget_comments(comment.replies)

    def add_comment(self, object_id: str, message: str, *, author: tuple[str, str] | None = None,
                    created_time: datetime | None = None, images: int = 0) -> str:
        """Comment on a post, or reply to a comment (a reply to a reply joins its top comment).

        `author` is (id, name), by default a random member of the public; the page itself
        answers when the id is the page id. The post's updated_time moves forward.
        """
        with self._lock:
            entry = self._index.get(object_id)
            if entry is None or entry.kind not in ("post", "comment"):
                raise KeyError(f"no post or comment with id {object_id!r}")
            post: PostData = entry.obj if entry.kind == "post" else entry.post
            parent: CommentData | None = None
            if entry.kind == "comment":
                top = entry
                while top.parent is not None:
                    top = self._index[top.parent.id]
                parent = top.obj
            serial = self._comment_serials.get(post.id)
            if serial is None:
                serial = sum(1 for _ in _walk(post.comments))
            while True:
                serial += 1
                comment_id = f"{post.id.split('_', 1)[-1]}_{serial}"
                if comment_id not in self._index:
                    break
            self._comment_serials[post.id] = serial
            created = (created_time or self._now()).astimezone(UTC).replace(microsecond=0)
            author = author or person(self._rng.randrange(1000))
            comment = CommentData(comment_id, message, created, author, images=images)
            siblings = parent.replies if parent is not None else post.comments
            bisect.insort(siblings, comment, key=_comment_key)
            self._index[comment_id] = _Entry("comment", comment, entry.page_id, post, parent)
            post.updated_time = max(post.updated_time or post.created_time, created)
            self._streams.pop(post.id, None)
            return comment_id

    def edit_comment(self, comment_id: str, message: str) -> None:
        """Change a comment's text."""
        with self._lock:
            self._get(comment_id, "comment").obj.message = message

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment and its replies."""
        with self._lock:
            entry = self._get(comment_id, "comment")
            assert entry.post is not None
            siblings = entry.parent.replies if entry.parent is not None else entry.post.comments
            siblings[:] = [c for c in siblings if c.id != comment_id]
            self._forget_comments([entry.obj])
            self._streams.pop(entry.post.id, None)

    def add_message(self, page_id: str, user: tuple[str, str], message: str, *,
                    from_page: bool = False, created_time: datetime | None = None) -> str:
        """Add a Messenger message between the page and `user` (id, name); return its id."""
        with self._lock:
            state = self._pages[page_id]
            conversation = state.by_user.get(user[0])
            if conversation is None:
                number = len(state.page.conversations) + 1
                while f"t_{page_id}{number:05d}" in self._index:
                    number += 1
                conversation = ConversationData(f"t_{page_id}{number:05d}", user)
                state.page.conversations.append(conversation)
                state.by_user[user[0]] = conversation
                self._index[conversation.id] = _Entry("conversation", conversation, page_id)
            number = len(conversation.messages) + 1
            while f"m_{conversation.id[2:]}x{number:04d}" in self._index:
                number += 1
            created = (created_time or self._now()).astimezone(UTC).replace(microsecond=0)
            item = MessageData(f"m_{conversation.id[2:]}x{number:04d}", message, created, from_page)
            bisect.insort(conversation.messages, item, key=lambda m: m.created_time)
            self._index[item.id] = _Entry("message", item, page_id, conversation=conversation)
            state.sort_conversations()
            return item.id

    def set_faults(self, faults: FaultPlan | None) -> None:
        """Replace the random fault plan (None: no random faults) and reseed its generator."""
        if faults is not None and set(faults.kinds) - set(FAULT_KINDS):
            raise ValueError(f"unknown fault kinds: {sorted(set(faults.kinds) - set(FAULT_KINDS))}")
        with self._lock:
            self._faults = faults
            self._fault_rng = random.Random(faults.seed if faults else 1)

    def fail_next(self, n: int, kind: str, **params: Any) -> None:
        """Make the next `n` API requests fail with `kind` (before any random fault).

        Params: throttle `code`, `status`, `regain`; server_error `status`, `html`;
        permission `code` (200 or 10).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._fail_queue.extend((kind, dict(params)) for _ in range(n))

    def empty_pages_next(self, n: int) -> None:
        """Make the next `n` edge listings answer `"data": []` with a `next` that goes on."""
        with self._lock:
            self._empty_pages += n

    # --- HTTP -----------------------------------------------------------------------------

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except Exception:  # a bug here must not leave the client hanging
            _log.exception("facebook emulator failed on %s", request.path)
            response = Response(json.dumps({"error": {"message": "emulator failure", "code": 2,
                                                      "type": "OAuthException"}}),
                                status=500, content_type=JSON_TYPE)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path.startswith("/media/"):
            return self._media(request)
        params = {**request.args.to_dict(), **request.form.to_dict()}
        token = params.pop("access_token", None) or _bearer(request)
        batch_text = params.pop("batch", None) if request.method == "POST" else None
        with self._lock:
            logged = LoggedRequest(request.method, request.path, dict(params))
            self.request_log.append(logged)
            if batch_text is not None:
                logged.batch_size = _batch_length(batch_text)
            self._record_call()
            fault = self._next_fault()
            if fault is not None:
                logged.fault = fault[0]
                response = self._fault(fault[0], fault[1], request.path, token)
            elif batch_text is not None:
                response = self._batch(request.path, batch_text, params, token)
            else:
                status, body, page_id = self._call(request.method, request.path, params, token)
                response = self._json(status, body, page_id)
            logged.status = response.status_code
            return response

    def _media(self, request: Request) -> Response:
        name = request.path.rsplit("/", 1)[-1].removesuffix(".png")
        with self._lock:
            self.request_log.append(LoggedRequest(request.method, request.path,
                                                  request.args.to_dict(), status=200))
        return Response(png_image(name), content_type="image/png",
                        headers={"Cache-Control": "max-age=1209600"})

    def _json(self, status: int, body: Any, page_id: str | None, *, throttled: bool = False,
              regain: int = 0) -> Response:
        return Response(json.dumps(body, separators=(",", ":")), status=status,
                        headers=self._usage_headers(page_id, throttled, regain),
                        content_type=JSON_TYPE)

    def _record_call(self) -> None:
        now = time.monotonic()
        self._calls.append(now)
        while self._calls and self._calls[0] < now - 60:
            self._calls.popleft()

    def _usage_percent(self) -> int:
        return len(self._calls) * 100 // max(1, self.usage_budget)

    def _usage_headers(self, page_id: str | None, throttled: bool = False,
                       regain: int = 0) -> dict[str, str]:
        calls = 100 if throttled else self._usage_percent()
        cpu, total = (100, 100) if throttled else (calls // 4, calls // 2)
        usage = {"call_count": calls, "total_cputime": cpu, "total_time": total}
        buc = {} if page_id is None else {page_id: [{
            "type": "pages", **usage, "estimated_time_to_regain_access": regain}]}
        return {"X-App-Usage": json.dumps(usage, separators=(",", ":")),
                "X-Business-Use-Case-Usage": json.dumps(buc, separators=(",", ":"))}

    def _trace(self) -> str:
        self._serial += 1
        digest = hashlib.sha1(f"trace{self._serial}".encode()).digest()
        return "A" + base64.urlsafe_b64encode(digest[:15]).decode()

    def _token_page(self, token: str | None) -> str | None:
        info = self._tokens.get(token or "")
        return info.page_ids[0] if info and info.page_ids else None

    # --- faults -----------------------------------------------------------------------------

    def _next_fault(self) -> tuple[str, dict[str, Any]] | None:
        if self._fail_queue:
            return self._fail_queue.popleft()
        if self.enforce_budget and self._usage_percent() >= 100:
            return ("throttle", {"code": 4, "status": 403, "regain": 1})
        plan = self._faults
        if plan and plan.kinds and plan.rate > 0 and self._fault_rng.random() < plan.rate:
            return (self._fault_rng.choice(plan.kinds), {})
        return None

    def _fault(self, kind: str, params: dict[str, Any], path: str, token: str | None) -> Response:
        rng, page_id = self._fault_rng, self._token_page(token)
        if kind == "throttle":
            code = int(params.get("code") or rng.choice(sorted(THROTTLE_MESSAGES)))
            status = int(params.get("status") or rng.choice((400, 403)))
            error = _GraphError(status, THROTTLE_MESSAGES.get(code, f"(#{code}) Rate limited"),
                                code, transient=True, subcode=2446079 if code == 80001 else None)
            regain = int(params.get("regain", self._faults.regain_minutes if self._faults else 0))
            return self._json(status, error.envelope(self._trace()), page_id, throttled=True,
                              regain=regain)
        if kind == "server_error":
            status = int(params.get("status") or rng.choice((500, 502, 503)))
            html = params["html"] if "html" in params else rng.random() < 0.5
            if html:
                return Response(_HTML_ERROR, status=status, content_type="text/html; charset=utf-8",
                                headers=self._usage_headers(page_id))
            error = _GraphError(status, "An unexpected error has occurred. Please retry your "
                                "request later.", 2, transient=True)
        elif kind == "malformed":
            object_id = next((s for s in path.split("/") if s and not _VERSION.fullmatch(s)), "0")
            item = {"id": f"{object_id}_1", "message": "Välkommen till kommunens sida",
                    "created_time": "2024-03-01T12:00:00+0000"}
            sample = json.dumps({"data": [item],
                                 "paging": {"cursors": {"after": _encode_cursor(object_id)}}})
            return Response(sample[: len(sample) // 2], status=200, content_type=JSON_TYPE,
                            headers=self._usage_headers(page_id))
        elif kind == "reduce_data":
            error = _GraphError(500, "Please reduce the amount of data you're asking for, then "
                                "retry your request", 1)
        elif kind == "expired_token":
            error = _GraphError(400, _expired_message(self._now()), 190, subcode=463)
        else:  # permission
            code = int(params.get("code", 200))
            message = ("(#10) This endpoint requires the 'pages_read_engagement' permission or the "
                       "'Page Public Content Access' feature." if code == 10
                       else "(#200) Permissions error")
            error = _GraphError(403, message, code)
        return self._json(error.status, error.envelope(self._trace()), page_id)

    # --- Graph API calls --------------------------------------------------------------------

    def _call(self, method: str, path: str, params: dict[str, str], token: str | None,
              default_version: str | None = None) -> tuple[int, Any, str | None]:
        """Answer one GET (an HTTP request or a batch item) as (status, body, page id)."""
        self._serial += 1
        ctx = _Ctx(serial=self._serial, now=self._now())
        try:
            body = self._resolve(method, path, params, token, default_version, ctx)
        except _GraphError as error:
            page_id = ctx.page_id or self._token_page(token)
            return error.status, error.envelope(self._trace()), page_id
        return 200, body, ctx.page_id

    def _split_version(self, segments: list[str], default: str | None) -> tuple[str, list[str]]:
        if segments and _VERSION.fullmatch(segments[0]):
            if segments[0] not in self.supported_versions:
                raise _GraphError(400, f"(#2635) You are calling a deprecated or unknown version "
                                  f"of the Graph API ({segments[0]}). Please update to the latest "
                                  f"version: {self.supported_versions[-1]}.", 2635)
            return segments[0], segments[1:]
        return default or self.supported_versions[-1], segments

    def _authenticate(self, token: str | None) -> TokenInfo:
        info = self._tokens.get(token or "")
        if info is None:
            raise _GraphError(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if info.expired:
            raise _GraphError(400, _expired_message(self._now()), 190, subcode=463)
        return info

    def _resolve(self, method: str, path: str, params: dict[str, str], token: str | None,
                 default_version: str | None, ctx: _Ctx) -> Any:
        ctx.version, segments = self._split_version([s for s in path.split("/") if s],
                                                    default_version)
        if method != "GET":
            raise _GraphError(400, "(#3) Application does not have the capability to make this "
                              "API call.", 3)
        ctx.info, ctx.token = self._authenticate(token), token
        if not segments:
            raise _missing("")
        specs = parse_fields(params["fields"]) if params.get("fields") else None
        if segments == ["debug_token"]:
            return self._debug_token(params.get("input_token") or token or "", ctx)
        object_id = segments[0]
        if object_id == "me" and ctx.info.page_ids:
            object_id = ctx.info.page_ids[0]
        entry = self._lookup(object_id, ctx)
        if len(segments) == 1:
            return self._render(entry, specs, ctx)
        if len(segments) == 2:
            return self._edge(entry, segments[1], params, specs, ctx, params.get("fields"), True)
        raise _GraphError(400, f"Unknown path components: /{'/'.join(segments[2:])}", 2500)

    def _require(self, kind: str, ctx: _Ctx) -> None:
        """Raise the Graph API permission error unless the token may read objects of `kind`."""
        permissions = ctx.info.permissions if ctx.info else frozenset()
        if kind == "post" and "pages_read_engagement" not in permissions:
            raise _GraphError(403, "(#10) This endpoint requires the 'pages_read_engagement' "
                              "permission or the 'Page Public Content Access' feature.",
                              10)
        if kind == "comment" and "pages_read_user_content" not in permissions:
            raise _GraphError(403, "(#10) This endpoint requires the 'pages_read_user_content' "
                              "permission.", 10)
        if kind in ("conversation", "message") and "pages_messaging" not in permissions:
            raise _GraphError(403, "(#200) Requires pages_messaging permission to manage the "
                              "object", 200)

    def _lookup(self, object_id: str, ctx: _Ctx) -> _Entry:
        entry = self._index.get(object_id)
        if entry is None or ctx.info is None or entry.page_id not in ctx.info.page_ids:
            raise _missing(object_id)
        ctx.page_id = entry.page_id
        self._require(entry.kind, ctx)
        if entry.kind == "message" and entry.conversation is not None and not any(
            m is entry.obj for m in entry.conversation.messages[-NEWEST_READABLE_MESSAGES:]
        ):
            raise _GraphError(400, "(#100) Only the 20 most recent messages of a conversation "
                              "can be read by id", 100)
        return entry

    def _debug_token(self, target: str, ctx: _Ctx) -> dict[str, Any]:
        info = self._tokens.get(target)
        if info is None:
            return {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."},
                             "is_valid": False, "scopes": []}}
        now = int(ctx.now.timestamp())
        data: dict[str, Any] = {
            "app_id": "100000000000001", "type": "PAGE", "application": "somed emulator",
            "data_access_expires_at": now + 90 * 86400, "expires_at": 0,
            "is_valid": not info.expired, "issued_at": now - 86400,
            "profile_id": info.page_ids[0] if info.page_ids else None,
            "scopes": sorted(info.permissions),
            "granular_scopes": [{"scope": p, "target_ids": list(info.page_ids)}
                                for p in sorted(info.permissions)],
            "user_id": "100000000000042",
        }
        if info.expired:
            data["error"] = {"code": 190, "message": _expired_message(ctx.now), "subcode": 463}
        return {"data": data}

    # --- rendering --------------------------------------------------------------------------

    def _check_fields(self, kind: str, specs: tuple[FieldSpec, ...] | None) -> None:
        for spec in specs or ():
            if spec.name not in self._getters[kind] and spec.name not in EDGES[kind]:
                raise _nonexisting(spec.name, kind)

    def _render(self, entry: _Entry, specs: tuple[FieldSpec, ...] | None, ctx: _Ctx,
                checked: bool = False) -> dict[str, Any]:
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
                value: Any = self._edge(entry, name, spec.modifiers, spec.children, ctx,
                                        spec.children_text)
            elif name == "parent" and kind == "comment":
                if entry.parent is None:
                    continue
                value = self._render(self._index[entry.parent.id], spec.children, ctx)
            else:
                value = getters[name](entry, ctx)
                if value is None:
                    continue
                if spec.children is not None:
                    value = _project(value, spec.children)
            result[name] = value
        if "id" not in result:
            result["id"] = entry.id
        return result

    def _cdn(self, name: str, ctx: _Ctx) -> str:
        """Return a signed-looking CDN URL: the path is stable, the query changes per response."""
        digest = hashlib.sha256(f"{name}:{ctx.serial}".encode()).hexdigest()[:40]
        expires = int(ctx.now.timestamp()) + 3 * 86400
        return f"{CDN_URL}/media/{name}.png?oh=00_{digest}&oe={expires:08X}"

    def _photo(self, name: str, ctx: _Ctx) -> dict[str, Any]:
        photo_id = _numeric_id(name)
        link = f"https://www.facebook.com/photo.php?fbid={photo_id}"
        return {"media": {"image": {"height": 540, "src": self._cdn(name, ctx), "width": 720}},
                "target": {"id": photo_id, "url": link}, "type": "photo", "media_type": "photo",
                "url": link}

    def _own(self, entry: _Entry) -> tuple[str, str]:
        page = self._pages[entry.page_id].page
        return (page.id, page.name)

    def _parties(self, entry: _Entry) -> tuple[tuple[str, str], tuple[str, str]]:
        """Return (sender, receiver) of a message."""
        assert entry.conversation is not None
        user, own = entry.conversation.user, self._own(entry)
        return (own, user) if entry.obj.from_page else (user, own)

    def _story(self, entry: _Entry) -> str | None:
        """Return Facebook's generated line for photo posts ("X added 2 new photos.")."""
        images = entry.obj.images
        if not images:
            return None
        name = self._own(entry)[1]
        return f"{name} added a new photo." if images == 1 else f"{name} added {images} new photos."

    def _attachments(self, post: PostData, ctx: _Ctx) -> dict[str, Any]:
        photos = [self._photo(f"photo_{post.id}_{i + 1}", ctx) for i in range(post.images)]
        if len(photos) == 1:
            return {"data": photos}
        album_id = _numeric_id(f"album_{post.id}")
        link = f"https://www.facebook.com/media/set/?set=a.{album_id}"
        return {"data": [{"media": photos[0]["media"], "target": {"id": album_id, "url": link},
                          "title": "Foton", "type": "album", "media_type": "album", "url": link,
                          "subattachments": {"data": photos}}]}

    def _comment_link(self, entry: _Entry, ctx: _Ctx) -> str:
        assert entry.post is not None
        page_id, post_n = entry.post.id.split("_", 1)
        link = f"https://www.facebook.com/{page_id}/posts/{post_n}?comment_id="
        own = entry.id.rsplit("_", 1)[-1]
        if entry.parent is None:
            return link + own
        return f"{link}{entry.parent.id.rsplit('_', 1)[-1]}&reply_comment_id={own}"

    def _comment_attachment(self, entry: _Entry, ctx: _Ctx) -> dict[str, Any] | None:
        if not entry.obj.images:
            return None
        photo = self._photo(f"comment_{entry.id}", ctx)
        del photo["media_type"]
        return photo

    def _build_getters(self) -> dict[str, dict[str, Getter]]:
        """Return, per node kind, a function per field (returning None leaves the field out)."""
        plain = ("id", "name", "username", "about", "description", "website", "category",
                 "fan_count", "followers_count", "phone", "single_line_address")
        page: dict[str, Getter] = {
            name: (lambda e, c, n=name: _present(getattr(e.obj, n))) for name in plain
        }
        page |= {
            "link": lambda e, c: f"https://www.facebook.com/{e.obj.username or e.obj.id}",
            "emails": lambda e, c: list(e.obj.emails) or None,
            "picture": lambda e, c: {"data": {"height": 50, "is_silhouette": False, "width": 50,
                                              "url": self._cdn(f"page_{e.id}_picture", c)}},
            "cover": lambda e, c: {"cover_id": _numeric_id(f"page_{e.id}_cover"), "offset_x": 50,
                                   "offset_y": 50, "source": self._cdn(f"page_{e.id}_cover", c),
                                   "id": _numeric_id(f"page_{e.id}_cover")},
        }
        post: dict[str, Getter] = {
            "id": lambda e, c: e.obj.id,
            "message": lambda e, c: e.obj.message or None,
            "story": lambda e, c: self._story(e),
            "message_tags": lambda e, c: None,  # the emulator's texts tag nobody
            "created_time": lambda e, c: _fmt(e.obj.created_time),
            "updated_time": lambda e, c: _fmt(e.obj.updated_time or e.obj.created_time),
            "permalink_url": lambda e, c: (f"https://www.facebook.com/{e.page_id}/posts/"
                                           f"{e.id.split('_', 1)[-1]}"),
            "from": lambda e, c: dict(zip(("id", "name"), self._own(e), strict=True)),
            "status_type": lambda e, c: "added_photos" if e.obj.images else "mobile_status_update",
            "full_picture": lambda e, c: self._cdn(f"photo_{e.id}_1", c) if e.obj.images else None,
            "is_hidden": lambda e, c: e.obj.is_hidden,
            "is_published": lambda e, c: True,
            "shares": lambda e, c: {"count": e.obj.shares} if e.obj.shares else None,
            "attachments": lambda e, c: self._attachments(e.obj, c) if e.obj.images else None,
        }
        comment: dict[str, Getter] = {
            "id": lambda e, c: e.obj.id,
            "message": lambda e, c: e.obj.message,
            "created_time": lambda e, c: _fmt(e.obj.created_time),
            "from": lambda e, c: {"name": e.obj.author[1], "id": e.obj.author[0]},
            "parent": lambda e, c: None,  # rendered as a node by _render
            "permalink_url": self._comment_link,
            "attachment": self._comment_attachment,
            "like_count": lambda e, c: e.obj.like_count,
            "comment_count": lambda e, c: len(e.obj.replies),
            "is_hidden": lambda e, c: e.obj.is_hidden,
            "message_tags": lambda e, c: None,  # the emulator's texts tag nobody
            "can_comment": lambda e, c: e.parent is None,
        }
        conversation: dict[str, Getter] = {
            "id": lambda e, c: e.obj.id,
            "updated_time": lambda e, c: (_fmt(e.obj.messages[-1].created_time)
                                          if e.obj.messages else None),
            "link": lambda e, c: f"/{self._pages[e.page_id].page.username}/inbox/{e.id[2:]}/",
            "message_count": lambda e, c: len(e.obj.messages),
            "unread_count": lambda e, c: 0,
            "participants": lambda e, c: {"data": [_party(e.obj.user), _party(self._own(e))]},
            "snippet": lambda e, c: e.obj.messages[-1].message[:100] if e.obj.messages else None,
            "can_reply": lambda e, c: True,
        }
        message: dict[str, Getter] = {
            "id": lambda e, c: e.obj.id,
            "message": lambda e, c: e.obj.message,
            "created_time": lambda e, c: _fmt(e.obj.created_time),
            "from": lambda e, c: _party(self._parties(e)[0]),
            "to": lambda e, c: {"data": [_party(self._parties(e)[1])]},
            "attachments": lambda e, c: None,  # the emulator's messages carry none
        }
        return {"page": page, "post": post, "comment": comment, "conversation": conversation,
                "message": message}

    # --- edges and paging -------------------------------------------------------------------

    def _listing(self, entry: _Entry, edge: str, params: dict[str, str]) -> _Listing:
        if entry.kind == "page" and edge == "conversations":
            platform = params.get("platform", "messenger").lower()
            if platform not in ("messenger", "instagram"):
                raise _GraphError(400, "(#100) param platform must be one of {MESSENGER, "
                                  "INSTAGRAM}", 100)
            items = entry.obj.conversations if platform == "messenger" else []
            return _Listing(items, _finder(items), 0, len(items),
                            carry=_carry(params, ("platform",)))
        if entry.kind == "page":
            state = self._pages[entry.id]
            lo, hi = state.window(_parse_time(params.get("since"), "since"),
                                  _parse_time(params.get("until"), "until"))
            return _Listing(state.page.posts, state.pos.get, lo, hi, {"total_count": hi - lo},
                            _carry(params, ("since", "until", "summary")))
        if entry.kind == "conversation":
            items = entry.obj.messages[::-1]
            return _Listing(items, _finder(items), 0, len(items))
        mode = params.get("filter", "toplevel")
        order = params.get("order", "chronological")
        if mode not in ("toplevel", "stream"):
            raise _GraphError(400, "(#100) filter must be one of the following values: toplevel, "
                              "stream", 100)
        if order not in ("chronological", "reverse_chronological", "ranked"):
            raise _GraphError(400, "(#100) order must be one of the following values: "
                              "chronological, reverse_chronological, ranked", 100)
        items = self._comments(entry, mode == "stream")
        if order == "reverse_chronological":
            items = items[::-1]
        summary = {"order": order, "total_count": len(items), "can_comment": True}
        return _Listing(items, _finder(items), 0, len(items), summary,
                        _carry(params, ("filter", "order", "summary")))

    def _comments(self, entry: _Entry, stream: bool) -> list[CommentData]:
        """Return a post's or comment's direct comments, or its whole tree chronologically."""
        roots: list[CommentData] = entry.obj.comments if entry.kind == "post" else entry.obj.replies
        if not stream:
            return roots
        if entry.kind == "post" and entry.id in self._streams:
            return self._streams[entry.id]
        flat: list[CommentData] = []
        pending = list(roots)
        while pending:
            comment = pending.pop()
            flat.append(comment)
            pending.extend(comment.replies)
        flat.sort(key=_comment_key)
        if entry.kind == "post":
            self._streams[entry.id] = flat
        return flat

    def _window(self, listing: _Listing, params: dict[str, str], limit: int) -> tuple[int, int]:
        lo, hi = listing.lo, listing.hi
        if params.get("after"):
            start = self._position(listing, _decode_cursor(params["after"]), lo - 1) + 1
            start = max(start, lo)
            return start, max(start, min(start + limit, hi))
        if params.get("before"):
            end = min(self._position(listing, _decode_cursor(params["before"]), lo), hi)
            start = max(lo, end - limit)
            return start, max(start, end)
        return lo, min(lo + limit, hi)

    def _position(self, listing: _Listing, marker: str, start: int) -> int:
        if marker == "":
            return start
        index = listing.index_of(marker)
        if index is None:  # the item the cursor points at is gone: the cursor dies with it
            raise _GraphError(400, "(#2642) Invalid cursors values", 2642)
        return index

    def _edge(self, entry: _Entry, edge: str, params: dict[str, str],
              children: tuple[FieldSpec, ...] | None, ctx: _Ctx, fields: str | None,
              top: bool = False) -> dict[str, Any]:
        """Render one page of an edge with cursors, `next`/`previous` links and summary."""
        child_kind = EDGES[entry.kind].get(edge)
        if child_kind is None:
            raise _nonexisting(edge, entry.kind)
        self._require(child_kind, ctx)
        self._check_fields(child_kind, children)
        listing = self._listing(entry, edge, params)
        limit = _parse_limit(params.get("limit"))
        start, end = self._window(listing, params, limit)

        def link(direction: str, cursor: str) -> str:
            query = {"access_token": ctx.token} if ctx.token else {}
            query.update(listing.carry)
            if fields:
                query["fields"] = fields
            query.update({"limit": str(limit), direction: cursor})
            return f"{GRAPH_URL}/{ctx.version}/{entry.id}/{edge}?{urlencode(query)}"

        result: dict[str, Any]
        if top and self._empty_pages > 0:
            self._empty_pages -= 1
            self._serial += 1
            marker = listing.items[start - 1].id if start > 0 else ""
            cursor = _encode_cursor(marker, self._serial)
            result = {"data": [], "paging": {"cursors": {"before": cursor, "after": cursor},
                                             "next": link("after", cursor)}}
        else:
            items = listing.items[start:end]
            index, render = self._index, self._render
            result = {"data": [render(index[item.id], children, ctx, True) for item in items]}
            if items:
                first, last = _encode_cursor(items[0].id), _encode_cursor(items[-1].id)
                paging: dict[str, Any] = {"cursors": {"before": first, "after": last}}
                if start > listing.lo:
                    paging["previous"] = link("before", first)
                if end < listing.hi:
                    paging["next"] = link("after", last)
                result["paging"] = paging
        if _truthy(params.get("summary")) and listing.summary is not None:
            result["summary"] = listing.summary
        return result

    # --- batch ------------------------------------------------------------------------------

    def _batch(self, path: str, batch_text: str, params: dict[str, str],
               token: str | None) -> Response:
        try:
            version, rest = self._split_version([s for s in path.split("/") if s], None)
            if rest:
                raise _GraphError(400, "(#100) Unsupported post request.", 100)
            try:
                items = json.loads(batch_text)
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise _GraphError(400, "(#100) The parameter batch must be a JSON array", 100)
            if len(items) > MAX_BATCH:
                raise _GraphError(400, f"(#1) The batch is too large: at most {MAX_BATCH} "
                                  "requests per batch", 1)
            if token is not None:
                self._authenticate(token)
        except _GraphError as error:
            return self._json(error.status, error.envelope(self._trace()), self._token_page(token))
        headers = params.get("include_headers", "true").lower() != "false"
        results = [self._batch_item(item, version, token, headers) for item in items]
        return self._json(200, results, self._token_page(token))

    def _batch_item(self, item: Any, version: str, token: str | None,
                    include_headers: bool) -> dict[str, Any]:
        self._record_call()
        if isinstance(item, dict) and isinstance(item.get("relative_url"), str):
            split = urlsplit(item["relative_url"].lstrip("/"))
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            item_token = query.pop("access_token", None) or token
            method = str(item.get("method", "GET")).upper()
            logged = LoggedRequest(method, "/" + split.path, dict(query), batch=True)
            status, body, page_id = self._call(method, split.path, query, item_token, version)
        else:
            logged = LoggedRequest("GET", "", {}, batch=True)
            error = _GraphError(400, "(#100) Each batch request needs a relative_url", 100)
            status, body, page_id = 400, error.envelope(self._trace()), None
        logged.status = status
        self.request_log.append(logged)
        result: dict[str, Any] = {"code": status}
        if include_headers:
            headers = {"Content-Type": "text/javascript; charset=UTF-8",
                       **self._usage_headers(page_id)}
            result["headers"] = [{"name": name, "value": value} for name, value in headers.items()]
        result["body"] = json.dumps(body, separators=(",", ":"))
        return result


def _carry(params: dict[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: str(params[key]) for key in keys if key in params}


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() not in ("bearer", "oauth"):
        return None
    return value.strip() or None


def _present(value: Any) -> Any:
    return None if value == "" else value


def _party(party: tuple[str, str]) -> dict[str, str]:
    return {"name": party[1], "email": f"{party[0]}@facebook.com", "id": party[0]}


def _walk(comments: list[CommentData]) -> Iterator[CommentData]:
    """Yield every comment of a tree (comments and all their replies)."""
    for comment in comments:
        yield comment
        yield from _walk(comment.replies)


def _batch_length(text: str) -> int:
    try:
        items = json.loads(text)
    except ValueError:
        return 0
    return len(items) if isinstance(items, list) else 0
