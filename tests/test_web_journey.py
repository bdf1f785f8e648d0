"""A registrar's and an admin's day in real Chromium against a running `somed web`: search a
Swedish phrase and open its thread, see a comment deleted on the platform marked, register a
flagged item, place a hold and see the retention plan respect it, start a run and see the
daemon complete it, make a bundle, download it and `somed verify` it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from somed.runner import Runner
from storage.db import connect
from storage.flags import open_flag
from tests.public_pages_support import NOW
from tests.web_own_site import daemon_serving, emulators_serving, own_site
from tests.web_support import PASSWORD, WebSite, serve

pytestmark = pytest.mark.xdist_group("web-journey")  # its own archive: a worker of its own
ROOT = Path(__file__).resolve().parent.parent
PHRASE = "badhuset öppnar"


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebSite, str]]:
    """An archive of its own in which one comment was deleted on the platform, a daemon serving
    its request queue with the emulators up, and `somed web` serving it; (site, deleted id)."""
    with own_site(tmp_path_factory.mktemp("web-journey")) as site, emulators_serving(site):
        facebook = next(d for d in site.demos if d.platform == "facebook")
        db = connect(site.config.db_path)
        try:
            deleted = db.execute(
                "SELECT id FROM items WHERE account = 'mora-fb' AND kind = 'comment'"
                " AND thread_id != (SELECT id FROM items WHERE account = 'mora-fb' AND kind ="
                " 'post' ORDER BY created_at DESC LIMIT 1) ORDER BY created_at DESC LIMIT 1"
            ).fetchone()[0]
            flagged = db.execute(
                "SELECT id FROM items WHERE account = 'mora-fb' AND kind = 'comment'"
                " AND id != ? ORDER BY created_at LIMIT 1", [deleted]).fetchone()[0]  # fmt: skip
            open_flag(db, "mora-fb", "individual_case", reason="test",
                      item=("facebook", flagged), now=NOW)  # fmt: skip
        finally:
            db.close()
        facebook.emulator.delete_comment(deleted)
        Runner(site.config).run_accounts(["mora-fb"], trigger="manual")
        with daemon_serving(site):
            server, url = serve(site.config)
            site.base_url = url
            try:
                yield site, deleted
            finally:
                server.should_exit = True


def signed_in_page(chromium: Browser, base_url: str, name: str) -> Page:
    page = chromium.new_context(viewport={"width": 1280, "height": 900},
                                accept_downloads=True).new_page()  # fmt: skip
    page.set_default_timeout(20_000)
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def test_search_a_swedish_phrase_and_read_its_thread(chromium, journey) -> None:
    site, deleted = journey
    page = signed_in_page(chromium, site.base_url, "reader")
    page.click("nav >> text=Sök")
    page.fill("input[name=q]", PHRASE)
    page.click("form[role=search] button[type=submit]")
    hit = page.locator("main mark").first
    expect(hit).to_be_visible()
    assert "badhuset" in hit.inner_text().lower() or "öppnar" in hit.inner_text().lower()
    page.locator('main a[href^="/items/"]').first.click()
    page.wait_for_url("**/items/**")
    assert "öppnar" in page.inner_text("main")
    page.goto(f"{site.base_url}/items/facebook/{deleted}")
    assert "Borttagen från plattformen" in page.inner_text("main")


def test_register_a_flagged_item(chromium, journey) -> None:
    site, _ = journey
    page = signed_in_page(chromium, site.base_url, "registrar")
    page.click("nav >> text=Kö")
    page.locator('input[type=checkbox][name=item]').first.check()
    page.fill("#number", "KS 2026/4711")
    with page.expect_navigation():
        page.click('button[formaction="/queue/register"]')
    assert "KS 2026/4711" in page.inner_text("main")
    db = connect(site.config.db_path)
    try:
        row = db.execute("SELECT registered_by FROM registrations WHERE number = ?",
                         ["KS 2026/4711"]).fetchone()  # fmt: skip
    finally:
        db.close()
    assert row is not None and row[0] == "web:registrar"


def test_a_hold_is_respected_by_the_retention_plan(chromium, journey) -> None:
    site, _ = journey
    page = signed_in_page(chromium, site.base_url, "registrar")
    page.goto(f"{site.base_url}/holds")
    page.fill("#hold-reason", "Begäran om allmän handling KS 2026/99")
    page.select_option("#hold-account", "mora-fb")
    with page.expect_navigation():
        page.click("form[action='/holds'] button[type=submit]")
    assert "KS 2026/99" in page.inner_text("main")
    page.goto(f"{site.base_url}/retention")
    assert "KS 2026/99" in page.inner_text("main")  # the plan names the holds it respects


def test_archive_now_runs_and_completes(chromium, journey) -> None:
    site, _ = journey
    page = signed_in_page(chromium, site.base_url, "admin")
    page.goto(f"{site.base_url}/accounts/mora-x")
    with page.expect_navigation():
        page.click("text=Arkivera nu")
    deadline = time.monotonic() + 90
    while page.locator('meta[http-equiv="refresh"]').count():  # it refreshes itself meanwhile
        assert time.monotonic() < deadline, page.inner_text("main")[:2000]
        page.wait_for_timeout(1000)
    requests = page.inner_text("section.account-requests")
    assert "klar" in requests and " nya, " in requests, requests[:2000]


def test_make_download_and_verify_a_bundle(chromium, journey, tmp_path) -> None:
    site, _ = journey
    page = signed_in_page(chromium, site.base_url, "registrar")
    page.goto(f"{site.base_url}/bundles")
    page.select_option("#bundle-account", "mora-yt")
    page.check("input[name=format][value=bagit]")
    with page.expect_navigation():
        page.click("form.bundle-form button[type=submit]")
    link = page.locator('a[href$="/download"]').first
    deadline = time.monotonic() + 180
    while not link.count():
        assert time.monotonic() < deadline, page.inner_text("main")[:2000]
        page.wait_for_timeout(1000)  # the page refreshes itself while the bundle is made
        link = page.locator('a[href$="/download"]').first
    with page.expect_download() as download:
        link.click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    checked = subprocess.run([sys.executable, "-m", "somed", "--lang", "en", "verify", str(target)],
                             capture_output=True, text=True, timeout=300, cwd=ROOT)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
