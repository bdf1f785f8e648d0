"""Shared set-up of the Instagram Graph tests: an emulator on loopback and a config for it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.instagram.emulator import Account, InstagramGraphEmulator, TokenInfo
from somed.config import Config, load_config

TOKEN = "EMU-igtok-5b1e0c9d77a24f3e"  # a fake token; tests grep for it to prove it never leaks
TOKEN_ENV = "SOMED_TEST_IG_TOKEN"
KEY = "test-ig"


@dataclass
class IgSetup:
    """An emulator, a config pointing at it, and the environment a CLI run needs."""

    emulator: InstagramGraphEmulator
    account: Account
    config: Config
    config_path: Path
    env: dict[str, str]


def write_config(directory: Path, endpoint: str, account: Account, extra: str = "") -> Path:
    """A somed config for one Instagram account on the emulator; fast backoff."""
    lines = [
        "[storage]",
        f'dir = "{directory / "archive"}"',
        "[runner]",
        "backoff_base_seconds = 0.01",
        "backoff_max_seconds = 0.05",
        "max_attempts = 12",
        "[platforms.instagram]",
        'api_version = "v21.0"',
        f'endpoint = "{endpoint}"',
        "[[accounts]]",
        f'key = "{KEY}"',
        'platform = "instagram"',
        f'id = "{account.user_id}"',
        f"token_env = {json.dumps(TOKEN_ENV)}",
        extra,
    ]
    path = directory / "somed.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def ig_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., IgSetup]]:
    """Build an emulator serving `account` and a config for it; stopped after the test."""
    started: list[InstagramGraphEmulator] = []

    def build(account: Account, *, token: TokenInfo | None = None, extra: str = "",
              **emulator_options: object) -> IgSetup:  # fmt: skip
        tokens = {TOKEN: token or TokenInfo(page_id=account.page_id)}
        emulator = InstagramGraphEmulator([account], tokens, **emulator_options)  # type: ignore[arg-type]
        endpoint = emulator.start()
        started.append(emulator)
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        path = write_config(tmp_path, endpoint, account, extra)
        env = {**os.environ, TOKEN_ENV: TOKEN, "SOMED_CONFIG": str(path), "SOMED_LANG": "en"}
        return IgSetup(emulator, account, load_config(path), path, env)

    yield build
    for emulator in started:
        emulator.stop()


def expected_ids(account: Account) -> set[str]:
    """Every live post, comment and reply id of an emulated account."""
    ids: set[str] = set()
    for media in account.live_media():
        ids.add(media.id)
        for comment in media.comments:
            if comment.deleted:
                continue
            ids.add(comment.id)
            ids.update(r.id for r in comment.replies if not r.deleted)
    return ids


def archived_items(setup: IgSetup) -> dict[str, dict[str, object]]:
    """Every item of the setup's archive by id, as `somed export` gives it."""
    from storage import queries
    from storage.db import connect

    db = connect(setup.config.db_path)
    try:
        return {str(i["id"]): i for i in queries.export_items(db)}
    finally:
        db.close()
