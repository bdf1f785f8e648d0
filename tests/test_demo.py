"""`somed demo`'s platform demos: every emulator package's `demo.demo(now)`, archived for real."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.emulation.demo import demo_accounts, demo_modules
from somed.config import load_config
from somed.daemon import prepare_archive
from somed.demo import demo_config
from somed.runner import Runner

DEMOS = {demo.platform: demo for demo in demo_accounts(datetime.now(UTC))}


def test_every_platform_with_an_emulator_package_serves_a_demo():
    modules = demo_modules()
    assert "facebook" in modules
    assert not [p for p, module in modules.items() if module is None], "emulator without demo.py"
    assert set(DEMOS) == set(modules)
    keys = [a["key"] for demo in DEMOS.values() for a in demo.accounts]
    assert len(keys) == len(set(keys)), "two demo accounts share a key"


@pytest.mark.parametrize("platform", sorted(DEMOS))
def test_a_demo_archives_then_finds_its_live_edit_deletion_and_comment(
    platform, tmp_path, monkeypatch
):
    demo = {d.platform: d for d in demo_accounts(datetime.now(UTC))}[platform]  # a fresh one
    for name, value in demo.tokens.items():
        monkeypatch.setenv(name, value)
    endpoint = demo.emulator.start()
    try:
        path = tmp_path / "somed-demo.toml"
        path.write_text(demo_config([(demo, endpoint)], storage=tmp_path, lang="sv"), "utf-8")
        config = load_config(path)
        prepare_archive(config)
        keys = [a.key for a in config.accounts]
        first = Runner(config).run_accounts(keys, trigger="demo")
        assert all(o.status in ("ok", "partial") for o in first), [o.message for o in first]
        assert all(o.new > 0 and o.changed == 0 for o in first)
        if demo.activity is None:
            return  # the platform's demo changes nothing while it runs
        for tick in (1, 2, 3):
            demo.activity(tick)
        second = Runner(config).run_accounts(keys, trigger="demo")
        assert all(o.status in ("ok", "partial") for o in second), [o.message for o in second]
        assert sum(o.changed + o.deleted + o.new for o in second) >= 1  # news found
    finally:
        demo.emulator.stop()
