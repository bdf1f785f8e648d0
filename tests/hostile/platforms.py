"""One adapter per platform, so the network-rule tests run unchanged against every connector.

An adapter plants, in its platform's own wire format, what the tests need: posts with a photo,
the account's token echoed in every place that platform can echo it, and the path patterns of
its API and its media, so a test can turn them hostile with `server.override(...)`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

from tests.hostile import graph
from tests.hostile.server import HostileServer


class FacebookHostile:
    """The Facebook adapter, over `graph.HostileGraph`."""

    platform = "facebook"
    token = graph.TOKEN
    token_env = graph.TOKEN_ENV
    account = "hostile-fb"
    api_pattern = rf"/{graph.VERSION}/{graph.PAGE_ID}/published_posts"

    def __init__(self) -> None:
        self.graph = graph.HostileGraph()
        self.server: HostileServer = self.graph.server

    def start(self) -> str:
        """Serve; return the endpoint."""
        return self.graph.start()

    def stop(self) -> None:
        """Stop serving."""
        self.graph.stop()

    def config_lines(self, endpoint: str) -> list[str]:
        """The platform table and the account, for this server."""
        return self.graph.config_lines(endpoint)

    def media_pattern(self, name: str) -> str:
        """The path pattern under which the media file `name` is served."""
        return rf"/cdn/{name}"

    def media_key(self, name: str) -> str:
        """The archive's media key of the photo planted as `name` (`add_photo_post`)."""
        return f"fb:photo-{name}"

    def add_posts(self, count: int) -> None:
        """Plant `count` plain posts (newest a day ago)."""
        start = len(self.graph.posts)
        for n in range(start, start + count):
            self.graph.posts.append(graph.post(n, created=_recent(n)))

    def add_photo_post(self, name: str, data: bytes, content_type: str, *, query: str = "") -> str:
        """Plant a post with one photo served as `name`; return the photo's source URL."""
        url = self.graph.cdn_url(name) + query
        n = len(self.graph.posts)
        self.graph.posts.append(graph.post(n, created=_recent(n), attachments={"data": [
            {"type": "photo", "target": {"id": f"photo-{name}"},
             "media": {"image": {"src": url, "width": 720, "height": 540}}}]}))  # fmt: skip
        self.graph.files[name] = (data, content_type)
        return url

    def echo_token_everywhere(self, photo: tuple[str, bytes, str]) -> None:
        """Plant the token where Graph (or a user) can echo it: text, nested paging, media URLs."""
        t = self.token
        g = self.graph
        post_id = f"{g.page_id}_{9000 + len(g.posts)}"
        nested_next = (f"https://graph.facebook.com/{graph.VERSION}/{post_id}/comments"
                       f"?access_token={quote_plus(t)}&limit=25&after=1")  # fmt: skip
        name, data, content_type = photo
        g.files[name] = (data, content_type)
        g.posts.append(graph.post(
            len(g.posts), created=_recent(len(g.posts)),
            message=f"Vår nyckel råkade bli {t} (och {quote(t, safe='')})",
            attachments={"data": [{"type": "photo", "target": {"id": "photo-echo"}, "media": {
                "image": {"src": g.cdn_url(name) + f"&access_token={quote(t, safe='')}"}}}]},
            comments={"data": [graph.comment(post_id, 1, message=f"token={t}")],
                      "paging": {"cursors": {"after": "1"}, "next": nested_next}},
        ))  # fmt: skip
        g.comments[post_id] = [graph.comment(post_id, 0), graph.comment(post_id, 2)]
        g.profile["about"] = f"Sidan nås med {t}"
        g.conversations.append({
            "id": "t_100", "updated_time": _stamp(_recent(0)), "messages": {
                "data": [{"id": "m_1", "message": f"Här är token {t}",
                          "created_time": _stamp(_recent(0)),
                          "from": {"id": "661", "name": "Invånare"},
                          "attachments": {"data": [{"id": "att1", "image_data": {
                              "url": g.cdn_url(name) + f"&access_token={quote_plus(t)}"}}]}}],
                "paging": {"next": f"https://graph.facebook.com/{graph.VERSION}/t_100/messages"
                                   f"?access_token={quote_plus(t)}&after=x"}}})  # fmt: skip

    def echo_token_in_errors(self, *, times: int) -> None:
        """The next `times` API reads fail with a passing fault whose message repeats the token."""
        left = [times]

        def answer(request: Any, match: Any) -> Any:
            if left[0] <= 0:
                return self.graph._posts(request, match)
            left[0] -= 1
            return graph.graph_error(2, f"Temporary failure for token {self.token} "
                                        f"({quote_plus(self.token)})", 500)  # fmt: skip

        self.server.override(self.api_pattern, answer)

    def reject_token_echoing_it(self) -> None:
        """Every API read fails: the token is invalid, and the message says which token."""
        self.server.override(
            r"/.*",
            lambda r, m: graph.graph_error(
                190, f"Error validating access token: the token {self.token} has expired", 400, 463
            ),
        )


def _recent(n: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=1, hours=n)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


PLATFORMS = {"facebook": FacebookHostile}  # others come from the contract adapters
