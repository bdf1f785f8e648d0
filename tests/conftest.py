"""Shared fixtures: a Facebook emulator on loopback and configs that point somed at it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.facebook.emulator import FacebookEmulator, TokenInfo, generate_page
from somed.config import Config, load_config
from tests.browser_support import chromium  # noqa: F401  (one headless Chromium per module)
from tests.contract.adapters import hostile_harnesses
from tests.demo_support import demo_archive, demo_snapshots  # noqa: F401  (shared, group "demo")
from tests.web_support import web_site  # noqa: F401  (shared, group "web")
from tests.xemu import x_setup  # noqa: F401  (the X tests' fixture)

PAGE_ID = "111000111"
TOKEN = "EMU-tok-9f3a7c21e5d84b06"  # a fake token; tests grep for it to prove it never leaks
TOKEN_ENV = "SOMED_TEST_FB_TOKEN"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Setup:
    """An emulator, a config pointing at it, and the paths involved."""

    emulator: FacebookEmulator
    config: Config
    config_path: Path
    env: dict[str, str]


def write_config(
    directory: Path,
    endpoint: str,
    *,
    accounts: list[dict[str, object]] | None = None,
    extra: str = "",
    runner: str = "",
) -> Path:
    """Write a somed config for the emulator; fast backoff so fault tests stay quick."""
    accounts = accounts or [{"key": "test-fb", "id": PAGE_ID, "token_env": TOKEN_ENV}]
    lines = [
        "[storage]",
        f'dir = "{directory / "archive"}"',
        "[runner]",
        "backoff_base_seconds = 0.01",
        "backoff_max_seconds = 0.05",
        "max_attempts = 12",
        runner,
        "[platforms.facebook]",
        'api_version = "v21.0"',
        f'endpoint = "{endpoint}"',
        extra,
    ]
    for account in accounts:
        lines.append("[[accounts]]")
        lines.append('platform = "facebook"')
        lines += [f"{key} = {json.dumps(value)}" for key, value in account.items()]
    path = directory / "somed.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def small_page(posts: int = 30, **kwargs: object) -> object:
    """A generated page with comments, replies and a few conversations, newest post an hour ago."""
    defaults: dict[str, object] = dict(
        comments_per_post=3,
        replies_per_comment=1,
        conversations=2,
        messages_per_conversation=3,
        spacing=timedelta(hours=12),
    )
    defaults.update(kwargs)
    return generate_page(
        PAGE_ID,
        "Testkommun",
        "testkommun",
        posts=posts,
        newest=NOW - timedelta(hours=1),
        **defaults,
    )  # type: ignore[arg-type]


@pytest.fixture
def fb_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Setup]]:
    """Build an emulator with the given pages and a config for it; stopped after the test."""
    started: list[FacebookEmulator] = []

    def build(
        pages: list[object] | None = None,
        *,
        extra: str = "",
        accounts: list[dict[str, object]] | None = None,
        tokens: dict[str, TokenInfo] | None = None,
        runner: str = "",
    ) -> Setup:
        pages = pages if pages is not None else [small_page()]
        tokens = tokens or {TOKEN: TokenInfo(page_ids=tuple(p.id for p in pages))}  # type: ignore[attr-defined]
        emulator = FacebookEmulator(pages, tokens=tokens)  # type: ignore[arg-type]
        endpoint = emulator.start()
        started.append(emulator)
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        path = write_config(tmp_path, endpoint, accounts=accounts, extra=extra, runner=runner)
        env = {**os.environ, TOKEN_ENV: TOKEN, "SOMED_CONFIG": str(path), "SOMED_LANG": "en"}
        return Setup(emulator, load_config(path), path, env)

    yield build
    for emulator in started:
        emulator.stop()


def archived(setup: Setup) -> dict[str, dict[str, object]]:
    """Every item of the setup's archive by id, as `somed export` gives it (record contract)."""
    from storage import queries
    from storage.db import connect

    db = connect(setup.config.db_path)
    try:
        return {str(i["id"]): i for i in queries.export_items(db)}
    finally:
        db.close()


# --- part quarantine: the connector-neutral hostile harness (tests/hostile/harness.py) -------


HARNESSES = hostile_harnesses()  # tests/hostile/harness.py's, and every contract adapter's


@pytest.fixture(params=sorted(HARNESSES))
def hostile(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A started hostile harness of each platform, its (fake) token in the environment."""
    harness = HARNESSES[request.param]()
    harness.start()
    for name, value in harness.env.items():
        monkeypatch.setenv(name, value)
    yield harness
    harness.stop()
