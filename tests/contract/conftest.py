"""Fixtures of the contract suite: one started adapter per platform, and the helpers around it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.contract.adapters import ContractAdapter, discover
from tests.hostile.harness import write_config as hostile_config

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


def write_config(directory: Path, adapter: Any, **options: Any) -> Path:
    """A somed config for the adapter's account (see tests/hostile/harness.py), 6 attempts."""
    return hostile_config(directory, adapter, **{"attempts": 6, **options})


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
