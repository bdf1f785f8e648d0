"""The X contract adapter: `XEmulator` with one generated account (posts, replies, mentions, DMs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.emulation import FaultPlan
from connectors.x.emulator import XAccount, XEmulator, generate_account
from connectors.x.normalize import flatten
from tests.hostile.x import XHostile
from tests.hostile.x_harness import XHarness

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "x"
USER_ID = "4400440044"
TOKEN = "AAAAContractXBearer%2F+tok="  # fake; has characters URL-encoding changes
USER_TOKEN = "ContractXUserTok-9d8c7b"
TOKEN_ENV = "SOMED_CONTRACT_X_TOKEN"
USER_TOKEN_ENV = "SOMED_CONTRACT_X_USER_TOKEN"
SEARCH_DAYS = 7


class XAdapter:
    """An X account on the X emulator: own posts with citizens' replies (and replies to
    those), mentions and direct messages (through the user token)."""

    name = "x"
    platform = "x"
    account = "contract-x"
    token = TOKEN
    env = {TOKEN_ENV: TOKEN, USER_TOKEN_ENV: USER_TOKEN}
    streams = ("profile", "posts", "mentions", "replies", "messages")
    posts_stream = "posts"
    harness = XHarness
    hostile = XHostile

    def __init__(self) -> None:
        self.emulator: XEmulator | None = None
        self.data: XAccount | None = None

    def start(self, posts: int = 20, comments: int = 2) -> None:
        """Serve a generated account: a post every three hours, newest an hour ago."""
        self.data = generate_account(
            USER_ID, "Kontraktskommun", "kontraktskommun", posts=posts,
            replies_per_post=comments, nested_replies=1 if comments else 0, mentions=2, dms=2,
            newest=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
            spacing=timedelta(hours=3),
        )  # fmt: skip
        self.emulator = XEmulator([self.data], tokens=(TOKEN,), user_tokens={USER_TOKEN: USER_ID})
        self.emulator.start()

    def stop(self) -> None:
        """Stop the emulator."""
        if self.emulator is not None:
            self.emulator.stop()

    @property
    def _emu(self) -> XEmulator:
        assert self.emulator is not None, "start() first"
        return self.emulator

    @property
    def _data(self) -> XAccount:
        assert self.data is not None, "start() first"
        return self.data

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform table (endpoint, options) and the account table with both tokens.

        `recheck_share = 0`: stored posts are re-read on every run, so the contract's second
        run finds a deletion at once (by default X re-reads are paced by age)."""
        options = [f"{key} = {json.dumps(value)}" for key, value in platform_options.items()]
        return [
            "[platforms.x]", f'endpoint = "{self._emu.base_url}"', *options,
            "[[accounts]]", f'key = "{self.account}"', 'platform = "x"', f'id = "{USER_ID}"',
            f'token_env = "{TOKEN_ENV}"', f'user_token_env = "{USER_TOKEN_ENV}"',
            "recheck_share = 0",
        ]  # fmt: skip

    def expected_ids(self) -> set[str]:
        """Every live tweet a complete walk reaches (archive ids: an edit chain's first id):
        own tweets, mentions (the 800 newest), tweets of the account's conversations of the
        last seven days; and every direct message."""
        data = self._data
        with data._lock:
            week = datetime.now(UTC) - timedelta(days=SEARCH_DAYS)
            own = {t["id"] for t in data.timeline(author=USER_ID)}
            roots = {t["conversation_id"] for t in data.timeline(author=USER_ID)}
            mentions = {t["id"] for t in data.timeline(mentioning=data.username)[:800]}
            replies = {t["id"] for t in data.timeline(conversations=roots)
                       if datetime.fromisoformat(t["created_at"]) >= week}  # fmt: skip
            tweets = {data.chain(i)[0] for i in own | mentions | replies}
            return tweets | {e["id"] for e in data.dm_events}

    def post_ids(self) -> list[str]:
        """The account's own posts (not its replies), newest first."""
        own = self._data.timeline(author=USER_ID)
        return [self._data.chain(t["id"])[0] for t in own if "referenced_tweets" not in t]

    def add_post(self, text: str) -> str:
        """Publish a post now."""
        return str(self._data.add_tweet(USER_ID, text, datetime.now(UTC))["id"])

    def edit_post(self, post_id: str, text: str) -> None:
        """Edit a post: a new version with a new id joins its edit chain."""
        self._data.edit(post_id, text)

    def delete_post(self, post_id: str) -> None:
        """Delete a post, every version of it (replies stay, as on X)."""
        self._data.delete(post_id)

    def throttle_next(self, n: int) -> None:
        """429 with the window's reset a second ahead."""
        self._emu.fail_next(n, "throttle", reset_in=1)

    def fail_next(self, n: int) -> None:
        """503 with the problem+json envelope."""
        self._emu.fail_next(n, "server_error")

    def random_faults(self, rate: float, seed: int) -> None:
        """429s and 503s, drawn at random."""
        plan = FaultPlan(rate=rate, kinds=("throttle", "server_error"), seed=seed)
        self._emu.set_faults(plan if rate else None)

    def expire_token(self) -> None:
        """The bearer token answers 401 from now on."""
        self._emu.revoke(TOKEN)

    def set_latency(self, seconds: float) -> None:
        """Delay every answer."""
        self._emu.latency = seconds

    def api_requests(self) -> int:
        """Requests to the API (media downloads aside)."""
        return len([r for r in self._emu.request_log if r.path.startswith("/2/")])

    def fixtures(self) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
        """The v2 shapes of tests/fixtures/x/, flattened as the connector hands them over."""
        load = lambda name: json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # noqa: E731
        context = {"user_id": "2244994945"}
        yield "profile", "profile", load("user.json")["data"], {}
        for name, stream in (("timeline_page.json", "posts"), ("mentions_page.json", "mentions"),
                             ("lookup_with_errors.json", "posts")):  # fmt: skip
            for raw in flatten(load(name)):
                yield stream, "tweet", raw, context
        for raw in flatten(load("dm_events.json")):
            yield "messages", "message", raw, context


ADAPTERS = (XAdapter,)
