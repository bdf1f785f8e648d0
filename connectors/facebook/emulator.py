"""A local HTTP server that speaks the Facebook Graph API wire format for pages.

The test suite, the benchmark and `somed demo` talk to it exactly as they would talk to
graph.facebook.com: versioned paths, `fields` expansion, cursor paging, batch requests, the error
envelope, usage headers, signed CDN image URLs, and (on request) faults and paging traps.
The emulator takes ownership of the `PageData` objects it is given and changes them in place.

This module is the WSGI app, the server and the public class; the work is done beside it:
`emulator_store` (state), `emulator_render` and `emulator_nodes` (reads), `emulator_fields`
(the `fields` syntax), `emulator_errors` and `emulator_faults` (errors and injected faults),
`emulator_data` (data sets).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

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
)
from connectors.facebook.emulator_errors import JSON_TYPE, GraphError, compact_json
from connectors.facebook.emulator_faults import FAULT_KINDS, FaultInjector, FaultPlan
from connectors.facebook.emulator_fields import FieldSpec, parse_fields
from connectors.facebook.emulator_nodes import media_file, png_image
from connectors.facebook.emulator_render import Renderer
from connectors.facebook.emulator_store import GraphStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "ALL_PERMISSIONS",
    "FAULT_KINDS",
    "CommentData",
    "ConversationData",
    "FacebookEmulator",
    "FaultPlan",
    "FieldSpec",
    "LoggedRequest",
    "MessageData",
    "PageData",
    "PostData",
    "TokenInfo",
    "demo_pages",
    "generate_page",
    "parse_fields",
    "png_image",
]

_log = logging.getLogger(__name__)

MAX_BATCH = 50


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


class _QuietHandler(WSGIRequestHandler):
    """A request handler that does not print a line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Send server messages to the debug log."""
        _log.debug(message, *args)


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
        paging: dict[str, str] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.host, self.port = host, port
        self.latency = latency  # seconds each answer waits, like a real network round trip
        self.usage_budget = usage_budget
        self.enforce_budget = enforce_budget
        self.base_url = ""
        self.request_log: list[LoggedRequest] = []
        self._store = GraphStore(tokens, clock or (lambda: datetime.now(UTC)))
        self._lock = self._store.lock
        self._reader = Renderer(self._store, supported_versions)
        self._reader.paging = dict(paging or {})  # e.g. {"published_posts": "time"}
        self._faults = FaultInjector()
        self._calls: deque[float] = deque()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.set_faults(faults)
        for page in pages or []:
            self.add_page(page)

    @property
    def supported_versions(self) -> tuple[str, ...]:
        """Return the Graph API versions answered (the last one serves unversioned paths)."""
        return self._reader.supported_versions

    @supported_versions.setter
    def supported_versions(self, versions: tuple[str, ...]) -> None:
        self._reader.supported_versions = versions

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving in a daemon thread and return the base URL."""
        with self._lock:
            if self._server is None:
                self._server = make_server(
                    self.host, self.port, self._wsgi, threaded=True, request_handler=_QuietHandler
                )
                self.base_url = f"http://{self.host}:{self._server.server_port}"
                self._thread = threading.Thread(
                    target=self._server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name="facebook-emulator",
                    daemon=True,
                )
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

    # --- state changes (see GraphStore) -----------------------------------------------------

    def add_page(self, page: PageData) -> None:
        """Add a page with all its posts, comments and conversations."""
        self._store.add_page(page)

    def add_token(self, token: str, info: TokenInfo) -> None:
        """Accept `token` from now on."""
        self._store.add_token(token, info)

    def expire_token(self, token: str) -> None:
        """Make `token` answer with code 190, subcode 463 (session expired)."""
        self._store.expire_token(token)

    def add_post(
        self,
        page_id: str,
        message: str,
        *,
        created_time: datetime | None = None,
        images: int = 0,
        attachment: str | None = None,
    ) -> str:
        """Publish a post on the page (now, or at `created_time`) and return its id;
        `attachment` is "video", "share" or "event" (photos: `images`)."""
        return self._store.add_post(
            page_id, message, created_time=created_time, images=images, attachment=attachment
        )

    def add_visitor_post(self, page_id: str, author: tuple[str, str], message: str) -> str:
        """Let a member of the public post on the page's wall; return the post's id."""
        return self._store.add_other_post(page_id, author, message)

    def add_tagging_post(
        self, page_id: str, author: tuple[str, str], message: str, wall: str | None = None
    ) -> str:
        """A post on someone else's wall (by default the author's) that tags the page."""
        return self._store.add_other_post(page_id, author, message, wall=wall or author[0])

    def newest_post_id(self, page_id: str) -> str | None:
        """Return the id of the page's newest post (None when it has none)."""
        return self._store.newest_post_id(page_id)

    def edit_post(self, post_id: str, message: str) -> None:
        """Change a post's text; its updated_time moves to now."""
        self._store.edit_post(post_id, message)

    def delete_post(self, post_id: str) -> None:
        """Delete a post and all its comments."""
        self._store.delete_post(post_id)

    def add_comment(
        self,
        object_id: str,
        message: str,
        *,
        author: tuple[str, str] | None = None,
        created_time: datetime | None = None,
        images: int = 0,
        attachment: str | None = None,
    ) -> str:
        """Comment on a post, or reply to a comment (a reply to a reply joins its top comment).

        `author` is (id, name), by default a random member of the public; the page itself
        answers when the id is the page id. The post's updated_time moves forward. A comment's
        `attachment` is "sticker", "gif" or "share" (a photo: `images=1`).
        """
        return self._store.add_comment(
            object_id, message, author=author, created_time=created_time, images=images,
            attachment=attachment,
        )  # fmt: skip

    def edit_comment(self, comment_id: str, message: str) -> None:
        """Change a comment's text."""
        self._store.edit_comment(comment_id, message)

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment and its replies."""
        self._store.delete_comment(comment_id)

    def add_message(
        self,
        page_id: str,
        user: tuple[str, str],
        message: str,
        *,
        from_page: bool = False,
        created_time: datetime | None = None,
        attachment: str | None = None,
        sticker: bool = False,
    ) -> str:
        """Add a Messenger message between the page and `user` (id, name); return its id.
        `attachment` is "image", "video", "audio" or "file"; `sticker` sends a sticker."""
        return self._store.add_message(
            page_id, user, message, from_page=from_page, created_time=created_time,
            attachment=attachment, sticker=sticker,
        )  # fmt: skip

    # --- faults and traps -------------------------------------------------------------------

    def set_faults(self, faults: FaultPlan | None) -> None:
        """Replace the random fault plan (None: no random faults) and reseed its generator."""
        with self._lock:
            self._faults.set_plan(faults)

    def fail_next(self, n: int, kind: str, **params: Any) -> None:
        """Make the next `n` API requests fail with `kind` (before any random fault).

        Params: throttle `code`, `status`, `regain`; server_error `status`, `html`;
        permission `code` (200 or 10).
        """
        with self._lock:
            self._faults.fail_next(n, kind, params)

    def set_paging(self, edge: str, style: str) -> None:
        """Page `edge` (e.g. "published_posts", "comments") by "cursor", "time" or "offset"."""
        if style not in ("cursor", "time", "offset"):
            raise ValueError(f"unknown paging style {style!r}")
        with self._lock:
            self._reader.paging[edge] = style

    def empty_pages_next(self, n: int) -> None:
        """Make the next `n` edge listings answer `"data": []` with a `next` that goes on."""
        with self._lock:
            self._reader.empty_pages += n

    # --- HTTP -----------------------------------------------------------------------------

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if self.latency:
            time.sleep(self.latency)
        try:
            response = self._dispatch(request)
        except Exception:  # a bug here must not leave the client hanging
            _log.exception("facebook emulator failed on %s", request.path)
            response = Response(
                json.dumps(
                    {"error": {"message": "emulator failure", "code": 2, "type": "OAuthException"}}
                ),
                status=500,
                content_type=JSON_TYPE,
            )
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
            fault = self._faults.next(self.enforce_budget and self._usage_percent() >= 100)
            if fault is not None:
                logged.fault = fault[0]
                response = self._fault(fault[0], fault[1], request.path, token)
            elif batch_text is not None:
                response = self._batch(request.path, batch_text, params, token)
            else:
                status, body, page_id = self._reader.call(
                    request.method, request.path, params, token
                )
                response = self._json(status, body, page_id)
            logged.status = response.status_code
            return response

    def _fault(self, kind: str, params: dict[str, Any], path: str, token: str | None) -> Response:
        page_id = self._store.token_page(token)
        answer = self._faults.answer(kind, params, path, self._store.now, self._reader.trace)
        return Response(
            answer.body,
            status=answer.status,
            content_type=answer.content_type,
            headers=self._usage_headers(page_id, answer.throttled, answer.regain),
        )

    def _media(self, request: Request) -> Response:
        body, mime = media_file(request.path.rsplit("/", 1)[-1])
        with self._lock:
            self.request_log.append(
                LoggedRequest(request.method, request.path, request.args.to_dict(), status=200)
            )
        return Response(body, content_type=mime, headers={"Cache-Control": "max-age=1209600"})

    def _json(self, status: int, body: Any, page_id: str | None) -> Response:
        return Response(
            compact_json(body),
            status=status,
            headers=self._usage_headers(page_id),
            content_type=JSON_TYPE,
        )

    def _record_call(self) -> None:
        now = time.monotonic()
        self._calls.append(now)
        while self._calls and self._calls[0] < now - 60:
            self._calls.popleft()

    def _usage_percent(self) -> int:
        return len(self._calls) * 100 // max(1, self.usage_budget)

    def _usage_headers(
        self, page_id: str | None, throttled: bool = False, regain: int = 0
    ) -> dict[str, str]:
        calls = 100 if throttled else self._usage_percent()
        cpu, total = (100, 100) if throttled else (calls // 4, calls // 2)
        usage = {"call_count": calls, "total_cputime": cpu, "total_time": total}
        buc = (
            {}
            if page_id is None
            else {page_id: [{"type": "pages", **usage, "estimated_time_to_regain_access": regain}]}
        )
        return {"X-App-Usage": compact_json(usage), "X-Business-Use-Case-Usage": compact_json(buc)}

    # --- batch ------------------------------------------------------------------------------

    def _batch(
        self, path: str, batch_text: str, params: dict[str, str], token: str | None
    ) -> Response:
        try:
            version, rest = self._reader.split_version([s for s in path.split("/") if s], None)
            if rest:
                raise GraphError(400, "(#100) Unsupported post request.", 100)
            try:
                items = json.loads(batch_text)
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise GraphError(400, "(#100) The parameter batch must be a JSON array", 100)
            if len(items) > MAX_BATCH:
                raise GraphError(
                    400, f"(#1) The batch is too large: at most {MAX_BATCH} requests per batch", 1
                )
            if token is not None:
                self._reader.authenticate(token)
        except GraphError as error:
            return self._json(
                error.status, error.envelope(self._reader.trace()), self._store.token_page(token)
            )
        headers = params.get("include_headers", "true").lower() != "false"
        results = [self._batch_item(item, version, token, headers) for item in items]
        return self._json(200, results, self._store.token_page(token))

    def _batch_item(
        self, item: Any, version: str, token: str | None, include_headers: bool
    ) -> dict[str, Any]:
        self._record_call()
        if isinstance(item, dict) and isinstance(item.get("relative_url"), str):
            split = urlsplit(item["relative_url"].lstrip("/"))
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            item_token = query.pop("access_token", None) or token
            method = str(item.get("method", "GET")).upper()
            logged = LoggedRequest(method, "/" + split.path, dict(query), batch=True)
            status, body, page_id = self._reader.call(
                method, split.path, query, item_token, version
            )
        else:
            logged = LoggedRequest("GET", "", {}, batch=True)
            error = GraphError(400, "(#100) Each batch request needs a relative_url", 100)
            status, body, page_id = 400, error.envelope(self._reader.trace()), None
        logged.status = status
        self.request_log.append(logged)
        result: dict[str, Any] = {"code": status}
        if include_headers:
            headers = {
                "Content-Type": "text/javascript; charset=UTF-8",
                **self._usage_headers(page_id),
            }
            result["headers"] = [{"name": name, "value": value} for name, value in headers.items()]
        result["body"] = compact_json(body)
        return result


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() not in ("bearer", "oauth"):
        return None
    return value.strip() or None


def _batch_length(text: str) -> int:
    try:
        items = json.loads(text)
    except ValueError:
        return 0
    return len(items) if isinstance(items, list) else 0
