"""The demo's data for the account register's monitors (issue 7, item 6): every demo profile
names who stands behind it except one, and one old demo page has gone quiet."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import requests

from connectors.emulation.demo import demo_accounts
from connectors.facebook.emulator.data import demo_pages
from connectors.registry import connector_class
from somed.capture_hints import storage_state
from somed.config import load_config
from somed.demo import demo_config, write_browser_states
from tests.public_pages_support import NOW

SENDER_TEXT = "En verksamhet inom Mora kommun"
SENDER_LINK = "https://www.mora.se"


def test_every_demo_profile_but_one_names_its_sender_on_its_public_page() -> None:
    lacking, named = [], []
    for demo in demo_accounts(NOW):
        hints = connector_class(demo.platform).capture_hints
        assert hints is not None
        base = demo.emulator.start()
        try:
            session = requests.Session()
            session.cookies.set(demo.emulator.public.skin.consent_cookie, "essential")
            for cookie in (demo.browser_state or {}).get("cookies", []):
                session.cookies.set(cookie["name"], cookie["value"])
            for account in demo.accounts:
                url = hints.fetch_url(hints.page_url(account["id"], account.get("url")), base)
                page = session.get(url, timeout=10)
                assert page.status_code == 200 and "data-somed-post" in page.text, account["key"]
                has = SENDER_TEXT in page.text and f'href="{SENDER_LINK}"' in page.text
                (named if has else lacking).append(account["key"])
        finally:
            demo.emulator.stop()
    assert lacking == ["mora-x"]
    assert {"mora-fb", "fritidsgarden-fb", "mora-ig", "mora-yt"} <= set(named)


def test_the_old_demo_page_last_posted_more_than_six_months_ago() -> None:
    pages, _ = demo_pages(NOW)
    newest = {page.username: max(p.created_time for p in page.posts) for page in pages}
    assert newest["fritidsgardenmora.demo"] < NOW - timedelta(days=190)
    assert newest["morakommun.demo"] > NOW - timedelta(days=2)


def test_the_demo_logs_its_browser_in_where_the_platform_shows_nothing_anonymously(
    tmp_path: Path,
) -> None:
    demos = demo_accounts(NOW)
    written = write_browser_states(tmp_path, demos)
    assert [path.name for path in written] == ["demo-x.json"]
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
    endpoints = [(demo, f"http://127.0.0.1:{8710 + i}") for i, demo in enumerate(demos)]
    path = tmp_path / "somed-demo.toml"
    path.write_text(demo_config(endpoints, storage=tmp_path, lang="sv"), encoding="utf-8")
    config = load_config(path, {})
    assert storage_state(config, "mora-x") == json.loads(written[0].read_text(encoding="utf-8"))
    assert storage_state(config, "mora-fb") is None
