"""The hostile network adapter of Instagram mode instaloader (the tests/hostile/platforms.py
interface), on the instaloader web emulator: what instaloader asks for, turned hostile."""

from __future__ import annotations

import pickle
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from werkzeug.wrappers import Request, Response

from connectors.instagram.emulator.web import VALID_SESSION, WebEmulator
from connectors.instagram.emulator.web_data import WebAccount, WebPost

USERNAME = "hostilekommun"
CSRF = "csrfHostile0123456789"


class _Files:
    """The CDN files of planted photos, by name (`graph.files` of the Graph adapters)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}


class _Server:
    """The emulator seen as a `HostileServer`: override, clear_overrides, requests_to."""

    def __init__(self, emulator: WebEmulator) -> None:
        self.emulator = emulator

    def override(self, pattern: str, handler: Any, method: str = "GET") -> None:
        """Answer matching requests with `handler` before any route."""
        self.emulator.router.override(pattern, handler, method)

    def clear_overrides(self) -> None:
        """Drop every override."""
        self.emulator.router.clear_overrides()

    def requests_to(self, pattern: str) -> list[Any]:
        """The logged requests whose path matches `pattern`."""
        return self.emulator.request_log.matching(pattern)


class InstaloaderHostile:
    """A public profile read through instaloader with a session; its session is the secret."""

    platform = "instagram"
    token = VALID_SESSION
    token_env = "SOMED_HOSTILE_IL_UNUSED"  # the mode reads no token; the session file is named
    account = "hostile-il"
    api_pattern = rf"/{USERNAME}/"  # the profile page: the first thing a run asks for

    def __init__(self) -> None:
        self.profile = WebAccount(USERNAME, "Hostila kommunen")
        self.profile.user["profile_pic_url"] = ""  # only the planted photos are media
        self.emulator = WebEmulator(self.profile)
        self.server = _Server(self.emulator)
        self.graph = _Files()
        self.urls: dict[int, str] = {}  # planted photo URLs by post
        self.folder = Path(tempfile.mkdtemp(prefix="somed-hostile-il-"))
        self.session_file = self.folder / "session-hostile"
        plain = self.profile.media
        self.profile.media = lambda post: self._planted(plain(post), post)  # type: ignore[method-assign]
        self.emulator.router.route(r"/cdn/(.+)", self._file)

    def start(self) -> str:
        """Serve; write the session file; return the endpoint."""
        self.session_file.write_bytes(pickle.dumps({"sessionid": VALID_SESSION, "csrftoken": CSRF,
                                                    "ds_user_id": "7700000001"}))  # fmt: skip
        return self.emulator.start()

    def stop(self) -> None:
        """Stop serving."""
        self.emulator.stop()

    def config_lines(self, endpoint: str) -> list[str]:
        """The platform table and the account (no `streams`: tests append their own)."""
        return ["[platforms.instagram]", f'endpoint = "{endpoint}"',
                "[[accounts]]", f'key = "{self.account}"', 'platform = "instagram"',
                'mode = "instaloader"', f'id = "{USERNAME}"',
                f'session_file = "{self.session_file}"', "pace_factor = 100",
                "pause_after_429_seconds = 0", "pause_after_wait_seconds = 0"]  # fmt: skip

    def media_pattern(self, name: str) -> str:
        """The path pattern under which the planted file `name` is served."""
        return rf"/cdn/{re.escape(name)}"

    def media_key(self, name: str) -> str:
        """The archive's media key of the photo planted as `name`."""
        for pk, url in self.urls.items():
            if url.split("?")[0].endswith(f"/cdn/{name}"):
                return f"ig:media:{pk}"
        raise KeyError(name)

    def add_posts(self, count: int) -> None:
        """Plant `count` plain posts (newest a day ago), without comments."""
        for _ in range(count):
            self._post("Information från kommunen")

    def add_photo_post(self, name: str, data: bytes, content_type: str, *, query: str = "") -> str:
        """Plant a post whose photo is served as `name`; return the photo's URL."""
        post = self._post(f"Bild {name}")
        url = f"https://scontent-arn2-1.cdninstagram.com/cdn/{name}?oh=00_sig{query}"
        self.urls[post.pk] = url
        self.graph.files[name] = (data, content_type)
        return url

    def echo_token_everywhere(self, photo: tuple[str, bytes, str]) -> None:
        """The session's cookies in a caption, a comment, the biography and a photo's URL."""
        t = self.token
        name, data, content_type = photo
        self.add_photo_post(name, data, content_type, query=f"&sid={quote_plus(t)}")
        post = self._post(f"Vår session råkade bli {t} (och {quote(t, safe='')}), csrf {CSRF}")
        self.profile.add_comment(post, f"sessionid={t}", datetime.now(UTC) - timedelta(hours=1))
        self.profile.user["biography"] = f"Nås med {t}"

    def echo_token_in_errors(self, *, times: int) -> None:
        """The next `times` profile pages fail (500) with a page repeating the session."""
        left = [times]

        def answer(request: Request, match: Any) -> Response:
            if left[0] <= 0:
                return self.emulator.profile_page(request, match)
            left[0] -= 1
            return Response(f"<html>Temporary failure for session {self.token} "
                            f"({quote_plus(self.token)})</html>", status=500)  # fmt: skip

        self.server.override(r"/([\w.]+)/", answer)

    def reject_token_echoing_it(self) -> None:
        """Every request is sent to the login page, with the session in the URL."""

        def wall(request: Request, match: Any) -> Response:
            target = f"https://www.instagram.com/accounts/login/?next=/&session={self.token}"
            return Response("", status=302, headers={"Location": target})

        for method in ("GET", "POST"):
            self.server.override(r"/.*", wall, method)

    def _post(self, caption: str) -> WebPost:
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(
            days=1, hours=len(self.profile.posts)
        )
        return self.profile.add_post(when, caption)

    def _planted(self, body: dict[str, Any], post: WebPost) -> dict[str, Any]:
        url = self.urls.get(post.pk)
        if url is not None:
            body["image_versions2"] = {"candidates": [{"url": url, "width": 720, "height": 540}]}
        return body

    def _file(self, request: Request, match: re.Match[str]) -> Response:
        found = self.graph.files.get(match.group(1))
        if found is None:
            return Response("not found", status=404)
        return Response(found[0], content_type=found[1])
