"""Helpers of the X tests: an X emulator on loopback and a somed config pointing at it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.x.emulator import XAccount, XEmulator
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.runner import Runner
from storage import queries
from storage.db import connect

USER_ID = "2244994945"
TOKEN = "XEMU-app-7d1c0e9b5a"  # fake tokens; tests grep for them to prove they never leak
USER_TOKEN = "XEMU-user-4f2a8c6e1b"
TOKEN_ENV = "SOMED_TEST_X_TOKEN"
USER_TOKEN_ENV = "SOMED_TEST_X_USER_TOKEN"


@dataclass
class XSetup:
    """An X emulator, a config pointing at it, and the environment for the CLI."""

    emulator: XEmulator
    config: Config
    config_path: Path
    env: dict[str, str]

    def run(self, key: str = "test-x", *, later: timedelta = timedelta(0)):
        """Archive one account once, as the daemon would (`later`: as if that much later)."""
        prepare_archive(self.config)
        return Runner(self.config, clock=lambda: datetime.now(UTC) + later).run_account(key)

    def items(self, **filters) -> dict[str, dict]:
        """Every archived item by id (record contract, as `somed export` gives it)."""
        db = connect(self.config.db_path)
        try:
            return {str(i["id"]): i for i in queries.export_items(db, **filters)}
        finally:
            db.close()

    def requests_to(self, pattern: str) -> int:
        """How many requests reached paths matching `pattern`."""
        return len(self.emulator.request_log.matching(pattern))


def build(
    directory: Path,
    accounts: list[XAccount],
    *,
    user_token: bool = True,
    account_keys: dict[str, object] | None = None,
    runner: str = "",
    **emulator_options: object,
) -> XSetup:
    """Start an emulator serving `accounts` and write a config for the first one."""
    emulator = XEmulator(
        accounts,
        tokens=(TOKEN,),
        user_tokens={USER_TOKEN: accounts[0].id},
        **emulator_options,  # type: ignore[arg-type]
    )
    endpoint = emulator.start()
    account: dict[str, object] = {
        "key": "test-x",
        "platform": "x",
        "id": accounts[0].id,
        "token_env": TOKEN_ENV,
    }
    if user_token:
        account["user_token_env"] = USER_TOKEN_ENV
    account.update(account_keys or {})
    lines = [
        "[storage]",
        f'dir = "{directory / "archive"}"',
        "[runner]",
        "backoff_base_seconds = 0.01",
        "backoff_max_seconds = 0.05",
        "max_attempts = 12",
        runner,
        "[platforms.x]",
        f'endpoint = "{endpoint}"',
        "[[accounts]]",
        *(f"{key} = {json.dumps(value)}" for key, value in account.items()),
    ]
    path = directory / "somed.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {
        **os.environ,
        TOKEN_ENV: TOKEN,
        USER_TOKEN_ENV: USER_TOKEN,
        "SOMED_CONFIG": str(path),
        "SOMED_LANG": "en",
    }
    return XSetup(emulator, load_config(path), path, env)


@pytest.fixture
def x_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., XSetup]]:
    """Build X setups (`build` with the test's folder); their emulators stop after the test."""
    made: list[XSetup] = []
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(USER_TOKEN_ENV, USER_TOKEN)

    def make(accounts: list[XAccount], **options: object) -> XSetup:
        setup = build(tmp_path, accounts, **options)  # type: ignore[arg-type]
        made.append(setup)
        return setup

    yield make
    for setup in made:
        setup.emulator.stop()
