"""Shared by the YouTube tests: an emulator on loopback and a somed config pointing at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.youtube.emulator import KEY, Channel, YouTubeEmulator, generate_channel
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.runner import Runner, RunOutcome
from storage import queries
from storage.db import connect

CHANNEL_ID = "UCtestkommun00000000000x"
KEY_ENV = "SOMED_TEST_YT_KEY"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class YouTubeSetup:
    """An emulator, a config pointing at it, and the environment to run somed with."""

    emulator: YouTubeEmulator
    config: Config
    config_path: Path
    env: dict[str, str]

    def archive(self, key: str = "test-yt") -> RunOutcome:
        """Run one archive pass of the account, in this process."""
        prepare_archive(self.config)
        return Runner(self.config).run_account(key)

    def items(self, **filters: object) -> dict[str, dict[str, object]]:
        """Every archived item by id, in the record contract."""
        db = connect(self.config.db_path)
        try:
            return {str(i["id"]): i for i in queries.export_items(db, **filters)}
        finally:
            db.close()

    def runs(self) -> list[dict[str, object]]:
        """The account's runs, newest first."""
        db = connect(self.config.db_path)
        try:
            return queries.last_runs(db, "test-yt")
        finally:
            db.close()


def small_channel(videos: int = 12, **kwargs: object) -> Channel:
    """A generated channel, newest video an hour ago."""
    return generate_channel(
        CHANNEL_ID, "Testkommun", "testkommun", videos=videos,
        newest=NOW - timedelta(hours=1), **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def write_config(directory: Path, endpoint: str, *, account: str = "", runner: str = "") -> Path:
    """A somed config for the emulator; fast backoff so fault tests stay quick."""
    text = f"""
[storage]
dir = "{directory / "archive"}"
[runner]
backoff_base_seconds = 0.01
backoff_max_seconds = 0.05
max_attempts = 12
{runner}
[platforms.youtube]
endpoint = "{endpoint}"
[[accounts]]
key = "test-yt"
platform = "youtube"
id = "{CHANNEL_ID}"
token_env = "{KEY_ENV}"
{account}
"""
    path = directory / "somed.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def yt_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., YouTubeSetup]]:
    """Build an emulator with the given channels and a config for it; stopped after the test."""
    started: list[YouTubeEmulator] = []

    def build(
        channels: list[Channel] | None = None, *, account: str = "", runner: str = "",
        key: str = KEY, **emulator_options: object,
    ) -> YouTubeSetup:  # fmt: skip
        emulator = YouTubeEmulator(channels or [small_channel()], **emulator_options)  # type: ignore[arg-type]
        endpoint = emulator.start()
        started.append(emulator)
        monkeypatch.setenv(KEY_ENV, key)
        path = write_config(tmp_path, endpoint, account=account, runner=runner)
        env = {**os.environ, KEY_ENV: key, "SOMED_CONFIG": str(path), "SOMED_LANG": "en"}
        return YouTubeSetup(emulator, load_config(path), path, env)

    yield build
    for emulator in started:
        emulator.stop()


def expected_ids(channel: Channel) -> set[str]:
    """Every public video, comment and reply id of a generated channel."""
    return channel.readable_ids()
