"""Snapshots of every platform's emulated public page with the platform's own capture hints.

Each platform's demo (its emulator on loopback and the `somed demo` config) is archived once,
so the newest own post is known, then one batch (one browser) captures every demo account's
public page and one post permalink; a second batch sees each platform's walls and error page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from connectors.emulation.demo import DemoAccount, demo_accounts
from somed.capture import CaptureRequest, CaptureResult, capture_accounts
from somed.config import Config, load_config
from somed.demo import demo_config, write_browser_states
from somed.runner import Runner
from storage.db import connect

POSTS = 24  # more than the first screenful: the rest is loaded by scrolling
pytestmark = pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK), reason="no Chromium")


@dataclass
class Emulated:
    config: Config
    demos: dict[str, DemoAccount]
    results: dict[str, CaptureResult]
    permalink: CaptureResult
    permalink_url: str


def capturable(demos: list[DemoAccount]) -> list[DemoAccount]:
    from connectors.registry import connector_class

    return [d for d in demos if connector_class(d.platform).capture_hints is not None]


@pytest.fixture(scope="module")
def emulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulated]:
    folder = tmp_path_factory.mktemp("emulated")
    demos = capturable(demo_accounts(datetime.now(UTC)))
    with ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        served = []
        for demo in demos:
            served.append((demo, demo.emulator.start()))
            stack.callback(demo.emulator.stop)
            for name, value in demo.tokens.items():
                patch.setenv(name, value)
            demo.emulator.public.configure(public_posts=POSTS)
        write_browser_states(folder, demos)
        path = folder / "somed.toml"
        path.write_text(demo_config(served, storage=folder, lang="en"), encoding="utf-8")
        config = load_config(path)
        Runner(config).run_accounts([a.key for a in config.accounts], trigger="manual")
        keys = [demo.accounts[0]["key"] for demo in demos]
        first = demos[0].accounts[0]["key"]
        db = connect(config.db_path)
        permalink_url = db.execute(
            "SELECT url FROM items WHERE account = ? AND kind = 'post' AND direction = 'own'"
            " AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1",
            [first],
        ).fetchone()[0]
        db.close()
        requests = [CaptureRequest(key) for key in keys]
        requests.append(CaptureRequest(first, url=permalink_url))
        *results, permalink = capture_accounts(config, requests)
        yield Emulated(
            config,
            {d.platform: d for d in demos},
            {r.account: r for r in results},
            permalink,
            permalink_url,
        )


def test_every_platforms_public_page_is_captured_valid_with_its_own_hints(
    emulated: Emulated,
) -> None:
    for demo in emulated.demos.values():
        key = demo.accounts[0]["key"]
        result = emulated.results[key]
        manifest = result.manifest
        assert (result.verdict, result.reason) == ("valid", None), (key, result.params)
        assert manifest["expected_text"], key  # the newest archived own post is on the page
        assert manifest["url_asked"] == demo.accounts[0].get("url", manifest["url_asked"])
        assert manifest["url_fetched"].startswith(demo.emulator.base_url), key
        assert manifest["consent_dismissed"], key  # every platform's cookie dialog was closed
        assert manifest["page_height"] > 900 and manifest["tiles"] >= 1
        assert manifest["identity"] == ("anonymous" if demo.browser_state is None
                                        else f"demo-{demo.platform}")  # fmt: skip


def test_a_post_permalink_is_captured_with_its_own_text_checked(emulated: Emulated) -> None:
    result = emulated.permalink
    assert result.verdict == "valid", result.params
    assert result.manifest["kind"] == "post"
    assert result.manifest["url_asked"] == emulated.permalink_url
    assert result.manifest["expected_text"]


REASONS = {"login_wall": "capture.login_wall", "checkpoint": "capture.checkpoint",
           "error": "capture.error_page"}  # fmt: skip


def test_walls_checkpoints_and_error_pages_give_invalid_captures_kept_as_evidence(
    emulated: Emulated,
) -> None:
    modes = {}
    for index, (_, demo) in enumerate(sorted(emulated.demos.items())):
        modes[demo.accounts[0]["key"]] = mode = list(REASONS)[index % len(REASONS)]
        demo.emulator.public.configure(public_mode=mode)
    try:
        results = capture_accounts(emulated.config, [CaptureRequest(k) for k in modes])
    finally:
        for demo in emulated.demos.values():
            demo.emulator.public.configure(public_mode="ok")
    for result in results:
        assert (result.account, result.verdict, result.reason) == (
            result.account,
            "invalid",
            REASONS[modes[result.account]],
        )
        assert {f["role"] for f in result.manifest["files"]} >= {"png"}  # kept as evidence
