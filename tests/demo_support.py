"""The archived demo of every platform, and one batch of snapshots of it: built once per test
process and shared by every module that needs it (those modules run in one xdist group, "demo",
so the archive and the browser work are paid for once in the whole suite)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from connectors.emulation.demo import DemoAccount, demo_accounts
from somed.capture import CaptureRequest, CaptureResult, capture_accounts
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.demo import demo_config, write_browser_states
from somed.runner import Runner
from storage.db import connect
from tests.public_pages_support import NOW

DEMO_GROUP = pytest.mark.xdist_group(
    "demo"
)  # put `pytestmark = DEMO_GROUP` in a module using these


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, list]]:
    """Every demo account archived from its running emulator (config, demo accounts)."""
    folder = tmp_path_factory.mktemp("capture-demo")
    demos: list[DemoAccount] = demo_accounts(NOW)
    served = [(demo, demo.emulator.start()) for demo in demos]
    saved = dict(os.environ)
    try:
        for demo in demos:
            os.environ.update(demo.tokens)
        write_browser_states(folder, demos)
        path = folder / "somed.toml"
        path.write_text(demo_config(served, storage=folder, lang="sv"), encoding="utf-8")
        config = load_config(path)
        prepare_archive(config)
        Runner(config).run_accounts([a.key for a in config.accounts], trigger="demo")
        yield config, demos
    finally:
        os.environ.clear()
        os.environ.update(saved)
        for demo, _ in served:
            demo.emulator.stop()


@dataclass(frozen=True)
class DemoSnapshots:
    """One capture batch of the archived demo: every account's page, then one post permalink."""

    config: Config
    demos: list
    accounts: list[CaptureResult]
    permalink: str
    post: CaptureResult


def newest_own_post_url(config: Config, account: str) -> str:
    """The permalink of the account's newest own post that is still there."""
    db = connect(config.db_path)
    try:
        return db.execute(
            "SELECT url FROM items WHERE account = ? AND kind = 'post' AND direction = 'own'"
            " AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1",
            [account],
        ).fetchone()[0]
    finally:
        db.close()


@pytest.fixture(scope="session")
def demo_snapshots(demo_archive: tuple[Config, list]) -> DemoSnapshots:
    """Every demo account captured once (and the first account's newest post), in one batch."""
    config, demos = demo_archive
    keys = [a.key for a in config.accounts]
    permalink = newest_own_post_url(config, keys[0])
    requests = [CaptureRequest(key) for key in keys] + [CaptureRequest(keys[0], url=permalink)]
    *results, post = capture_accounts(config, requests)
    return DemoSnapshots(config, demos, results, permalink, post)
