"""The Instagram Graph API on loopback: the wire format the `graph` mode reads.

Versioned paths (`/v21.0/{ig-user}/media`, `/{media}/comments`, `/{comment}/replies`,
`/{page}/conversations?platform=instagram`, `/{id}`, `/me`, `/debug_token`), the `fields`
syntax with nested edges, cursor paging (`paging.cursors.before/after` and `next` echoing the
token as Graph does; nested first pages with only `after`; last pages without paging at all),
Graph batch requests, the Graph error envelope, `x-app-usage` and
`x-business-use-case-usage` headers, media files on a fake CDN whose signed URLs can expire.
Built on `connectors.emulation`; instaloader's web routes may be mounted on the same router.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from connectors.emulation import (
    CursorCodec,
    Emulator,
    Fault,
    FaultPlan,
    InvalidCursor,
    UsageBudget,
    jpeg_image,
    json_response,
    mp4_video,
)
from connectors.emulation.public_page import PublicKnobs, PublicSite
from connectors.instagram.emulator import public
from connectors.instagram.emulator.data import Account, Comment, Conversation, Media, TokenInfo
from connectors.instagram.emulator.fields import (
    Field,
    FieldsError,
    parse,
    render_comment,
    render_media,
    render_message,
    render_user,
)

VERSION = re.compile(r"v\d+\.\d+")
GRAPH_URL = "https://graph.facebook.com"  # what `paging.next` names, as real Graph does
CDN_URL = "https://scontent-arn2-1.cdninstagram.com/v/t51.2885-15"  # signed media URLs


@dataclass(frozen=True)
class Ctx:
    """What rendering one request needs: the CDN prefix, the server's base URL, the token."""

    cdn: str  # a format with {name}: a signed media URL
    base: str
    token: str
    version: str = "v21.0"


DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class GraphError(Exception):
    """An answer in Graph's error envelope."""

    def __init__(self, status: int, code: int, message: str, subcode: int | None = None,
                 kind: str = "OAuthException", transient: bool = False) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.subcode = status, code, subcode
        self.kind, self.transient = kind, transient

    def body(self) -> dict[str, Any]:
        """The `{"error": {...}}` envelope."""
        error: dict[str, Any] = {"message": str(self), "type": self.kind, "code": self.code,
                                 "fbtrace_id": "AbCdEfGhIjK"}  # fmt: skip
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient:
            error["is_transient"] = True
        return {"error": error}


def _missing(ident: str) -> GraphError:
    return GraphError(400, 100, f"Unsupported get request. Object with ID '{ident}' does not "
                      "exist, cannot be loaded due to missing permissions, or does not support "
                      "this operation.", 33, "GraphMethodException")  # fmt: skip


class InstagramGraphEmulator(Emulator):
    """Serves Instagram accounts over the Graph wire format; tests change `accounts` freely."""

    name = "instagram"
    fault_kinds = ("throttle", "server_error", "expired_token", "too_much_data")
    passthrough = r"/v/t51\.2885-15/.*"

    def __init__(self, accounts: list[Account], tokens: dict[str, TokenInfo], *,
                 faults: FaultPlan | None = None, latency: float = 0.0,
                 rate_limit: int = 100_000,
                 public_pages: PublicKnobs | None = None) -> None:  # fmt: skip
        super().__init__(faults=faults, latency=latency)
        self.public = PublicSite(public.SKIN, public_pages)  # the pages a browser sees
        self.accounts = accounts
        self.tokens = tokens
        self.cursors = CursorCodec("instagram-emulator")
        self.budget = UsageBudget(rate_limit, 3600.0)
        self.url_generation = 1  # bump to let every signed media URL handed out expire
        self.router.route(r"/v/t51\.2885-15/(?P<name>[^/]+)", self._file)
        self.router.route(r"/(?P<path>v\d+\.\d+/?)", self._batch, method="POST")
        self.router.route(r"/(?P<path>v\d+\.\d+/.+)", self._get)

    # --- toolkit hooks ----------------------------------------------------------------------

    def public_answer(self, request: Request) -> Response | None:
        """The account's public pages, at www.instagram.com's paths."""
        return public.answer(self.public, self.accounts, request)

    def request_params(self, request: Request) -> dict[str, str]:
        """The logged params: never the token."""
        params = {**request.args.to_dict(), **request.form.to_dict()}
        params.pop("access_token", None)
        return params

    def forced_fault(self, request: Request) -> Fault | None:
        """A spent usage budget throttles every API read until it recovers."""
        if not request.path.startswith("/v/t51") and not self.budget.spend():
            return ("throttle", {})
        return None

    def fault_response(self, kind: str, params: dict[str, Any], request: Request) -> Response:
        """Injected faults in Graph's envelope (throttling is HTTP 400/403, not 429)."""
        errors = {
            "throttle": GraphError(400, int(params.get("code", 4)),
                                   "(#4) Application request limit reached"),
            "server_error": GraphError(500, 2, "An unexpected error has occurred. Please retry "
                                       "your request later.", transient=True),
            "expired_token": GraphError(400, 190, "Error validating access token: Session has "
                                        "expired on Tuesday, 01-Dec-26 10:00:00 PST.", 463),
            "too_much_data": GraphError(400, 1, "Please reduce the amount of data you're asking "
                                        "for, then retry your request"),
        }  # fmt: skip
        error = errors[kind]
        regain = int(params.get("regain", 0)) if kind == "throttle" else 0
        return json_response(error.body(), error.status, self._usage_headers(regain, kind))

    def not_found(self, request: Request) -> Response:
        """Graph's answer for an unknown path."""
        error = GraphError(400, 2500, f"Unknown path components: {request.path}")
        return json_response(error.body(), 400)

    def crash_response(self, request: Request) -> Response:
        """Graph's own "unexpected error" (transient)."""
        error = GraphError(500, 1, "An unknown error occurred", transient=True)
        return json_response(error.body(), 500)

    def expire_token(self, token: str) -> None:
        """From now on the token is expired (Graph code 190, subcode 463)."""
        self.tokens[token] = replace(self.tokens[token], expired=True)

    def revoke_token(self, token: str) -> None:
        """From now on the token is invalid (code 190 without subcode)."""
        self.tokens[token] = replace(self.tokens[token], valid=False)

    # --- helpers ----------------------------------------------------------------------------

    def account_of(self, ident: str) -> Account | None:
        """The account with this Instagram user id or linked page id."""
        for account in self.accounts:
            if ident in (account.user_id, account.page_id):
                return account
        return None

    def _usage_headers(self, regain: int = 0, kind: str = "") -> dict[str, str]:
        # an injected throttle reports the real budget (a spent one reports 100 % and more)
        percent = self.budget.percent()
        usage = {"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2}
        business = {
            a.user_id: [{"type": "instagram", **usage, "estimated_time_to_regain_access": regain}]
            for a in self.accounts
        }
        return {"x-app-usage": json.dumps(usage), "x-business-use-case-usage": json.dumps(business)}

    def _token(self, token: str | None) -> TokenInfo:
        info = self.tokens.get(token or "")
        if info is None or not info.valid:
            raise GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if info.expired:
            raise GraphError(400, 190, "Error validating access token: Session has expired on "
                             "Tuesday, 01-Dec-26 10:00:00 PST.", 463)  # fmt: skip
        return info

    def signed(self) -> str:
        """The query of a signed media URL of the current generation."""
        return f"oh=g{self.url_generation}&oe=6753A1F0"

    # --- routes -----------------------------------------------------------------------------

    def _get(self, request: Request, match: re.Match[str]) -> Response:
        args = request.args.to_dict()
        try:
            body = self.answer(match["path"], args)
        except GraphError as error:
            return json_response(error.body(), error.status, self._usage_headers())
        return json_response(body, 200, self._usage_headers())

    def _batch(self, request: Request, match: re.Match[str]) -> Response:
        form = request.form.to_dict()
        try:
            self._token(form.get("access_token"))
            calls = json.loads(form.get("batch") or "[]")
        except GraphError as error:
            return json_response(error.body(), error.status, self._usage_headers())
        except ValueError:
            error = GraphError(400, 100, "The parameter batch must be a JSON array")
            return json_response(error.body(), 400)
        results = []
        for call in calls:
            parts = urlsplit(str(call.get("relative_url", "")))
            args = {"access_token": form.get("access_token", ""), **dict(parse_qsl(parts.query))}
            try:
                status, body = 200, self.answer(parts.path.lstrip("/"), args)
            except GraphError as error:
                status, body = error.status, error.body()
            results.append({"code": status, "headers": [], "body": json.dumps(body)})
        return json_response(results, 200, self._usage_headers())

    def _file(self, request: Request, match: re.Match[str]) -> Response:
        name = match["name"]
        if request.args.get("oh") != f"g{self.url_generation}":
            return Response("<html><body>URL signature expired</body></html>", 403,
                            content_type="text/html")  # fmt: skip
        if name.endswith(".mp4"):
            return Response(mp4_video(name), 200, content_type="video/mp4")
        return Response(jpeg_image(name), 200, content_type="image/jpeg")

    # --- the API ----------------------------------------------------------------------------

    def answer(self, path: str, args: dict[str, str]) -> Any:
        """The JSON body for a GET of `path` (`v21.0/...`) with these query args."""
        info = self._token(args.get("access_token"))
        parts = path.strip("/").split("/")
        if not VERSION.fullmatch(parts[0]):
            raise GraphError(400, 2635, f"Unknown API version {parts[0]}")
        try:
            fields = parse(args["fields"]) if args.get("fields") else None
        except FieldsError as exc:
            raise GraphError(400, 100, str(exc)) from None
        rest = parts[1:]
        signed = f"{CDN_URL}/{{name}}?{self.signed()}"
        ctx = Ctx(signed, GRAPH_URL, args.get("access_token", ""), parts[0])
        if rest == ["debug_token"]:
            scopes = ["instagram_basic", "instagram_manage_comments", "pages_show_list"]
            scopes += ["instagram_manage_messages"] if info.messages else []
            return {"data": {"is_valid": True, "expires_at": info.expires_at, "scopes": scopes}}
        if len(rest) == 1:
            return self._node(rest[0], fields, info, ctx)
        if len(rest) != 2:
            raise GraphError(400, 2500, f"Unknown path components: /{path}")
        ident, edge = rest
        limit = min(MAX_LIMIT, int(args.get("limit") or DEFAULT_LIMIT))
        page = self._page_maker(path, args, ctx)
        account = self.account_of(info.page_id if ident == "me" else ident)
        if edge == "media" and account and ident == account.user_id:
            return page(account.live_media(), limit, fields, top=True)
        if edge == "conversations" and account and ident in ("me", account.page_id):
            if not info.messages or args.get("platform") != "instagram":
                raise GraphError(
                    403,
                    10,
                    "(#10) This endpoint requires the "
                    "'instagram_manage_messages' permission to manage the object",
                )
            convos = sorted(account.conversations, key=lambda c: c.updated, reverse=True)
            return page(convos, min(limit, 25), fields, top=True)
        node = self._find(ident)
        if edge == "comments" and isinstance(node, Media):
            return page([c for c in node.comments if not c.deleted], limit, fields, top=True)
        if edge == "replies" and isinstance(node, Comment) and node.parent_id is None:
            return page([r for r in node.replies if not r.deleted], limit, fields, top=True)
        if node is None and account is None:
            raise _missing(ident)
        raise GraphError(400, 100, f"Tried accessing nonexisting field ({edge})")

    def _find(self, ident: str) -> Media | Comment | None:
        for account in self.accounts:
            found = account.find(ident)
            if found is not None:
                return found
        return None

    def _node(self, ident: str, fields: tuple[Field, ...] | None, info: TokenInfo,
              ctx: Ctx) -> dict[str, Any]:  # fmt: skip
        account = self.account_of(info.page_id if ident == "me" else ident)
        if account is not None and ident in ("me", account.page_id):
            names = {f.name for f in fields or ()}
            out: dict[str, Any] = {"id": account.page_id, "name": account.name}
            if "instagram_business_account" in names:
                out["instagram_business_account"] = {"id": account.user_id,
                                                     "username": account.username}  # fmt: skip
            return out
        if account is not None:
            return render_user(account, fields, ctx.cdn)
        node = self._find(ident)
        if node is None:
            raise _missing(ident)
        return self._render(node, fields, ctx)

    def _nested(self, ctx: Ctx) -> Any:
        """Render a nested edge's first page (`comments.limit(n){...}` inside an object)."""

        def edge(items: list[Any], field: Field, owner: str) -> dict[str, Any]:
            limit = min(MAX_LIMIT, field.limit or DEFAULT_LIMIT)
            data = [self._render(item, field.sub, ctx) for item in items[:limit]]
            body: dict[str, Any] = {"data": data}
            if len(items) > limit:  # the first nested page has only `after`, and a `next`
                after = self.cursors.encode({"o": limit})
                query = urlencode({"access_token": ctx.token, "limit": limit, "after": after})
                kind = "replies" if field.name == "replies" else "comments"
                url = f"{ctx.base}/{ctx.version}/{owner}/{kind}?{query}"
                body["paging"] = {"cursors": {"after": after}, "next": url}
            return body

        return edge

    def _render(self, item: Any, fields: tuple[Field, ...] | None, ctx: Ctx) -> dict[str, Any]:
        edge = self._nested(ctx)
        if isinstance(item, Media):
            return render_media(item, fields, ctx.cdn, edge)
        if isinstance(item, Comment):
            return render_comment(item, fields, edge)
        if isinstance(item, Conversation):
            return self._conversation(item, fields, ctx.cdn)
        raise TypeError(f"cannot render {type(item).__name__}")

    def _conversation(self, convo: Conversation, fields: tuple[Field, ...] | None,
                      cdn: str) -> dict[str, Any]:  # fmt: skip
        account = next(a for a in self.accounts if convo in a.conversations)
        out: dict[str, Any] = {"id": convo.id}
        for f in fields or ():
            if f.name == "updated_time":
                out["updated_time"] = convo.messages and max(
                    m.created for m in convo.messages
                ).strftime("%Y-%m-%dT%H:%M:%S+0000")
            elif f.name == "participants":
                other = convo.messages[0]
                out["participants"] = {"data": [
                    {"id": account.user_id, "username": account.username},
                    {"id": other.sender_id, "username": other.sender_username}]}  # fmt: skip
            elif f.name == "messages":
                limit = min(f.limit or DEFAULT_LIMIT, 20)
                out["messages"] = {"data": [render_message(m, f.sub, cdn, account)
                                            for m in convo.messages[:limit]]}  # fmt: skip
        return out

    def _page_maker(self, path: str, args: dict[str, str], ctx: Ctx) -> Any:
        """A function that answers one page of an edge, Graph's cursor way."""

        def page(items: list[Any], limit: int, fields: tuple[Field, ...] | None,
                 top: bool) -> dict[str, Any]:  # fmt: skip
            start = 0
            if args.get("after"):
                try:
                    start = int(self.cursors.decode(args["after"])["o"])
                except (InvalidCursor, KeyError, TypeError, ValueError):
                    raise GraphError(400, 100, "Invalid after cursor") from None
            chunk = items[start : start + limit]
            body: dict[str, Any] = {"data": [self._render(i, fields, ctx) for i in chunk]}
            more = start + limit < len(items)
            if not more and path.endswith(("/comments", "/replies")) and start > 0:
                return body  # Instagram's last comments page carries no paging at all
            if chunk:
                body["paging"] = {
                    "cursors": {
                        "before": self.cursors.encode({"o": start}),
                        "after": self.cursors.encode({"o": start + limit}),
                    }
                }
            if more:
                query = {k: v for k, v in args.items() if k != "after"}
                query.update(limit=str(limit), after=self.cursors.encode({"o": start + limit}))
                body.setdefault("paging", {})["next"] = f"{ctx.base}/{path}?{urlencode(query)}"
            return body

        return page
