"""A local HTTP server that speaks the Facebook Graph API wire format for pages.

The test suite, the benchmark and `somed demo` talk to it exactly as they would talk to
graph.facebook.com: versioned paths, `fields` expansion, cursor paging, batch requests, the error
envelope, usage headers, signed CDN image URLs, and (on request) faults and paging traps.
The emulator takes ownership of the `PageData` objects it is given and changes them in place.

This module is the public class, built on the shared toolkit (`connectors.emulation`: server,
request log, fault queue, usage budget); the Graph work is done beside it: `store` (state),
`render` and `nodes` (reads), `fields` (the `fields` syntax), `errors` and `faults` (errors and
injected faults), `data` (data sets).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.wrappers import Request, Response

from connectors import emulation
from connectors.emulation import Emulator, UsageBudget
from connectors.emulation.public_page import PublicKnobs, PublicSite
from connectors.facebook.emulator import public
from connectors.facebook.emulator.data import (
    PageData,
    TokenInfo,
)
from connectors.facebook.emulator.errors import JSON_TYPE, GraphError, compact_json
from connectors.facebook.emulator.faults import FAULT_KINDS, FaultPlan, answer
from connectors.facebook.emulator.nodes import media_file
from connectors.facebook.emulator.render import Renderer
from connectors.facebook.emulator.store import GraphStore

MAX_BATCH = 50
BUDGET_THROTTLE = ("throttle", {"code": 4, "status": 403, "regain": 1})  # budget spent


@dataclass
class LoggedRequest(emulation.LoggedRequest):
    """One request the emulator answered.

    `batch=False` entries are real HTTP requests (a batch POST has `batch_size` > 0);
    `batch=True` entries are the sub-requests inside a batch, logged after their batch.
    """

    batch_size: int = 0
    batch: bool = False


class FacebookEmulator(Emulator):
    """A thread-safe, seeded Graph API emulator for Facebook pages, served over loopback HTTP."""

    name = "facebook"
    fault_kinds = FAULT_KINDS

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
        public_pages: PublicKnobs | None = None,
    ) -> None:
        super().__init__(host=host, port=port, latency=latency)
        self.public = PublicSite(public.SKIN, public_pages)  # the pages a browser sees
        self.budget = UsageBudget(usage_budget, window=60, clock=time.monotonic)
        self.enforce_budget = enforce_budget
        self._store = GraphStore(tokens, clock or (lambda: datetime.now(UTC)))
        self._lock = self._store.lock
        self._reader = Renderer(self._store, supported_versions)
        self._reader.paging = dict(paging or {})  # e.g. {"published_posts": "time"}
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

    @property
    def usage_budget(self) -> int:
        """Return the calls per minute that make 100 % in the usage headers."""
        return self.budget.limit

    @usage_budget.setter
    def usage_budget(self, calls: int) -> None:
        self.budget.limit = calls

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

    def fail_next(self, n: int, kind: str, **params: Any) -> None:
        """Make the next `n` API requests fail with `kind` (before any random fault).

        Params: throttle `code`, `status`, `regain`; server_error `status`, `html`;
        permission `code` (200 or 10).
        """
        super().fail_next(n, kind, **params)

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

    def crash_response(self, request: Request) -> Response:
        """Answer a bug in the emulator with Graph's generic error."""
        body = {"error": {"message": "emulator failure", "code": 2, "type": "OAuthException"}}
        return Response(json.dumps(body), status=500, content_type=JSON_TYPE)

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request: a public page, a CDN file, a batch, or a Graph read."""
        with self._lock:
            pages = [state.page for state in self._store.pages.values()]
            page = public.answer(self.public, pages, request)
        if page is not None:
            return page
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
            self.budget.charge()
            over = self.enforce_budget and self.budget.percent() >= 100
            fault = self.faults.next(BUDGET_THROTTLE if over else None)
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
        failed = answer(self.faults, kind, params, path, self._store.now, self._reader.trace)
        return Response(
            failed.body,
            status=failed.status,
            content_type=failed.content_type,
            headers=self._usage_headers(page_id, failed.throttled, failed.regain),
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

    def _usage_headers(
        self, page_id: str | None, throttled: bool = False, regain: int = 0
    ) -> dict[str, str]:
        calls = 100 if throttled else self.budget.percent()
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
        self.budget.charge()
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
