"""The Instagram contract adapter, mode instaloader: the web emulator with one public profile."""

from __future__ import annotations

import json
import pickle
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.emulation import FaultPlan
from connectors.instagram.emulator.web import VALID_SESSION, WebEmulator
from connectors.instagram.emulator.web_data import USER_PK, WebAccount, seeded
from tests.hostile.instaloader import InstaloaderHostile
from tests.hostile.instaloader_harness import InstaloaderHarness

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "instagram_loader"
CSRF = "csrfContract0123456789"


class InstaloaderAdapter:
    """A public profile read through instaloader with a login session (comments included)."""

    name = "instagram-instaloader"
    platform = "instagram"
    mode = "instaloader"  # the `mode` account key (test_coverage: one adapter per mode)
    account = "contract-il"
    token = VALID_SESSION  # the secret of this mode: the session file's sessionid cookie
    env: dict[str, str] = {}  # no token: the session file is named in the config
    streams = ("profile", "posts")
    posts_stream = "posts"
    harness = InstaloaderHarness
    hostile = InstaloaderHostile

    def __init__(self) -> None:
        self.emulator: WebEmulator | None = None
        self.profile: WebAccount | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="somed-contract-il-"))
        self.session_file = self.folder / "session-contract"

    def start(self, posts: int = 20, comments: int = 2) -> None:
        """Serve a seeded profile (one pinned post, replies on every other comment)."""
        newest = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.profile = seeded(posts, comments=comments, replies=1 if comments else 0,
                              newest=newest, busy_every=0)  # fmt: skip
        self.emulator = WebEmulator(self.profile)
        self.emulator.start()
        self.session_file.write_bytes(pickle.dumps({"sessionid": VALID_SESSION, "csrftoken": CSRF,
                                                    "ds_user_id": "7700000001"}))  # fmt: skip

    def stop(self) -> None:
        """Stop the emulator."""
        if self.emulator is not None:
            self.emulator.stop()

    @property
    def _emu(self) -> WebEmulator:
        assert self.emulator is not None, "start() first"
        return self.emulator

    @property
    def _profile(self) -> WebAccount:
        assert self.profile is not None, "start() first"
        return self.profile

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform table (endpoint, options) and the profile's account table."""
        options = [f"{key} = {json.dumps(value)}" for key, value in platform_options.items()]
        return [
            "[platforms.instagram]", f'endpoint = "{self._emu.base_url}"', *options,
            "[[accounts]]", f'key = "{self.account}"', 'platform = "instagram"',
            'mode = "instaloader"', f'id = "{self._profile.username}"',
            f'session_file = "{self.session_file}"', 'streams = ["profile", "posts"]',
            "pace_factor = 100", "pause_after_429_seconds = 1", "pause_after_wait_seconds = 1",
            f'pace_file = "{self.folder / "pace.json"}"',
        ]  # fmt: skip

    def expected_ids(self) -> set[str]:
        """Posts, comments and replies of the profile as the emulator holds it now."""
        with self._profile.lock:
            ids = {str(p.pk) for p in self._profile.timeline()}
            ids |= {str(c.pk) for p in self._profile.timeline() for c in p.comments
                    if not c.deleted}  # fmt: skip
        return ids

    def post_ids(self) -> list[str]:
        """The profile's posts, newest first (pinned ones by their date, too)."""
        posts = sorted(self._profile.timeline(), key=lambda p: p.taken_at, reverse=True)
        return [str(p.pk) for p in posts]

    def add_post(self, text: str) -> str:
        """Publish a post now."""
        return str(self._profile.add_post(datetime.now(UTC), text).pk)

    def edit_post(self, post_id: str, text: str) -> None:
        """Change a post's caption."""
        self._profile.edit(int(post_id), text)

    def delete_post(self, post_id: str) -> None:
        """Delete a post and its comments."""
        self._profile.delete(int(post_id))

    def comment_ids(self, post_id: str) -> list[str]:
        """The post's live top-level comments, oldest first."""
        return [str(c.pk) for c in self._profile.posts[int(post_id)].live_comments()]

    def add_comment(self, post_id: str, text: str) -> str:
        """A visitor comments the post now."""
        post = self._profile.posts[int(post_id)]
        return str(self._profile.add_comment(post, text, datetime.now(UTC)).pk)

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment (its replies go with it)."""
        pk = int(comment_id)
        post = next(p for p in self._profile.posts.values() if any(c.pk == pk for c in p.comments))
        self._profile.delete_comment(post, pk)

    def throttle_next(self, n: int) -> None:
        """Instagram's 429 "Please wait a few minutes" (the config pauses a second)."""
        self._emu.fail_next(n, "throttle")

    def fail_next(self, n: int) -> None:
        """A 5xx HTML page."""
        self._emu.fail_next(n, "server_error", status=500)

    def random_faults(self, rate: float, seed: int) -> None:
        """429s and 5xx HTML pages, drawn at random."""
        plan = FaultPlan(rate=rate, kinds=("throttle", "server_error"), seed=seed)
        self._emu.set_faults(plan if rate else None)

    def expire_token(self) -> None:
        """The session is logged out: Instagram sends it to the login page from now on."""
        self._emu.sessions.clear()

    def set_latency(self, seconds: float) -> None:
        """Delay every answer."""
        self._emu.latency = seconds

    def api_requests(self) -> int:
        """Requests to Instagram's pages and APIs (CDN downloads aside)."""
        return len([r for r in self._emu.request_log if not r.path.startswith(("/v/", "/o1/"))])

    def fixtures(self) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
        """The shapes of tests/fixtures/instagram_loader/."""
        load = lambda name: json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # noqa: E731
        mode = {"mode": "instaloader"}
        yield "profile", "profile", load("profile.json"), mode
        for name in sorted(FIXTURES.glob("media_*.json")):
            yield "posts", "post", load(name.name), mode
        context = {**mode, "media_id": "3100000000001000003", "user_id": str(USER_PK)}
        comments = load("comments.json")
        for comment in comments:
            yield "posts", "comment", comment, context
        yield "posts", "comment", comments[1], {**context, "parent_id": comments[0]["id"]}


ADAPTERS = (InstaloaderAdapter,)
