"""A hostile X API v2 for one account, serving raw JSON the test plants, and its adapter.

Like `graph.HostileGraph` for Facebook: it answers in X's wire format (user lookup, the
account's timeline and mentions with `meta.next_token` paging, recent search, tweet lookup,
problem+json errors, a CDN path for media) but ignores the fields asked for and serves each
planted dict as it is, so a test can plant any shape; `server.override(...)` turns it hostile.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

from werkzeug.wrappers import Request, Response

from tests.hostile.server import HostileServer, json_response

USER_ID = "3300330033"
TOKEN = "AAAAAAAAHostileXBearer%2F+tok=9"  # fake; has characters that URL-encoding changes
TOKEN_ENV = "SOMED_HOSTILE_X_TOKEN"
USER_TOKEN = "HostileXUserTok-5e4d3c"  # the user-context token direct messages need
USER_TOKEN_ENV = "SOMED_HOSTILE_X_USER_TOKEN"
SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake(when: datetime, n: int) -> str:
    """A snowflake id made at `when` (X ids encode their time)."""
    return str(((int(when.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS) << 22) | (n & 0xFFF))


def problem(status: int, title: str, detail: str) -> Response:
    """An X problem+json error answer."""
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return json_response(body, status)


def tweet(n: int, *, when: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """A well-formed raw tweet of the account, number `n` (older as n grows)."""
    when = when or datetime.now(UTC).replace(microsecond=0) - timedelta(days=1, hours=n)
    ident = snowflake(when, n)
    raw: dict[str, Any] = {
        "id": ident, "text": f"Inlägg nummer {n}", "author_id": USER_ID,
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "conversation_id": ident,
        "edit_history_tweet_ids": [ident],
    }  # fmt: skip
    raw.update(fields)
    return raw


class HostileX:
    """X for one account: `user`, `tweets` (raw dicts, newest first), `mentions`, `files`
    (CDN name -> (bytes, content type)), pages of `page_size`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.server = HostileServer()
        self.user: dict[str, Any] = {"id": USER_ID, "name": "Hostile kommun",
                                     "username": "hostilekommun",
                                     "description": "Officiellt konto"}  # fmt: skip
        self.tweets: list[dict[str, Any]] = []
        self.mentions: list[dict[str, Any]] = []
        self.dm_events: list[dict[str, Any]] = []
        self.media: list[dict[str, Any]] = []
        self.files: dict[str, tuple[bytes, str]] = {}
        self.next_tokens: dict[int, str] = {}  # page number -> next_token to hand out
        self.page_size = 25
        s = self.server
        s.route(rf"/2/users/{USER_ID}", lambda r, m: self._authed(r, lambda: {"data": self.user}))
        s.route(rf"/2/users/{USER_ID}/tweets", lambda r, m: self._page(r, self.tweets))
        s.route(rf"/2/users/{USER_ID}/mentions", lambda r, m: self._page(r, self.mentions))
        s.route(r"/2/tweets/search/recent", lambda r, m: self._page(r, []))
        s.route(r"/2/tweets", self._lookup)
        s.route(r"/2/dm_events", lambda r, m: self._page(r, self.dm_events, user=True))
        s.route(r"/cdn/(?P<name>[^/]+)", self._file)

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The planted posts (the tests' name for them on every platform)."""
        return self.tweets

    def start(self) -> str:
        """Serve; return the endpoint."""
        return self.server.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def cdn_url(self, name: str) -> str:
        """The media URL of a CDN file, on X's own media host."""
        return f"https://pbs.twimg.com/cdn/{name}"

    def _authed(self, request: Request, body: Any, *, user: bool = False) -> Response:
        if request.headers.get("Authorization") != f"Bearer {USER_TOKEN if user else self.token}":
            return problem(401, "Unauthorized", "Unauthorized")
        headers = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "899",
                   "x-rate-limit-reset": str(int(datetime.now(UTC).timestamp()) + 900)}  # fmt: skip
        return json_response(body(), 200, headers)

    def _page(
        self, request: Request, items: list[dict[str, Any]], *, user: bool = False
    ) -> Response:
        def body() -> dict[str, Any]:
            token = request.args.get("pagination_token") or request.args.get("next_token")
            number = int(token.split(":")[0]) if token and token.split(":")[0].isdigit() else 0
            since = request.args.get("since_id")
            listed = [t for t in items if not since or not str(t.get("id", "")).isdigit()
                      or int(t["id"]) > int(since)]  # fmt: skip
            size = int(request.args.get("max_results") or self.page_size)
            page = listed[number * size : (number + 1) * size]
            answer: dict[str, Any] = {"meta": {"result_count": len(page)}}
            if page:
                answer["data"] = page
                if not user:
                    answer["includes"] = {"users": [self.user], "media": self.media}
            if (number + 1) * size < len(listed):
                answer["meta"]["next_token"] = self.next_tokens.get(number, f"{number + 1}:n")
            return answer

        return self._authed(request, body, user=user)

    def _lookup(self, request: Request, match: Any) -> Response:
        wanted = request.args.get("ids", "").split(",")
        known = {str(t.get("id")): t for t in [*self.tweets, *self.mentions]}
        data = [known[i] for i in wanted if i in known]
        errors = [{"value": i, "title": "Not Found Error", "resource_id": i,
                   "type": "https://api.twitter.com/2/problems/resource-not-found",
                   "detail": f"Could not find tweet with ids: [{i}]."}
                  for i in wanted if i not in known]  # fmt: skip
        return self._authed(request, lambda: {
            **({"data": data, "includes": {"media": self.media}} if data else {}),
            **({"errors": errors} if errors else {}),
        })  # fmt: skip

    def _file(self, request: Request, match: Any) -> Response:
        data, content_type = self.files.get(match["name"], (b"", "text/plain"))
        return Response(data, status=200 if data else 404, content_type=content_type)


class XHostile:
    """The X adapter of `tests/hostile/platforms.py`, over `HostileX`."""

    platform = "x"
    token = TOKEN
    token_env = TOKEN_ENV
    account = "hostile-x"
    api_pattern = rf"/2/users/{USER_ID}/tweets"

    def __init__(self) -> None:
        self.x = HostileX()
        self.graph = self.x  # the tests reach the CDN files as `graph.files`, as on Facebook
        self.server: HostileServer = self.x.server

    def start(self) -> str:
        """Serve; return the endpoint."""
        return self.x.start()

    def stop(self) -> None:
        """Stop serving."""
        self.x.stop()

    def config_lines(self, endpoint: str) -> list[str]:
        """The platform table and the account, for this server."""
        return ["[platforms.x]", f'endpoint = "{endpoint}"', "[[accounts]]",
                f'key = "{self.account}"', 'platform = "x"', f'id = "{USER_ID}"',
                f'token_env = "{TOKEN_ENV}"', "refetch_window_days = 0"]  # fmt: skip

    def media_pattern(self, name: str) -> str:
        """The path pattern under which the media file `name` is served."""
        return rf"/cdn/{name}"

    def media_key(self, name: str) -> str:
        """The archive's media key of the photo planted as `name`."""
        return f"x:3_{name}"

    def add_posts(self, count: int) -> None:
        """Plant `count` plain posts (newest a day ago)."""
        start = len(self.x.tweets)
        self.x.tweets.extend(tweet(n) for n in range(start, start + count))

    def add_photo_post(self, name: str, data: bytes, content_type: str, *, query: str = "") -> str:
        """Plant a post with one photo served as `name`; return the photo's source URL."""
        url = self.x.cdn_url(name) + query
        self.x.media.append({"media_key": f"3_{name}", "type": "photo", "url": url})
        self.x.tweets.append(tweet(len(self.x.tweets),
                                   attachments={"media_keys": [f"3_{name}"]}))  # fmt: skip
        self.x.files[name] = (data, content_type)
        return url

    def echo_token_everywhere(self, photo: tuple[str, bytes, str]) -> None:
        """Plant the token where X (or a user) can echo it: texts, paging tokens, media URLs."""
        t = self.token
        name, data, content_type = photo
        self.x.files[name] = (data, content_type)
        self.x.media.append({"media_key": "3_echo", "type": "photo",
                             "url": self.x.cdn_url(name) + f"?token={quote(t, safe='')}"})  # fmt: skip
        n = len(self.x.tweets)
        self.x.tweets.append(tweet(n, text=f"Vår nyckel råkade bli {t} (och {quote(t, safe='')})",
                                   attachments={"media_keys": ["3_echo"]}))  # fmt: skip
        self.x.tweets.extend(tweet(n + 1 + k) for k in range(100))  # a second page
        self.x.next_tokens[0] = f"1:{quote_plus(t)}"  # a paging token that repeats the token
        self.x.user["description"] = f"Kontot nås med {t}"
        self.x.mentions.append(tweet(n + 40, author_id="4400", text=f"@hostilekommun token={t}"))

    def echo_token_in_errors(self, *, times: int) -> None:
        """The next `times` API reads fail with a passing fault whose detail repeats the token."""
        left = [times]
        route = self.x._page

        def answer(request: Any, match: Any) -> Any:
            if left[0] <= 0:
                return route(request, self.x.tweets)
            left[0] -= 1
            return problem(
                503,
                "Service Unavailable",
                f"Temporary failure for token {self.token} ({quote_plus(self.token)})",
            )

        self.server.override(self.api_pattern, answer)

    def reject_token_echoing_it(self) -> None:
        """Every API read fails: the token is invalid, and the detail says which token."""
        self.server.override(
            r"/2/.*",
            lambda r, m: problem(401, "Unauthorized", f"Invalid or expired token {self.token}"),
        )
