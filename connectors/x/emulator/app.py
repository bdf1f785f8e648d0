"""The X API v2 emulator: the endpoints somed reads, in X's wire format, on the shared toolkit.

Bearer tokens are checked on every API call (401 for an unknown or revoked one); DM events and
`/2/users/me` need a user-context token. `deny(...)` takes endpoints out of the emulated tier
(403 `client-not-enrolled`). Every API answer carries `x-rate-limit-limit/-remaining/-reset`
from a per-endpoint window (`UsageBudget`); a spent window answers 429. Media files are served
under the CDN paths the media objects name (`pbs.twimg.com/media/...`), so the configured
endpoint receives them too.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.emulation import (
    CursorCodec,
    Emulator,
    FaultPlan,
    InvalidCursor,
    UsageBudget,
    json_response,
    media_bytes,
)
from connectors.emulation.public_page import PublicKnobs, PublicSite
from connectors.x.emulator import public, render
from connectors.x.emulator.data import TWITTER_EPOCH_MS, XAccount

WINDOW = 900.0
DEFAULT_LIMIT = 100_000  # requests per window per endpoint unless `rate_limit` says otherwise
SEARCH_DAYS = 7
MAX_QUERY = 512
TIMELINE_CAP = {"tweets": 3200, "mentions": 800}
ENDPOINT_KEYS = (  # path pattern -> the endpoint name used by `deny` and `rate_limit`
    (re.compile(r"/2/users/me"), "me"),
    (re.compile(r"/2/users/by/username/[^/]+"), "users"),
    (re.compile(r"/2/users/\d+/tweets"), "tweets"),
    (re.compile(r"/2/users/\d+/mentions"), "mentions"),
    (re.compile(r"/2/users/\d+"), "users"),
    (re.compile(r"/2/tweets/search/recent"), "search"),
    (re.compile(r"/2/tweets"), "lookup"),
    (re.compile(r"/2/dm_events"), "dm_events"),
)


def endpoint_key(path: str) -> str | None:
    """The endpoint name of an API path (None for media and unknown paths)."""
    for pattern, key in ENDPOINT_KEYS:
        if pattern.fullmatch(path):
            return key
    return None


def id_time(ident: str) -> datetime:
    """When a snowflake id was made."""
    return datetime.fromtimestamp(((int(ident) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


class XEmulator(Emulator):
    """Serves one or more emulated X accounts over loopback HTTP."""

    name = "x"
    fault_kinds = ("throttle", "server_error", "expired_token", "tier", "malformed")
    passthrough = r"/(media|ext_tw_video|ext_tw_video_thumb|profile_images)/"

    def __init__(
        self,
        accounts: list[XAccount],
        *,
        tokens: tuple[str, ...] = (),
        user_tokens: dict[str, str] | None = None,
        faults: FaultPlan | None = None,
        latency: float = 0.0,
        max_query: int = MAX_QUERY,
        public_pages: PublicKnobs | None = None,
    ) -> None:
        super().__init__(faults=faults, latency=latency)
        self.public = PublicSite(public.SKIN, public_pages)  # the pages a browser sees
        self.accounts = {a.id: a for a in accounts}
        self.tokens = set(tokens)
        self.user_tokens = dict(user_tokens or {})  # token -> the user id it acts for
        self.revoked: set[str] = set()
        self.denied: set[str] = set()
        self.max_query = max_query
        self.limits: dict[str, tuple[int, float]] = {}
        self._budgets: dict[tuple[str, str], UsageBudget] = {}
        self._lock = threading.Lock()
        self.codec = CursorCodec("x-emulator")
        r = self.router.route
        r(r"/2/users/me", self._me)
        r(r"/2/users/by/username/(?P<name>[^/]+)", self._user_by_name)
        r(r"/2/users/(?P<id>\d+)/tweets", self._user_tweets)
        r(r"/2/users/(?P<id>\d+)/mentions", self._mentions)
        r(r"/2/users/(?P<id>\d+)", self._user)
        r(r"/2/tweets/search/recent", self._search)
        r(r"/2/tweets", self._lookup)
        r(r"/2/dm_events", self._dm_events)
        r(r"/(?P<dir>media|ext_tw_video_thumb|profile_images)/.*\.(?P<ext>jpg|png)", self._file)
        r(r"/ext_tw_video/.*\.(?P<ext>mp4)", self._file)

    def public_answer(self, request: Request) -> Response | None:
        """The accounts' public pages, at x.com's paths."""
        return public.answer(self.public, list(self.accounts.values()), request)

    # --- knobs for tests ---------------------------------------------------------------------

    def revoke(self, token: str) -> None:
        """Make `token` answer 401 from now on (revoked or expired)."""
        self.revoked.add(token)

    def deny(self, *endpoints: str) -> None:
        """Take endpoints (`search`, `mentions`, `dm_events`, ...) out of the emulated tier."""
        self.denied.update(endpoints)

    def rate_limit(self, endpoint: str, limit: int, window: float = WINDOW) -> None:
        """Give `endpoint` a window of `limit` requests per `window` seconds."""
        with self._lock:
            self.limits[endpoint] = (limit, window)
            for key in [k for k in self._budgets if k[1] == endpoint]:
                del self._budgets[key]

    def account(self, ident: str) -> XAccount:
        """The emulated account with this user id."""
        return self.accounts[ident]

    # --- the toolkit's hooks -----------------------------------------------------------------

    def _budget(self, request: Request) -> UsageBudget | None:
        endpoint = endpoint_key(request.path)
        if endpoint is None:
            return None
        token = request.headers.get("Authorization", "")
        with self._lock:
            key = (token, endpoint)
            if key not in self._budgets:
                limit, window = self.limits.get(endpoint, (DEFAULT_LIMIT, WINDOW))
                self._budgets[key] = UsageBudget(limit, window, fixed=True)  # X's windows
            return self._budgets[key]

    def forced_fault(self, request: Request) -> tuple[str, dict[str, Any]] | None:
        """A spent window answers 429 before anything else (X counts per endpoint)."""
        budget = self._budget(request)
        if budget is not None and not budget.spend():
            return "throttle", {"reset": budget.reset_at()}
        return None

    def handle(self, request: Request) -> Response:
        """Answer, then add the endpoint's rate-limit headers to every API answer."""
        response = super().handle(request)
        budget = self._budget(request)
        if budget is not None and "x-rate-limit-reset" not in response.headers:
            response.headers["x-rate-limit-limit"] = str(budget.limit)
            response.headers["x-rate-limit-remaining"] = str(budget.remaining())
            response.headers["x-rate-limit-reset"] = str(int(budget.reset_at()))
        return response

    def fault_response(self, kind: str, params: dict[str, Any], request: Request) -> Response:
        """Injected faults in X's wire format."""
        if kind == "throttle":
            reset = params.get("reset")
            if reset is None:
                reset = time.time() + float(params.get("reset_in", 0))
            budget = self._budget(request)
            headers = {
                "x-rate-limit-limit": str(budget.limit if budget else 15),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(reset)),
            }
            return json_response(render.TOO_MANY, 429, headers)
        if kind == "server_error":
            return json_response(render.UNAVAILABLE, 503)
        if kind == "expired_token":
            return json_response(render.UNAUTHORIZED, 401)
        if kind == "tier":
            return json_response(render.CLIENT_NOT_ENROLLED, 403)
        return Response(
            "<html><body>Over capacity</body></html>", 200, content_type="application/json"
        )

    def not_found(self, request: Request) -> Response:
        """An unknown path, as X answers it."""
        return json_response(
            render.problem(
                404,
                "Not Found Error",
                "Sorry, that page does not exist",
                render.PROBLEMS + "resource-not-found",
            ),
            404,
        )

    def request_params(self, request: Request) -> dict[str, str]:
        """The logged params (the bearer token is in a header, never logged)."""
        return request.args.to_dict()

    # --- auth --------------------------------------------------------------------------------

    def _caller(
        self, request: Request, *, user: bool = False
    ) -> tuple[str | None, Response | None]:
        """(the user id a user token acts for, or None for the app) or a refusal."""
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if token in self.revoked or (token not in self.tokens and token not in self.user_tokens):
            return None, json_response(render.UNAUTHORIZED, 401)
        endpoint = endpoint_key(request.path)
        if endpoint in self.denied:
            return None, json_response(render.CLIENT_NOT_ENROLLED, 403)
        acting = self.user_tokens.get(token)
        if user and acting is None:
            return None, json_response(render.UNSUPPORTED_AUTH, 403)
        return acting, None

    # --- users -------------------------------------------------------------------------------

    def _find_user(
        self, ident: str | None = None, name: str | None = None
    ) -> tuple[XAccount | None, dict[str, Any] | None]:
        for account in self.accounts.values():
            for user in [account.user, *account.users.values()]:
                if user["id"] == ident or (name and user["username"].lower() == name.lower()):
                    return account, user
        return None, None

    def _user_answer(self, request: Request, ident: str | None, name: str | None) -> Response:
        _, refusal = self._caller(request)
        if refusal:
            return refusal
        _, user = self._find_user(ident, name)
        if user is None:
            kind = ("user", ident, "id") if ident else ("user", name or "", "username")
            return json_response({"errors": [render.not_found(*kind)]})
        wanted = render.fields(request.args, "user", render.USER_DEFAULT)
        return json_response({"data": render.pick(user, wanted)})

    def _user(self, request: Request, match: re.Match[str]) -> Response:
        return self._user_answer(request, match["id"], None)

    def _user_by_name(self, request: Request, match: re.Match[str]) -> Response:
        return self._user_answer(request, None, match["name"])

    def _me(self, request: Request, match: re.Match[str]) -> Response:
        acting, refusal = self._caller(request, user=True)
        return refusal or self._user_answer(request, acting, None)

    # --- timelines and search ----------------------------------------------------------------

    def _max_results(self, request: Request, low: int, high: int, default: int) -> Any:
        text = request.args.get("max_results", str(default))
        value = int(text) if text.isdigit() else -1
        if not low <= value <= high:
            return json_response(
                render.invalid(
                    "max_results",
                    text,
                    f"The `max_results` query parameter value [{text}] is not between {low} "
                    f"and {high}",
                ),
                400,
            )
        return value

    def _paged(
        self,
        request: Request,
        account: XAccount,
        items: list[dict[str, Any]],
        size: int,
        token_name: str,
    ) -> Response:
        """Newest-first items after `since_id`/before `until_id`, one page from the token."""
        since, until = request.args.get("since_id"), request.args.get("until_id")
        if since and since.isdigit():
            items = [t for t in items if int(t["id"]) > int(since)]
        if until and until.isdigit():
            items = [t for t in items if int(t["id"]) < int(until)]
        token = request.args.get(token_name)
        if token:
            try:
                before = int(self.codec.decode(token)["before"])
            except (InvalidCursor, KeyError, TypeError, ValueError):
                return json_response(
                    render.invalid(token_name, token, f"The `{token_name}` is not valid"), 400
                )
            items = [t for t in items if int(t["id"]) < before]
        page = items[:size]
        following = self.codec.encode({"before": page[-1]["id"]}) if len(items) > size else None
        return json_response(render.page_body(account, page, request.args, next_token=following))

    def _listing(self, request: Request, low: int, default: int) -> int | Response:
        """The page size a list request asks for, or the refusal (token, tier, bad size)."""
        _, refusal = self._caller(request)
        return refusal or self._max_results(request, low, 100, default)

    def _timeline(self, request: Request, ident: str, which: str) -> Response:
        size = self._listing(request, 5, 10)
        if isinstance(size, Response):
            return size
        account = self.accounts.get(ident)
        if account is None:
            return json_response({"errors": [render.not_found("user", ident, "id")]})
        if which == "tweets":
            items = account.timeline(author=ident)
        else:
            items = account.timeline(mentioning=account.username)
        return self._paged(request, account, items[: TIMELINE_CAP[which]], size, "pagination_token")

    def _user_tweets(self, request: Request, match: re.Match[str]) -> Response:
        return self._timeline(request, match["id"], "tweets")

    def _mentions(self, request: Request, match: re.Match[str]) -> Response:
        return self._timeline(request, match["id"], "mentions")

    def _search(self, request: Request, match: re.Match[str]) -> Response:
        size = self._listing(request, 10, 10)
        if isinstance(size, Response):
            return size
        query = request.args.get("query", "")
        if not query or len(query) > self.max_query:
            return json_response(
                render.invalid(
                    "query",
                    query[:40],
                    f"There were errors processing your request: Query must be"
                    f" between 1 and {self.max_query} characters long",
                ),
                400,
            )
        wanted: set[str] = set()
        authors: set[str] = set()
        for clause in query.split(" OR "):
            found = re.fullmatch(r"\(?(conversation_id|from):(\w+)\)?", clause.strip())
            if not found:
                return json_response(render.invalid("query", clause, "Unsupported operator"), 400)
            if found[1] == "from":
                _, user = self._find_user(name=found[2])
                authors.add(user["id"] if user else "")
            else:
                wanted.add(found[2])
        edge = datetime.now(UTC) - timedelta(days=SEARCH_DAYS)
        since = request.args.get("since_id")
        if since and since.isdigit() and id_time(since) < edge:
            return json_response(
                render.invalid(
                    "since_id",
                    since,
                    f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet id "
                    f"created after {edge:%Y-%m-%dT%H:%MZ}.",
                ),
                400,
            )
        results: list[dict[str, Any]] = []
        for account in self.accounts.values():
            results += [
                t for t in account.timeline()
                if (t["conversation_id"] in wanted or t["author_id"] in authors)
                and id_time(t["id"]) >= edge
            ]  # fmt: skip
        results.sort(key=lambda t: int(t["id"]), reverse=True)
        account = next(iter(self.accounts.values()))
        return self._paged(request, account, results, size, "next_token")

    def _lookup(self, request: Request, match: re.Match[str]) -> Response:
        _, refusal = self._caller(request)
        if refusal:
            return refusal
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return json_response(
                render.invalid(
                    "ids",
                    len(ids),
                    "The number of values in the `ids` query parameter list "
                    f"[{len(ids)}] is not between 1 and 100",
                ),
                400,
            )
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        owner = next(iter(self.accounts.values()))
        for ident in ids:
            account = next((a for a in self.accounts.values() if a.visible(ident)), None)
            if account is None:
                errors.append(render.not_found("tweet", ident))
                continue
            tweet = account.tweets[ident]
            author = account.user_by_id(str(tweet["author_id"])) or {}
            if author.get("protected"):
                errors.append(render.not_authorized(ident))
                continue
            owner = account
            data.append(tweet)
        body = render.page_body(owner, data, request.args, next_token=None)
        body.pop("meta", None)
        if errors:
            body["errors"] = errors
        return json_response(body)

    # --- direct messages ---------------------------------------------------------------------

    def _dm_events(self, request: Request, match: re.Match[str]) -> Response:
        acting, refusal = self._caller(request, user=True)
        if refusal:
            return refusal
        size = self._max_results(request, 1, 100, 100)
        if isinstance(size, Response):
            return size
        account = self.accounts.get(str(acting))
        if account is None:
            return json_response({"meta": {"result_count": 0}})
        events = list(account.dm_events)
        types = request.args.get("event_types")
        if types:
            events = [e for e in events if e["event_type"] in types.split(",")]
        token = request.args.get("pagination_token")
        if token:
            try:
                before = int(self.codec.decode(token)["before"])
            except (InvalidCursor, KeyError, TypeError, ValueError):
                return json_response(render.invalid("pagination_token", token, "not valid"), 400)
            events = [e for e in events if int(e["id"]) < before]
        page = events[:size]
        following = self.codec.encode({"before": page[-1]["id"]}) if len(events) > size else None
        body = render.page_body(
            account,
            page,
            request.args,
            next_token=following,
            default=render.DM_DEFAULT,
            kind="dm_event",
            author_key="sender_id",
            ids_meta=False,
        )
        return json_response(body)

    # --- media -------------------------------------------------------------------------------

    def _file(self, request: Request, match: re.Match[str]) -> Response:
        data, mime = media_bytes(match["ext"], request.path)
        return Response(data, 200, content_type=mime)
