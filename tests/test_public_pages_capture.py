"""somed's capture engine on every platform's demo pages: real Chromium, real emulators.

The demo accounts are archived first (so the capture checks that the newest archived post is
on the page), then captured in one batch: every page is valid, its cookie dialog closed by its
platform's hints; with a login wall, a checkpoint or an error page each capture is invalid
with the matching reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from connectors.emulation.demo import DemoAccount, demo_accounts
from somed.capture import CaptureRequest, capture_accounts
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.demo import demo_config, write_browser_states
from somed.runner import Runner
from storage.db import connect
from tests.public_pages_support import NOW


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, list]]:
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


def newest_own_post_url(config: Config, account: str) -> str:
    db = connect(config.db_path)
    try:
        return db.execute(
            "SELECT url FROM items WHERE account = ? AND kind = 'post' AND direction = 'own'"
            " AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1",
            [account],
        ).fetchone()[0]
    finally:
        db.close()


def test_every_demo_account_gets_a_valid_snapshot(demo_archive: tuple[Config, list]) -> None:
    """And one post permalink: the browser goes to the emulator, each page shows its newest
    archived post, a platform with a stored login is captured as that identity."""
    config, demos = demo_archive
    keys = [a.key for a in config.accounts]
    permalink = newest_own_post_url(config, keys[0])
    requests = [CaptureRequest(key) for key in keys] + [CaptureRequest(keys[0], url=permalink)]
    *results, post = capture_accounts(config, requests)
    logged_in = {d.platform for d in demos if d.browser_state is not None}
    for result in results:
        manifest = result.manifest
        assert (result.account, result.verdict, result.reason) == (result.account, "valid", None)
        assert manifest["consent_dismissed"], result.account
        assert manifest["page_height"] > 1000, result.account
        assert manifest["expected_text"], result.account  # the newest own post, found
        endpoint = config.platforms[manifest["platform"]].endpoint
        assert manifest["url_fetched"].startswith(endpoint), result.account
        assert manifest["url_fetched"] != manifest["url_asked"]
        identity = (
            f"demo-{manifest['platform']}" if manifest["platform"] in logged_in else "anonymous"
        )
        assert manifest["identity"] == identity
    assert (post.verdict, post.manifest["kind"], post.manifest["url_asked"]) == (
        "valid", "post", permalink)  # fmt: skip
    assert post.manifest["expected_text"]


MODES = {"login_wall": "capture.login_wall", "checkpoint": "capture.checkpoint",
         "error": "capture.error_page"}  # fmt: skip


def test_walls_checks_and_error_pages_give_invalid_snapshots(
    demo_archive: tuple[Config, list],
) -> None:
    """One batch, each platform with another of the modes (each platform's hints see every
    mode in tests/test_public_pages_browser.py)."""
    config, demos = demo_archive
    wanted = {}
    for index, demo in enumerate(demos):
        mode = list(MODES)[index % len(MODES)]
        demo.emulator.public.configure(public_mode=mode)
        wanted[demo.accounts[0]["key"]] = MODES[mode]
    try:
        results = capture_accounts(config, [CaptureRequest(key) for key in wanted])
    finally:
        for demo in demos:
            demo.emulator.public.configure(public_mode="ok")
    assert {r.account: (r.verdict, r.reason) for r in results} == {
        key: ("invalid", reason) for key, reason in wanted.items()
    }
