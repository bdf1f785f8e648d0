"""The emulator instaloader talks to: Instagram's web pages, web GraphQL and mobile API.

What instaloader 4.16 asks for, answered from a `WebAccount`:

- `GET /{username}/`: the profile page, HTML with the profile and its first 12 posts embedded
  as GraphQL results (`xig_user_by_username`, `polaris_ordered_timeline_connection`);
- `GET /`: the start page with the tokens the web app sends (`LSD`, `DTSGInitialData` when
  logged in, `IG_USER_EIMU`) and a `csrftoken` cookie;
- `POST /api/graphql` and `POST /graphql/query` by `doc_id`: the logged-in timeline
  (`xdt_api__v1__feed__user_timeline_graphql_connection`, `end_cursor`/`has_next_page`), the
  logged-out timeline's next pages (a login wall after `anonymous_pages` pages, as Instagram's
  "about 12 posts"), a post's page (`xdt_api__v1__media__shortcode__web_info`);
- `GET /graphql/query` by `query_hash`: a post's comments and a comment's replies, the
  logged-in user (`test_login`);
- `GET /api/v1/media/{id}/comments/` (and `.../{pk}/child_comments/`): comments through the
  mobile API, paged by `min_id`, for posts with more comments than a page holds;
- `GET /v/...`, `/o1/...`: the CDN's image and video files.

Everything that needs a login checks the `sessionid` cookie against `sessions`; a session not
known there is sent to the login page. Fault kinds, in Instagram's own answers: `throttle`
(429), `please_wait` (401 "Please wait a few minutes before you try again."), `server_error`
(500/502/503 HTML), `login_wall` (302 to /accounts/login/), `checkpoint` (400
`checkpoint_required`).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from connectors.emulation import CursorCodec, Emulator, InvalidCursor, json_response, media_bytes
from connectors.instagram.emulator.web_data import VIEWER_PK, WebAccount, WebPost, seeded

WWW = "https://www.instagram.com"
TIMELINE_DOC = "29104886249145907"
LOGGED_OUT_DOC = "28904005159232689"
POST_DOC = "27128499623469141"
COMMENTS_HASH = "97b41c52301f77ce508f55e66d17620e"
ANSWERS_HASH = "51fdd02b67508306ad4484ff574a0b62"
VIEWER_HASH = "d6f4427fbe92d846298cf93df0b937d3"
PAGE = 12
PHONE_PAGE = 20
WAIT_MESSAGE = "Please wait a few minutes before you try again."
VALID_SESSION = "IGSCemulatorsession0123456789abcdef"


class WebEmulator(Emulator):
    """Instagram as instaloader sees it (see the module docstring)."""

    name: ClassVar[str] = "instagram-web"
    fault_kinds: ClassVar[tuple[str, ...]] = (
        "throttle", "please_wait", "server_error", "login_wall", "checkpoint",
    )  # fmt: skip
    passthrough: ClassVar[str | None] = r"/(v|o1)/.*"

    def __init__(self, account: WebAccount | None = None, *, anonymous_pages: int = 1,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.account = account or seeded()
        self.anonymous_pages = anonymous_pages
        self.sessions = {VALID_SESSION}
        self.cursors = CursorCodec("instagram-web")
        route = self.router.route
        route(r"/", self.start_page)
        route(r"/accounts/login/", self.login_page)
        route(r"/api/graphql/?", self.graphql, "POST")
        route(r"/graphql/query/?", self.graphql, "POST")
        route(r"/graphql/query/?", self.graphql_hash)
        route(r"/api/v1/media/(\d+)/comments/", self.phone_comments)
        route(r"/api/v1/media/(\d+)/comments/(\d+)/child_comments/", self.phone_answers)
        route(r"/(?:v|o1)/.*/([\w.-]+)\.(jpg|mp4)", self.media_file)
        route(r"/([\w.]+)/", self.profile_page)

    # --- sessions ------------------------------------------------------------------------

    def logged_in(self, request: Request) -> bool | None:
        """True for a known session, False for none, None for one Instagram does not know."""
        session = request.cookies.get("sessionid", "") or _bearer_session(request)
        if not session:
            return False
        return True if session in self.sessions else None

    @staticmethod
    def to_login(request: Request) -> Response:
        """Instagram's answer to what it shows only after a login: its login page."""
        target = f"{WWW}/accounts/login/?next={request.path}"
        return Response("", status=302, headers={"Location": target})

    # --- pages ---------------------------------------------------------------------------

    def start_page(self, request: Request, match: re.Match[str]) -> Response:
        """The start page: the web app's tokens, and a csrftoken cookie."""
        state = self.logged_in(request)
        if state is None:
            return self.to_login(request)
        viewer = VIEWER_PK if state else 0
        dtsg = '["DTSGInitialData",[],{"token":"NAcemulatordtsg"},258]' if state else ""
        tokens = f'{dtsg}["LSD",[],{{"token":"AVqemulatorlsd"}},323],{{"IG_USER_EIMU":"{viewer}"}}'
        body = f"<html><head><script>requireLazy({tokens})</script></head><body></body></html>"
        response = Response(body, content_type="text/html; charset=utf-8")
        response.set_cookie("csrftoken", "emulatorcsrf0123456789", domain=".instagram.com")
        return response

    def login_page(self, request: Request, match: re.Match[str]) -> Response:
        """The login form (what a browser sees after the redirect)."""
        return Response("<html><body><form id='loginForm'></form></body></html>",
                        content_type="text/html")  # fmt: skip

    def profile_page(self, request: Request, match: re.Match[str]) -> Response:
        """The public profile page with the profile and its first posts embedded."""
        if match.group(1).lower() != self.account.username:
            return Response("<html><body>Sorry, this page isn't available.</body></html>",
                            status=404, content_type="text/html")  # fmt: skip
        user = dict(self.account.user, media_count=len(self.account.timeline()))
        timeline = dict(user, id=f"profile_{user['pk']}",
                        polaris_ordered_timeline_connection=self._logged_out(0))  # fmt: skip
        scripts = "".join(
            '<script type="application/json" data-sjs>'
            + json.dumps(_embedded({"xig_user_by_username": data})).replace("</", "<\\/")
            + "</script>"
            for data in (user, timeline)
        )
        return Response(f"<html><head></head><body>{scripts}</body></html>",
                        content_type="text/html; charset=utf-8")  # fmt: skip

    # --- GraphQL ---------------------------------------------------------------------------

    def graphql(self, request: Request, match: re.Match[str]) -> Response:
        """doc_id queries (POST): timelines and a post's page."""
        doc_id = request.form.get("doc_id", "")
        try:
            variables = json.loads(request.form.get("variables") or "{}")
        except ValueError:
            return _fail(400, "Invalid variables")
        state = self.logged_in(request)
        if state is None:
            return self.to_login(request)
        if doc_id == POST_DOC:
            post = self.account.by_code(str(variables.get("shortcode", "")))
            items = [self.account.media(post)] if post else []
            return json_response({"data": {"xdt_api__v1__media__shortcode__web_info":
                                           {"items": items}}, "status": "ok"})  # fmt: skip
        try:
            offset = self._offset(variables.get("after"))
        except InvalidCursor:
            return _fail(400, "Invalid cursor")
        if doc_id == TIMELINE_DOC:
            if not state:
                return self.to_login(request)
            return json_response({"data": {
                "xdt_api__v1__feed__user_timeline_graphql_connection": self._logged_in(offset)},
                "status": "ok"})  # fmt: skip
        if doc_id == LOGGED_OUT_DOC:
            if not state and offset >= self.anonymous_pages * PAGE:
                return self.to_login(request)
            return json_response({"data": {"node": {
                "polaris_ordered_timeline_connection": self._logged_out(offset)}}})  # fmt: skip
        return _fail(400, f"Unknown doc_id {doc_id}")

    def graphql_hash(self, request: Request, match: re.Match[str]) -> Response:
        """query_hash queries (GET): comments, replies, the logged-in user."""
        state = self.logged_in(request)
        if not state:
            return self.to_login(request)
        query = request.args.get("query_hash", "")
        variables = json.loads(request.args.get("variables") or "{}")
        if query == VIEWER_HASH:
            return json_response({"data": {"user": {"username": "somed.viewer"}}, "status": "ok"})
        try:
            offset = self._offset(variables.get("after"))
        except InvalidCursor:
            return _fail(400, "Invalid cursor")
        first = int(variables.get("first") or PAGE)
        if query == COMMENTS_HASH:
            post = self.account.by_code(str(variables.get("shortcode", "")))
            if post is None:
                return _fail(404, "Media not found")
            live = post.live_comments()
            edges = [{"node": self.account.comment_node(post, c)}
                     for c in live[offset:offset + first]]  # fmt: skip
            connection = self._connection(edges, offset + first, len(live))
            connection["count"] = post.comment_count()
            return json_response({"data": {"shortcode_media": {
                "edge_media_to_parent_comment": connection}}, "status": "ok"})  # fmt: skip
        if query == ANSWERS_HASH:
            for post in self.account.timeline():
                for comment in post.live_comments():
                    if str(comment.pk) == str(variables.get("comment_id")):
                        answers = post.replies(comment)
                        edges = [{"node": self.account._graph_comment(a)}
                                 for a in answers[offset:offset + first]]  # fmt: skip
                        connection = self._connection(edges, offset + first, len(answers))
                        connection["count"] = len(answers)
                        return json_response({"data": {"comment": {
                            "edge_threaded_comments": connection}}, "status": "ok"})  # fmt: skip
            return _fail(404, "Comment not found")
        return _fail(400, f"Unknown query_hash {query}")

    def _offset(self, after: Any) -> int:
        return int(self.cursors.decode(after)) if after else 0

    def _connection(self, edges: list[Any], end: int, total: int) -> dict[str, Any]:
        more = end < total
        cursor = self.cursors.encode(end) if more else None
        return {"edges": edges, "page_info": {"has_next_page": more, "end_cursor": cursor}}

    def _logged_in(self, offset: int) -> dict[str, Any]:
        posts = self.account.timeline()
        edges = [{"node": self.account.media(p)} for p in posts[offset : offset + PAGE]]
        return self._connection(edges, offset + PAGE, len(posts))

    def _logged_out(self, offset: int) -> dict[str, Any]:
        posts = self.account.timeline()
        edges = [{"node": {"code": p.code, "pk": str(p.pk), "__typename": "XDTMediaDict"}}
                 for p in posts[offset:offset + PAGE]]  # fmt: skip
        return self._connection(edges, offset + PAGE, len(posts))

    # --- the mobile API --------------------------------------------------------------------

    def _phone_post(self, request: Request, pk: str) -> WebPost | Response:
        if not self.logged_in(request):
            return _fail(401, "login_required")  # the mobile API has no login page
        post = self.account.by_pk(int(pk))
        return post if post is not None else _fail(404, "Media not found or unavailable")

    def phone_comments(self, request: Request, match: re.Match[str]) -> Response:
        """A post's comments through the mobile API, oldest first, paged by `min_id`."""
        post = self._phone_post(request, match.group(1))
        if isinstance(post, Response):
            return post
        try:
            offset = self._offset(request.args.get("min_id"))
        except InvalidCursor:
            return _fail(400, "Invalid min_id")
        live = post.live_comments()
        page = [self.account.phone_comment(post, c) for c in live[offset : offset + PHONE_PAGE]]
        body: dict[str, Any] = {"comments": page, "comment_count": post.comment_count(),
                                "status": "ok"}  # fmt: skip
        if offset + PHONE_PAGE < len(live):
            body["next_min_id"] = self.cursors.encode(offset + PHONE_PAGE)
        return json_response(body)

    def phone_answers(self, request: Request, match: re.Match[str]) -> Response:
        """All replies of one comment through the mobile API."""
        post = self._phone_post(request, match.group(1))
        if isinstance(post, Response):
            return post
        for comment in post.live_comments():
            if str(comment.pk) == match.group(2):
                answers = [self.account._phone(a) for a in post.replies(comment)]
                return json_response({"child_comments": answers, "status": "ok"})
        return _fail(404, "Comment not found")

    def media_file(self, request: Request, match: re.Match[str]) -> Response:
        """An image or video file from the CDN (bytes generated from its name)."""
        data, mime = media_bytes(match.group(2), match.group(1))
        return Response(data, content_type=mime)

    # --- faults, in Instagram's answers ----------------------------------------------------

    def fault_response(self, kind: str, params: dict[str, Any], request: Request) -> Response:
        """Answer an injected fault as Instagram does."""
        if kind == "throttle":
            return json_response({"message": WAIT_MESSAGE, "require_login": True,
                                  "status": "fail"}, 429)  # fmt: skip
        if kind == "please_wait":
            return json_response({"message": WAIT_MESSAGE, "require_login": True,
                                  "status": "fail"}, 401)  # fmt: skip
        if kind == "login_wall":
            return self.to_login(request)
        if kind == "checkpoint":
            return json_response({"message": "checkpoint_required",
                                  "checkpoint_url": "/challenge/?next=/api/v1/",
                                  "lock": False, "status": "fail"}, 400)  # fmt: skip
        status = int(params.get("status") or self.faults.rng.choice((500, 502, 503)))
        return Response("<html><body><h1>5xx Server Error</h1></body></html>", status=status,
                        content_type="text/html")  # fmt: skip

    def not_found(self, request: Request) -> Response:
        """Instagram's 404 page."""
        return Response("<html><body>Sorry, this page isn't available.</body></html>",
                        status=404, content_type="text/html")  # fmt: skip


def _embedded(data: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL result as the web app's pages embed it."""
    return {"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"require": [
        ["RelayPrefetchedStreamCache", "next", [], ["adp_PolarisProfile", {"__bbox": {
            "complete": True, "result": {"data": data}}}]]]}}]]]}  # fmt: skip


def _bearer_session(request: Request) -> str:
    """The sessionid in the mobile API's `Authorization: Bearer IGT:2:{base64 JSON}`."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer IGT:2:"):
        return ""
    try:
        data = json.loads(base64.b64decode(header.removeprefix("Bearer IGT:2:")))
    except ValueError:
        return ""
    return str(data.get("sessionid") or "") if isinstance(data, dict) else ""


def _fail(status: int, message: str) -> Response:
    return json_response({"message": message, "status": "fail"}, status)
