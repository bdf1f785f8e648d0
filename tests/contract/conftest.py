"""Fixtures of the contract suite: one started adapter per platform, and the helpers around it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.contract.adapters import ContractAdapter, discover

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = discover()


@pytest.fixture(params=sorted(ADAPTERS))
def adapter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An adapter of each platform, not yet started (the test says how many posts); its
    tokens in the environment; stopped after the test."""
    made: ContractAdapter = ADAPTERS[request.param]()
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    yield made
    made.stop()


def write_config(
    directory: Path, adapter: Any, *, runner: str = "", logging: bool = False, **platform: Any
) -> Path:
    """A somed config for the adapter's account (fast backoff; `logging`: JSON at debug)."""
    path = directory / "somed.toml"
    lines = [
        "[storage]", f'dir = "{directory / "archive"}"',
        *(["[logging]", 'format = "json"', 'level = "debug"'] if logging else []),
        "[runner]", "backoff_base_seconds = 0.01", "backoff_max_seconds = 0.05",
        "max_attempts = 6", runner,
        *adapter.config_lines(**platform),
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def somed(path: Path, adapter: Any, *args: str, timeout: float = 120) -> Any:
    """Run `somed --config PATH ARGS...` in a subprocess with the adapter's tokens (English)."""
    env = {**os.environ, **adapter.env, "SOMED_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "somed", "--config", str(path), *args],
        capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT,
    )  # fmt: skip


def connector_for(config: Any, key: str) -> Any:
    """The account's connector, built as a run builds it (network layer included)."""
    from connectors.registry import connector_class
    from somed.netsetup import sessions_for

    account = config.account(key)
    cls = connector_class(account.platform)
    return cls(
        config.account_spec(key),
        config.platform_settings(account.platform),
        sessions_for(config, key, cls),
        lambda: datetime.now(UTC),
    )


def cursors(config: Any, key: str) -> dict[str, str | None]:
    """The stored cursor of every stream of the account."""
    from connectors.registry import connector_class
    from storage import queries
    from storage.db import connect

    db = connect(config.db_path)
    try:
        names = connector_class(config.account(key).platform).stream_names()
        return {name: queries.get_cursor(db, key, name) for name in names}
    finally:
        db.close()
