"""A hostile Graph API for one Facebook page, serving raw JSON the test plants.

By default it behaves like Graph: versioned paths, cursor paging whose `paging.next` URLs echo
the access token (as real Graph does), batch requests, the error envelope and a CDN path for
media. It ignores `fields` and serves each planted dict as it is, so a test can plant any shape.
Tests turn it hostile by planting malformed items or with `server.override(...)`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from tests.hostile.server import HostileServer, json_response

VERSION = "v21.0"
PAGE_ID = "222000222"
TOKEN = "EAAHostileTok3nValue+/=Xy"  # fake; has characters that URL-encoding changes
TOKEN_ENV = "SOMED_HOSTILE_FB_TOKEN"


def graph_error(code: int, message: str, status: int = 400, subcode: int | None = None) -> Response:
    """A Graph error envelope."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEf"}  # fmt: skip
    if subcode is not None:
        error["error_subcode"] = subcode
    return json_response({"error": error}, status)


def post(n: int, *, created: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """A well-formed raw page post number `n` (newest first when n grows smaller)."""
    when = created or datetime(2026, 11, 1, 12, tzinfo=UTC) - timedelta(hours=n)
    raw: dict[str, Any] = {
        "id": f"{PAGE_ID}_{9000 + n}",
        "message": f"Inlägg nummer {n}",
        "created_time": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "updated_time": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/{9000 + n}",
        "from": {"id": PAGE_ID, "name": "Hostile kommun"},
    }
    raw.update(fields)
    return raw


def comment(post_id: str, n: int, **fields: Any) -> dict[str, Any]:
    """A well-formed raw comment on `post_id`."""
    raw: dict[str, Any] = {
        "id": f"{post_id.split('_')[-1]}_{700 + n}",
        "message": f"Kommentar {n}",
        "created_time": "2026-11-01T13:00:00+0000",
        "from": {"id": f"55{n}", "name": f"Invånare {n}"},
    }
    raw.update(fields)
    return raw


class HostileGraph:
    """Graph for one page: `profile`, `posts` (raw dicts, newest first), `conversations`,
    `comments` (post id -> raw dicts beyond the nested first page), `files` (CDN name ->
    (bytes, content type))."""

    def __init__(self, token: str = TOKEN, page_id: str = PAGE_ID) -> None:
        self.token = token
        self.page_id = page_id
        self.server = HostileServer()
        self.profile: dict[str, Any] = {
            "id": page_id, "name": "Hostile kommun", "about": "En verksamhet inom Hostile kommun",
            "link": f"https://www.facebook.com/{page_id}",
        }  # fmt: skip
        self.posts: list[dict[str, Any]] = []
        self.conversations: list[dict[str, Any]] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.page_size = 25
        s = self.server
        s.route(rf"/{VERSION}/?", self._batch, method="POST")
        s.route(rf"/{VERSION}/{page_id}/(published_posts|posts|feed)", self._posts)
        s.route(rf"/{VERSION}/{page_id}/conversations", self._conversations)
        s.route(rf"/{VERSION}/([^/]+)/comments", self._comment_edge)
        s.route(rf"/{VERSION}/([^/]+)", self._node)
        s.route(r"/cdn/(.+)", self._file)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        """Serve; return the endpoint for `[platforms.facebook] endpoint`."""
        return self.server.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def cdn_url(self, name: str) -> str:
        """A media URL as Graph gives it (an absolute CDN URL with a signature query)."""
        return f"https://scontent.xx.fbcdn.net/cdn/{name}?oh=sig{len(name)}&oe=6A00"

    def config_lines(self, endpoint: str) -> list[str]:
        """The `[platforms.facebook]` and `[[accounts]]` lines for this page."""
        return [
            "[platforms.facebook]", f'api_version = "{VERSION}"', f'endpoint = "{endpoint}"',
            "[[accounts]]", 'key = "hostile-fb"', 'platform = "facebook"',
            f'id = "{self.page_id}"', f'token_env = "{TOKEN_ENV}"',
        ]  # fmt: skip

    # --- answers -----------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        return request.values.get("access_token") == self.token

    def _paged(self, request: Request, items: list[dict[str, Any]]) -> Response:
        if not self._authorised(request):
            return graph_error(190, "Invalid OAuth access token.", 400)
        start = int(request.args.get("after") or 0)
        limit = int(request.args.get("limit") or self.page_size)
        chunk = items[start : start + limit]
        body: dict[str, Any] = {"data": chunk}
        if start + limit < len(items):
            query = {**request.args.to_dict(), "after": str(start + limit),
                     "access_token": self.token}  # fmt: skip
            body["paging"] = {
                "cursors": {"before": str(start), "after": str(start + limit)},
                "next": f"https://graph.facebook.com{request.path}?{urlencode(query)}",
            }
        return json_response(body)

    def _posts(self, request: Request, match: Any) -> Response:
        return self._paged(request, self.posts)

    def _conversations(self, request: Request, match: Any) -> Response:
        return self._paged(request, self.conversations)

    def _comment_edge(self, request: Request, match: Any) -> Response:
        return self._paged(request, self.comments.get(match.group(1), []))

    def find(self, object_id: str) -> dict[str, Any] | None:
        """The planted post, nested comment or extra comment with this id."""
        if object_id == self.page_id:
            return self.profile
        for raw in self.posts:
            if str(raw.get("id")) == object_id:
                return raw
            nested = raw.get("comments") if isinstance(raw.get("comments"), dict) else {}
            for c in nested.get("data") or []:
                if isinstance(c, dict) and str(c.get("id")) == object_id:
                    return c
        for extra in self.comments.values():
            for c in extra:
                if str(c.get("id")) == object_id:
                    return c
        return None

    def _node(self, request: Request, match: Any) -> Response:
        if not self._authorised(request):
            return graph_error(190, "Invalid OAuth access token.", 400)
        found = self.find(match.group(1))
        if found is None:
            return graph_error(100, "Object does not exist", 400, subcode=33)
        return json_response(found)

    def _batch(self, request: Request, match: Any) -> Response:
        if not self._authorised(request):
            return graph_error(190, "Invalid OAuth access token.", 400)
        answers = []
        for call in json.loads(request.form.get("batch") or "[]"):
            path = call["relative_url"].split("?", 1)[0].strip("/").split("/")
            found = self.find(path[-1])
            if found is None:
                body = {"error": {"message": "Object does not exist", "code": 100,
                                  "error_subcode": 33}}  # fmt: skip
                answers.append({"code": 400, "body": json.dumps(body)})
            else:
                answers.append({"code": 200, "body": json.dumps(found)})
        return json_response(answers)

    def _file(self, request: Request, match: Any) -> Response:
        name = match.group(1)
        if name not in self.files:
            return Response("not found", status=404)
        data, content_type = self.files[name]
        return Response(data, status=200, content_type=content_type)
