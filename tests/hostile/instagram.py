"""The Instagram (graph mode) side of the hostile tests: a hostile Graph serving raw IG JSON.

`HostileInstagram` is `graph.HostileGraph` with Instagram's edges (`/{ig-user}/media`,
`/{comment}/replies`, `/me/conversations`); `InstagramHostile` is the network-rules adapter
(`platforms.py`) and `InstagramHarness` the quarantine/paging harness (`harness.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

from werkzeug.wrappers import Request, Response

from tests.hostile import graph
from tests.hostile.harness import Damage, FacebookHarness
from tests.hostile.platforms import FacebookHostile
from tests.hostile.server import HostileServer

USER_ID = "17841422200022200"
TOKEN_ENV = "SOMED_HOSTILE_IG_TOKEN"
V = graph.VERSION


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


def media(n: int, *, created: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """A well-formed raw IG media object number `n` (newer when n is smaller)."""
    when = created or datetime(2026, 11, 1, 12, tzinfo=UTC) - timedelta(hours=n)
    raw: dict[str, Any] = {
        "id": f"1790000000000{n:04d}", "caption": f"Inlägg nummer {n}", "media_type": "IMAGE",
        "media_product_type": "FEED", "permalink": f"https://www.instagram.com/p/H{n:05d}/",
        "shortcode": f"H{n:05d}", "timestamp": _stamp(when), "username": "hostilekommun",
    }  # fmt: skip
    raw.update(fields)
    return raw


def comment(media_id: str, n: int, **fields: Any) -> dict[str, Any]:
    """A well-formed raw IG comment on `media_id`."""
    raw: dict[str, Any] = {
        "id": f"18{media_id[-6:]}{700 + n}", "text": f"Kommentar {n}",
        "timestamp": "2026-11-01T13:00:00+0000", "username": f"invanare{n}",
        "from": {"id": f"55{n}", "username": f"invanare{n}"},
    }  # fmt: skip
    raw.update(fields)
    return raw


def thread(t: int, messages: int = 3) -> dict[str, Any]:
    """A raw Instagram conversation of the linked page with its messages."""
    stamp = _stamp(datetime(2026, 11, 2, 8, tzinfo=UTC) - timedelta(hours=t))
    data = [{"id": f"aWdfbWVzc2FnZ{t}_{m}", "message": f"Fråga {m} i tråd {t}",
             "created_time": stamp, "from": {"id": f"77{t}", "username": f"invanare{t}"}}
            for m in range(messages)]  # fmt: skip
    return {"id": f"aWdfY29udm{t:03d}", "updated_time": stamp, "messages": {"data": data}}


class HostileInstagram(graph.HostileGraph):
    """Graph for one Instagram account: `posts` are raw media, `replies` raw replies by comment."""

    def __init__(self) -> None:
        super().__init__(page_id=USER_ID)
        self.profile = {"id": USER_ID, "username": "hostilekommun", "name": "Hostile kommun",
                        "biography": "Officiellt konto för Hostile kommun"}  # fmt: skip
        self.replies: dict[str, list[dict[str, Any]]] = {}
        s = self.server
        s.route(rf"/{V}/{USER_ID}/media", self._posts)
        s.route(rf"/{V}/me/conversations", self._conversations)
        s.route(rf"/{V}/([^/]+)/replies", self._reply_edge)

    def _reply_edge(self, request: Request, match: Any) -> Response:
        return self._paged(request, self.replies.get(match.group(1), []))

    def config_lines(self, endpoint: str) -> list[str]:
        """The `[platforms.instagram]` and `[[accounts]]` lines for this account."""
        return [
            "[platforms.instagram]", f'api_version = "{V}"', f'endpoint = "{endpoint}"',
            "[[accounts]]", 'key = "hostile-ig"', 'platform = "instagram"',
            f'id = "{USER_ID}"', f'token_env = "{TOKEN_ENV}"',
        ]  # fmt: skip


def _recent(n: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=1, hours=n)


class InstagramHostile(FacebookHostile):
    """The network-rules adapter (see `platforms.FacebookHostile`) for Instagram graph mode."""

    platform = "instagram"
    token_env = TOKEN_ENV
    account = "hostile-ig"
    api_pattern = rf"/{V}/{USER_ID}/media"

    def __init__(self) -> None:
        self.graph = HostileInstagram()
        self.server: HostileServer = self.graph.server
        self.photos: dict[str, str] = {}  # planted photo name -> its post's id

    def add_posts(self, count: int) -> None:
        """Plant `count` plain posts (newest a day ago)."""
        start = len(self.graph.posts)
        for n in range(start, start + count):
            self.graph.posts.append(media(n, created=_recent(n)))

    def add_photo_post(self, name: str, data: bytes, content_type: str, *, query: str = "") -> str:
        """Plant a post with one photo served as `name`; return the photo's source URL."""
        url = self.graph.cdn_url(name) + query
        n = len(self.graph.posts)
        raw = media(n, created=_recent(n), media_url=url)
        self.graph.posts.append(raw)
        self.graph.files[name] = (data, content_type)
        self.photos[name] = raw["id"]
        return url

    def media_key(self, name: str) -> str:
        """The archive's media key of the photo planted as `name` (`add_photo_post`)."""
        return f"ig:media:{self.photos[name]}"

    def echo_token_everywhere(self, photo: tuple[str, bytes, str]) -> None:
        """Plant the token where Graph (or a user) can echo it: texts, nested paging, URLs."""
        t, g = self.token, self.graph
        n = len(g.posts)
        raw = media(9000 + n, created=_recent(n))
        nested_next = (f"https://graph.facebook.com/{V}/{raw['id']}/comments"
                       f"?access_token={quote_plus(t)}&limit=25&after=1")  # fmt: skip
        name, data, content_type = photo
        g.files[name] = (data, content_type)
        raw.update(
            caption=f"Vår nyckel råkade bli {t} (och {quote(t, safe='')})",
            media_url=g.cdn_url(name) + f"&access_token={quote(t, safe='')}",
            comments={"data": [comment(raw["id"], 1, text=f"token={t}")],
                      "paging": {"cursors": {"after": "1"}, "next": nested_next}},
        )  # fmt: skip
        g.posts.append(raw)
        g.comments[raw["id"]] = [comment(raw["id"], 0), comment(raw["id"], 2)]
        g.profile["biography"] = f"Kontot nås med {t}"
        echo = thread(0)
        echo["messages"]["data"][0].update(
            message=f"Här är token {t}",
            attachments={
                "data": [
                    {"image_data": {"url": g.cdn_url(name) + f"&access_token={quote_plus(t)}"}}
                ]
            },
        )
        echo["messages"]["paging"] = {
            "next": f"https://graph.facebook.com/{V}/{echo['id']}/"
            f"messages?access_token={quote_plus(t)}&after=x"
        }
        g.conversations.append(echo)


class InstagramHarness(FacebookHarness):
    """The quarantine/paging harness (see `harness.FacebookHarness`) for Instagram graph mode."""

    platform = "instagram"
    account = "hostile-ig"
    env = {TOKEN_ENV: graph.TOKEN}
    text_field = "caption"

    def __init__(self) -> None:
        self.graph = HostileInstagram()
        self.endpoint = ""

    def plant_good(self, posts: int = 5, comments: int = 2, threads: int = 2) -> None:
        """Media newest first, each with comments, and direct threads with messages."""
        for n in range(1, posts + 1):
            raw = media(n)
            raw["comments"] = {"data": [comment(raw["id"], c) for c in range(comments)]}
            self.graph.posts.append(raw)
        self.graph.conversations += [thread(t) for t in range(threads)]

    def plant_malformed(self, damage: str) -> Any:
        """Damage the second post (or one of its comments, or a message) in the named way."""
        target = self.graph.posts[1]
        post_id = target["id"]
        changes: dict[str, Any] = {
            "time_in_words": {"timestamp": "yesterday"},
            "time_as_number": {"timestamp": 1764590400},
            "time_without_zone": {"timestamp": "2026-10-31T09:00:00"},
            "text_object": {"caption": {"text": "Inlägg som objekt"}},
            "attachments_text": {"children": "photo.jpg"},
        }
        if damage in changes:
            target.update(changes[damage])
        elif damage == "id_object":  # its comments cannot be attached: they stay in its raw
            target["id"] = {"value": post_id}
            held = frozenset(c["id"] for c in target["comments"]["data"])
            return Damage(None, "quarantined", "posts", dict(target), held)
        elif damage == "lone_surrogate":
            target["caption"] = "Trasig text \ud800 här"
            body = {k: v for k, v in target.items() if k != "comments"}
            return Damage(post_id, "repaired", "posts", body)
        elif damage == "comment_text_object":
            bad = target["comments"]["data"][0]
            bad["text"] = {"text": "Kommentar som objekt"}
            return Damage(bad["id"], "quarantined", "posts", bad)
        elif damage == "message_id_object":
            bad = self.graph.conversations[0]["messages"]["data"][1]
            bad["id"] = {"value": bad["id"]}
            return Damage(None, "quarantined", "messages", bad)
        else:
            raise ValueError(f"unknown damage {damage!r}")
        body = {k: v for k, v in target.items() if k != "comments"}
        return Damage(post_id, "quarantined", "posts", body)

    def _edge(self, stream: str) -> str:
        return rf"/{V}/{USER_ID}/media" if stream == "posts" else rf"/{V}/me/conversations"
