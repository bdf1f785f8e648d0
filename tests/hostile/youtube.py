"""The YouTube adapter of the network-rule tests, over the YouTube emulator turned hostile."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, quote_plus

from werkzeug.wrappers import Request, Response

from connectors.emulation import json_response
from connectors.youtube.emulator import Channel, Comment, Video, YouTubeEmulator

TOKEN = "AIzaHOSTILE-yt-3f9c1d7e8b"
TOKEN_ENV = "SOMED_HOSTILE_YT_KEY"
CHANNEL_ID = "UChostilekommun00000000x"
CDN = "https://i.ytimg.com"


class _ServerView:
    """The emulator seen as the tests' `HostileServer`: overrides and the request log."""

    def __init__(self, emulator: YouTubeEmulator) -> None:
        self.emulator = emulator

    def override(self, pattern: str, handler: Any, method: str = "GET") -> None:
        """Answer matching paths with `handler` before any route."""
        self.emulator.router.override(pattern, handler, method)

    def clear_overrides(self) -> None:
        """Drop every override."""
        self.emulator.router.clear_overrides()

    def requests_to(self, pattern: str) -> list[Any]:
        """The logged requests whose path matches `pattern`."""
        return [e for e in self.emulator.request_log if re.search(pattern, e.path)]


class YouTubeHostile:
    """The YouTube adapter: videos whose thumbnails the test serves, the key echoed."""

    platform = "youtube"
    token = TOKEN
    token_env = TOKEN_ENV
    account = "hostile-yt"
    api_pattern = r"/youtube/v3/playlistItems"

    def __init__(self) -> None:
        self.channel = Channel(CHANNEL_ID, "Fientliga kommunen", "@fientliga",
                               "Kommunens kanal.", _recent(400), pictures=False)  # fmt: skip
        self.emulator = YouTubeEmulator([self.channel], keys=(TOKEN,))
        self.server = _ServerView(self.emulator)
        self.files: dict[str, tuple[bytes, str]] = {}
        self.graph = SimpleNamespace(files=self.files)  # as the tests plant files elsewhere
        self.emulator.router.override(r"/cdn/(?P<name>[^/]+)", self._file)

    def start(self) -> str:
        """Serve; return the endpoint."""
        return self.emulator.start()

    def stop(self) -> None:
        """Stop serving."""
        self.emulator.stop()

    def config_lines(self, endpoint: str) -> list[str]:
        """The platform table and the account, for this server."""
        return ["[platforms.youtube]", f'endpoint = "{endpoint}"', "[[accounts]]",
                f'key = "{self.account}"', 'platform = "youtube"', f'id = "{CHANNEL_ID}"',
                f'token_env = "{TOKEN_ENV}"']  # fmt: skip

    def media_pattern(self, name: str) -> str:
        """The path pattern under which the media file `name` is served."""
        return rf"/cdn/{re.escape(name)}"

    def media_key(self, name: str) -> str:
        """The media key the archive gives the file `name` planted by `add_photo_post`."""
        return f"youtube:{_video_id(name)}:thumbnail"

    def add_posts(self, count: int) -> None:
        """Plant `count` plain videos (newest a day ago)."""
        start = len(self.channel.videos)
        for n in range(start, start + count):
            self.channel.videos.append(Video(f"plain{n:06d}", f"Film {n}", "Beskrivning",
                                             _recent(n)))  # fmt: skip

    def add_photo_post(self, name: str, data: bytes, content_type: str, *, query: str = "") -> str:
        """Plant a video whose thumbnail is `name`; return the thumbnail's URL."""
        url = f"{CDN}/cdn/{name}{query}"
        n = len(self.channel.videos)
        self.channel.videos.append(Video(_video_id(name), f"Film {name}", None, _recent(n),
                                         thumbnail_url=url))  # fmt: skip
        self.files[name] = (data, content_type)
        return url

    def echo_token_everywhere(self, photo: tuple[str, bytes, str]) -> None:
        """Plant the key where YouTube (or a user) can echo it: texts, titles, media URLs."""
        t = self.token
        name, data, content_type = photo
        self.files[name] = (data, content_type)
        n = len(self.channel.videos)
        video = Video("echo0000001", f"Nyckeln {t}", f"Vår nyckel råkade bli {t} "
                      f"(och {quote(t, safe='')})", _recent(n),
                      thumbnail_url=f"{CDN}/cdn/{name}?key={quote(t, safe='')}")  # fmt: skip
        top = Comment("Ugecho1", video.id, "UCvisitor0000000000000x", "Invånare", f"key={t}",
                      _recent(n), _recent(n))  # fmt: skip
        video.threads.append(top)
        video.replies[top.id] = [Comment("Ugecho1.r1", video.id, None, "Anonym",
                                         f"Här: {quote_plus(t)}", _recent(n), _recent(n),
                                         parent_id=top.id)]  # fmt: skip
        self.channel.videos.append(video)
        self.channel.description = f"Kanalen nås med {t}"

    def echo_token_in_errors(self, *, times: int) -> None:
        """The next `times` listings fail with a passing fault whose message repeats the key."""
        left = [times]

        def answer(request: Request, match: Any) -> Response:
            if left[0] <= 0:
                return self.emulator._playlistItems(request, match)
            left[0] -= 1
            return _error(500, "backendError", f"Backend Error for key {self.token} "
                                               f"({quote_plus(self.token)})")  # fmt: skip

        self.server.override(self.api_pattern, answer)

    def reject_token_echoing_it(self) -> None:
        """Every API read fails: the key is invalid, and the message says which key."""
        self.server.override(
            r"/youtube/.*",
            lambda r, m: _error(
                400, "keyInvalid", f"API key not valid: {self.token}. Please pass a valid API key."
            ),
        )

    def _file(self, request: Request, match: Any) -> Response:
        found = self.files.get(match["name"])
        if found is None:
            return Response("not found", 404)
        return Response(found[0], 200, content_type=found[1])


def _video_id(name: str) -> str:
    return "photo-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _error(code: int, reason: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message,
                                    "errors": [{"message": message, "domain": "global",
                                                "reason": reason}]}}, code)  # fmt: skip


def _recent(n: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=1, hours=n)
