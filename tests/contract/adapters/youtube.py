"""The YouTube contract adapter: `YouTubeEmulator` with one generated channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.emulation import FaultPlan
from connectors.youtube.emulator import Channel, Video, YouTubeEmulator, generate_channel
from tests.hostile.youtube import YouTubeHostile
from tests.hostile.youtube_harness import YouTubeHarness

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "youtube"
CHANNEL_ID = "UCcontractkommun0000000x"
TOKEN = "AIzaContract-yt-Key+/=9"  # fake; has characters URL-encoding changes
TOKEN_ENV = "SOMED_CONTRACT_YT_KEY"


class YouTubeAdapter:
    """A YouTube channel on the Data API emulator: videos, comment threads, replies."""

    name = "youtube"
    platform = "youtube"
    account = "contract-yt"
    token = TOKEN
    env = {TOKEN_ENV: TOKEN}
    streams = ("profile", "posts")
    posts_stream = "posts"
    harness = YouTubeHarness
    hostile = YouTubeHostile

    def __init__(self) -> None:
        self.emulator: YouTubeEmulator | None = None
        self.channel: Channel | None = None
        self._added = 0

    def start(self, posts: int = 20, comments: int = 2) -> None:
        """Serve a generated channel: `posts` videos with `comments` threads each (replies on
        every thread, more than YouTube inlines on some)."""
        self.channel = generate_channel(
            CHANNEL_ID, "Kontraktskommun", "kontraktskommun", videos=posts,
            threads_per_video=comments,
            newest=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
            spacing=timedelta(hours=6),
        )  # fmt: skip
        self.emulator = YouTubeEmulator([self.channel], keys=(TOKEN,))
        self.emulator.start()

    def stop(self) -> None:
        """Stop the emulator."""
        if self.emulator is not None:
            self.emulator.stop()

    @property
    def _emu(self) -> YouTubeEmulator:
        assert self.emulator is not None, "start() first"
        return self.emulator

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform table (endpoint, options) and the channel's account table."""
        options = [f"{key} = {json.dumps(value)}" for key, value in platform_options.items()]
        return [
            "[platforms.youtube]", f'endpoint = "{self._emu.base_url}"', *options,
            "[[accounts]]", f'key = "{self.account}"', 'platform = "youtube"',
            f'id = "{CHANNEL_ID}"', f'token_env = "{TOKEN_ENV}"',
        ]  # fmt: skip

    def expected_ids(self) -> set[str]:
        """Public videos with their comments and replies, as the emulator holds them now."""
        assert self.channel is not None
        with self._emu.lock:
            return self.channel.readable_ids()

    def post_ids(self) -> list[str]:
        """The channel's readable videos, newest first."""
        assert self.channel is not None
        with self._emu.lock:
            return [v.id for v in self.channel.videos if v.privacy != "private"]

    def add_post(self, text: str) -> str:
        """Publish a video now (its title is `text`)."""
        self._added += 1
        video = Video(f"new{self._added:08d}", text, None, datetime.now(UTC).replace(microsecond=0))
        self._emu.add_video(CHANNEL_ID, video)
        return video.id

    def edit_post(self, post_id: str, text: str) -> None:
        """Change a video's title to `text`, its description to none (the record's text is then
        `text`); YouTube keeps no edit time for videos."""
        self._emu.edit_video(post_id, title=text, description="")

    def delete_post(self, post_id: str) -> None:
        """Delete a video (its comments go with it)."""
        self._emu.delete_video(post_id)

    def comment_ids(self, post_id: str) -> list[str]:
        """The video's top-level comments (threads), as the emulator holds them."""
        with self._emu.lock:
            found = self._emu.find_video(post_id)
            assert found is not None, post_id
            return [t.id for t in found[1].threads]

    def add_comment(self, post_id: str, text: str) -> str:
        """A visitor comments the video now."""
        return self._emu.add_comment(post_id, text)

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment (a top-level one takes its replies with it)."""
        self._emu.delete_comment(comment_id)

    def throttle_next(self, n: int) -> None:
        """`rateLimitExceeded` (403, or 429 with `Retry-After: 0`)."""
        self._emu.fail_next(n, "throttle")

    def fail_next(self, n: int) -> None:
        """A 500 `backendError`, or a 503 HTML page."""
        self._emu.fail_next(n, "server_error")

    def random_faults(self, rate: float, seed: int) -> None:
        """Rate limits and server errors, drawn at random."""
        plan = FaultPlan(rate=rate, kinds=("throttle", "server_error"), seed=seed)
        self._emu.set_faults(plan if rate else None)

    def expire_token(self) -> None:
        """The key is refused from now on (400 `API_KEY_INVALID`)."""
        self._emu.keys.discard(TOKEN)

    def set_latency(self, seconds: float) -> None:
        """Delay every answer."""
        self._emu.latency = seconds

    def api_requests(self) -> int:
        """API calls answered (thumbnails and avatars aside)."""
        return self._emu.api_requests()

    def fixtures(self) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
        """The Data API shapes of tests/fixtures/youtube/."""
        load = lambda name: json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # noqa: E731
        channel = {"channel_id": "UCmorakommun0000000000xA"}
        yield "profile", "profile", load("channel.json"), {}
        yield "posts", "video", load("video.json"), channel
        yield "posts", "video", load("video_sparse.json"), channel
        thread = load("thread.json")
        where = {**channel, "video_id": thread["snippet"]["videoId"]}
        yield "posts", "comment", thread["snippet"]["topLevelComment"], where
        for reply in thread["replies"]["comments"]:
            yield "posts", "comment", reply, where
        yield "posts", "comment", load("comment_hidden_author.json"), where


ADAPTERS = (YouTubeAdapter,)
