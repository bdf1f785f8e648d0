"""somed's capture engine on every platform's demo pages: real Chromium, real emulators.

The demo accounts are archived first (so the capture checks that the newest archived post is
on the page), then captured in one batch: every page is valid, its cookie dialog closed by its
platform's hints; with a login wall, a checkpoint or an error page each capture is invalid
with the matching reason.
"""

from __future__ import annotations

from somed.capture import CaptureRequest, capture_accounts
from somed.config import Config
from tests.demo_support import DEMO_GROUP, DemoSnapshots

pytestmark = DEMO_GROUP


def test_every_demo_account_gets_a_valid_snapshot(demo_snapshots: DemoSnapshots) -> None:
    """And one post permalink: the browser goes to the emulator, each page shows its newest
    archived post, a platform with a stored login is captured as that identity."""
    config, demos = demo_snapshots.config, demo_snapshots.demos
    results, post, permalink = (
        demo_snapshots.accounts,
        demo_snapshots.post,
        demo_snapshots.permalink,
    )
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
