"""The Facebook contract adapter: `FacebookEmulator` with one generated page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.facebook.emulator import FacebookEmulator, PageData, TokenInfo, generate_page
from connectors.facebook.emulator.faults import FaultPlan
from connectors.facebook.emulator.store import walk
from tests.hostile.harness import FacebookHarness
from tests.hostile.platforms import FacebookHostile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "facebook"
PAGE_ID = "333000333"
TOKEN = "EAAContractTok3n+/=fb"  # fake; has characters URL-encoding changes
TOKEN_ENV = "SOMED_CONTRACT_FB_TOKEN"


class FacebookAdapter:
    """A Facebook page on the Graph emulator, with posts, comments, replies and messages."""

    name = "facebook"
    platform = "facebook"
    account = "contract-fb"
    token = TOKEN
    env = {TOKEN_ENV: TOKEN}
    streams = ("profile", "posts", "messages")
    posts_stream = "posts"
    harness = FacebookHarness
    hostile = FacebookHostile

    def __init__(self) -> None:
        self.emulator: FacebookEmulator | None = None
        self.page: PageData | None = None

    def start(self, posts: int = 20, comments: int = 2) -> None:
        """Serve a generated page (replies on every comment, two conversations)."""
        self.page = generate_page(
            PAGE_ID, "Kontraktskommun", "kontraktskommun", posts=posts,
            comments_per_post=comments, replies_per_comment=1 if comments else 0,
            newest=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
            spacing=timedelta(hours=6), conversations=2, messages_per_conversation=3,
        )  # fmt: skip
        self.emulator = FacebookEmulator(
            [self.page], tokens={TOKEN: TokenInfo(page_ids=(PAGE_ID,))}, usage_budget=10**9
        )
        self.emulator.start()

    def stop(self) -> None:
        """Stop the emulator."""
        if self.emulator is not None:
            self.emulator.stop()

    @property
    def _emu(self) -> FacebookEmulator:
        assert self.emulator is not None, "start() first"
        return self.emulator

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform table (endpoint, options) and the page's account table."""
        options = [f"{key} = {json.dumps(value)}" for key, value in platform_options.items()]
        return [
            "[platforms.facebook]", 'api_version = "v21.0"', f'endpoint = "{self._emu.base_url}"',
            *options,
            "[[accounts]]", f'key = "{self.account}"', 'platform = "facebook"',
            f'id = "{PAGE_ID}"', f'token_env = "{TOKEN_ENV}"',
        ]  # fmt: skip

    def expected_ids(self) -> set[str]:
        """Posts, comments, replies and messages of the page as the emulator holds it now."""
        assert self.page is not None
        with self._emu._lock:
            ids = {p.id for p in self.page.posts}
            ids |= {c.id for p in self.page.posts for c in walk(p.comments)}
            ids |= {m.id for c in self.page.conversations for m in c.messages}
        return ids

    def post_ids(self) -> list[str]:
        """The page's own posts, newest first."""
        assert self.page is not None
        with self._emu._lock:
            posts = sorted(self.page.posts, key=lambda p: p.created_time, reverse=True)
            return [p.id for p in posts]

    def add_post(self, text: str) -> str:
        """Publish a post now."""
        return self._emu.add_post(PAGE_ID, text)

    def edit_post(self, post_id: str, text: str) -> None:
        """Change a post's text (its updated_time moves to now)."""
        self._emu.edit_post(post_id, text)

    def delete_post(self, post_id: str) -> None:
        """Delete a post and its comments."""
        self._emu.delete_post(post_id)

    def comment_ids(self, post_id: str) -> list[str]:
        """The post's top-level comments, oldest first."""
        assert self.page is not None
        with self._emu._lock:
            post = next(p for p in self.page.posts if p.id == post_id)
            return [c.id for c in post.comments]

    def add_comment(self, post_id: str, text: str) -> str:
        """A visitor comments the post now (its updated_time moves)."""
        return self._emu.add_comment(post_id, text)

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment and its replies."""
        self._emu.delete_comment(comment_id)

    def throttle_next(self, n: int) -> None:
        """Graph's page-level throttle (code 32), access back within a minute."""
        self._emu.fail_next(n, "throttle", code=32, status=400, regain=0)

    def fail_next(self, n: int) -> None:
        """A Graph 500 with the JSON envelope."""
        self._emu.fail_next(n, "server_error", status=500, html=False)

    def random_faults(self, rate: float, seed: int) -> None:
        """Graph's throttles (access back at once) and 5xx answers, drawn at random."""
        self._emu.set_faults(FaultPlan(rate=rate, seed=seed) if rate else None)

    def expire_token(self) -> None:
        """Code 190, subcode 463."""
        self._emu.expire_token(TOKEN)

    def set_latency(self, seconds: float) -> None:
        """Delay every answer."""
        self._emu.latency = seconds

    def api_requests(self) -> int:
        """Real HTTP requests to the Graph API (CDN downloads aside)."""
        return len([r for r in self._emu.http_requests() if not r.path.startswith("/media/")])

    def fixtures(self) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
        """The Graph shapes of tests/fixtures/facebook/."""
        load = lambda name: json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # noqa: E731
        page = {"page_id": "100200300"}
        yield "profile", "profile", load("page_profile.json"), {}
        post = load("post_with_comments.json")
        yield "posts", "post", post, page
        for comment in post["comments"]["data"]:
            yield "posts", "comment", comment, {**page, "post_id": post["id"]}
        shapes = load("post_shapes.json")
        for key, raw in shapes.items():
            if key.endswith("_post"):
                yield "posts", "post", raw, page
            elif key.endswith("_comment"):
                yield "posts", "comment", raw, {**page, "post_id": "100200300_1"}
            else:
                yield "messages", "message", raw, {**page, "conversation": {"id": "t_1"}}
        conversation = load("conversation.json")
        context = {k: v for k, v in conversation.items() if k != "messages"}
        for message in conversation["messages"]["data"]:
            yield "messages", "message", message, {**page, "conversation": context}


ADAPTERS = (FacebookAdapter,)
