"""The Instagram (graph mode) contract adapter: `InstagramGraphEmulator` with one account."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.emulation import FaultPlan
from connectors.instagram.emulator import (
    Account,
    Comment,
    InstagramGraphEmulator,
    Media,
    TokenInfo,
    generate_account,
)
from connectors.instagram.emulator.data import next_id
from tests.hostile.instagram import InstagramHarness, InstagramHostile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "instagram"
USER_ID = "17841433300033300"
PAGE_ID = "333000444"
TOKEN = "EAAContractTok3n+/=ig"  # fake; has characters URL-encoding changes
TOKEN_ENV = "SOMED_CONTRACT_IG_TOKEN"


class InstagramGraphAdapter:
    """An Instagram professional account on the Graph emulator: media of every type with
    comments and replies, and direct messages through the linked page."""

    name = "instagram-graph"
    platform = "instagram"
    mode = "graph"  # the `mode` account key (test_coverage: one adapter per mode)
    account = "contract-ig"
    token = TOKEN
    env = {TOKEN_ENV: TOKEN}
    streams = ("profile", "posts", "messages")
    posts_stream = "posts"
    harness = InstagramHarness
    hostile = InstagramHostile

    def __init__(self) -> None:
        self.emulator: InstagramGraphEmulator | None = None
        self.data: Account | None = None

    def start(self, posts: int = 20, comments: int = 2) -> None:
        """Serve a generated account (a reply on every comment, two conversations)."""
        self.data = generate_account(
            posts=posts, comments_per_post=comments, replies_per_comment=1 if comments else 0,
            newest=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
            spacing=timedelta(hours=6), conversations=2, messages_per_conversation=3,
            user_id=USER_ID, username="kontraktskommun", page_id=PAGE_ID,
        )  # fmt: skip
        self.emulator = InstagramGraphEmulator(
            [self.data], {TOKEN: TokenInfo(page_id=PAGE_ID)}, rate_limit=10**9
        )
        self.emulator.start()

    def stop(self) -> None:
        """Stop the emulator."""
        if self.emulator is not None:
            self.emulator.stop()

    @property
    def _emu(self) -> InstagramGraphEmulator:
        assert self.emulator is not None, "start() first"
        return self.emulator

    @property
    def _data(self) -> Account:
        assert self.data is not None, "start() first"
        return self.data

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform table (endpoint, options) and the account table."""
        options = [f"{key} = {json.dumps(value)}" for key, value in platform_options.items()]
        return [
            "[platforms.instagram]", 'api_version = "v21.0"',
            f'endpoint = "{self._emu.base_url}"', *options,
            "[[accounts]]", f'key = "{self.account}"', 'platform = "instagram"',
            f'id = "{USER_ID}"', f'token_env = "{TOKEN_ENV}"',
        ]  # fmt: skip

    def expected_ids(self) -> set[str]:
        """Posts, comments, replies and messages as the emulator holds them now."""
        ids: set[str] = set()
        for media in self._data.live_media():
            ids.add(media.id)
            for comment in media.comments:
                if not comment.deleted:
                    ids.add(comment.id)
                    ids |= {r.id for r in comment.replies if not r.deleted}
        ids |= {m.id for c in self._data.conversations for m in c.messages}
        return ids

    def post_ids(self) -> list[str]:
        """The account's media, newest first."""
        return [m.id for m in self._data.live_media()]

    def add_post(self, text: str) -> str:
        """Publish an image now."""
        media = Media(next_id(), text, "IMAGE", datetime.now(UTC).replace(microsecond=0),
                      f"N{len(self._data.media):09d}")  # fmt: skip
        self._data.media.insert(0, media)
        return media.id

    def edit_post(self, post_id: str, text: str) -> None:
        """Change a caption (Instagram gives no edited time)."""
        found = self._data.find(post_id)
        assert isinstance(found, Media), post_id
        found.caption = text

    def delete_post(self, post_id: str) -> None:
        """Delete a media object (its comments go with it)."""
        found = self._data.find(post_id)
        assert isinstance(found, Media), post_id
        found.deleted = True

    def comment_ids(self, post_id: str) -> list[str]:
        """The media's live top-level comments, oldest first."""
        found = self._data.find(post_id)
        assert isinstance(found, Media), post_id
        return [c.id for c in found.comments if not c.deleted]

    def add_comment(self, post_id: str, text: str) -> str:
        """A visitor comments the media now."""
        found = self._data.find(post_id)
        assert isinstance(found, Media), post_id
        comment = Comment(next_id(), text, datetime.now(UTC).replace(microsecond=0),
                          "invanare", "90001")  # fmt: skip
        found.comments.append(comment)
        return comment.id

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment (its replies go with it)."""
        found = self._data.find(comment_id)
        assert isinstance(found, Comment), comment_id
        found.deleted = True

    def throttle_next(self, n: int) -> None:
        """Graph's application throttle (code 4), access back at once."""
        self._emu.fail_next(n, "throttle", regain=0)

    def fail_next(self, n: int) -> None:
        """A Graph 500 with the JSON envelope."""
        self._emu.fail_next(n, "server_error")

    def random_faults(self, rate: float, seed: int) -> None:
        """Graph's application throttle and 500s, drawn at random."""
        plan = FaultPlan(rate=rate, kinds=("throttle", "server_error"), seed=seed)
        self._emu.set_faults(plan if rate else None)

    def expire_token(self) -> None:
        """Code 190, subcode 463."""
        self._emu.expire_token(TOKEN)

    def set_latency(self, seconds: float) -> None:
        """Delay every answer."""
        self._emu.latency = seconds

    def api_requests(self) -> int:
        """Requests to the Graph API (CDN downloads aside)."""
        return len([r for r in self._emu.request_log if not r.path.startswith("/v/t51")])

    def fixtures(self) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
        """The Graph shapes of tests/fixtures/instagram/."""
        load = lambda name: json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # noqa: E731
        user = {"user_id": "17841400000000042", "username": "morakommun"}
        yield "profile", "profile", load("profile.json"), {}
        for name in ("media_carousel", "media_reel_without_file", "media_image_no_caption"):
            raw = load(f"{name}.json")
            yield "posts", "post", {k: v for k, v in raw.items() if k != "comments"}, user
        media = {**user, "media_id": "17918195224117851"}
        for comment in load("media_carousel.json")["comments"]["data"]:
            yield "posts", "comment", comment, media
        yield "posts", "comment", load("comment_hidden_without_from.json"), media
        yield "posts", "comment", load("reply_own.json"), media
        yield (
            "messages",
            "message",
            load("message_with_image.json"),
            {**user, "conversation_id": "aWdfY29udjE"},
        )


ADAPTERS = (InstagramGraphAdapter,)
