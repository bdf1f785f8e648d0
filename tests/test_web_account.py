"""The account page: register entry, runs, snapshots, flags, figures; "Arkivera nu" through the
daemon's request queue (a real `somed run` serves it), refused to anyone but an admin."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import run_requests
from storage.captures import record_capture
from storage.db import connect
from storage.flags import open_flag
from tests.public_pages_support import NOW
from tests.web_own_site import own_site, serving_daemon
from tests.web_support import WebSite, client, csrf_of, signed_in

pytestmark = pytest.mark.xdist_group("web-account")  # its own archive: a worker of its own
ROOT = Path(__file__).resolve().parent.parent
PNG = hashlib.sha256(b"a snapshot's PNG").hexdigest()
PDF = hashlib.sha256(b"a snapshot's PDF/A").hexdigest()
WACZ = hashlib.sha256(b"a snapshot's WACZ").hexdigest()
MANIFEST = hashlib.sha256(b"a snapshot's manifest").hexdigest()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    """An archive of its own (the tests queue requests and run a daemon on it)."""
    with own_site(tmp_path_factory.mktemp("web-account")) as made:
        config = made.config
        key = config.accounts[0].key
        db = connect(config.db_path)
        try:
            record_capture(db, {
                "account": key, "platform": config.accounts[0].platform, "kind": "account",
                "url_asked": "https://example.org/mora", "trigger": "scheduled",
                "started_at": "2026-03-02T09:00:00Z", "finished_at": "2026-03-02T09:00:20Z",
                "verdict": "valid", "png_sha256": PNG, "pdf_sha256": PDF, "wacz_sha256": WACZ,
                "manifest_sha256": MANIFEST,
            })  # fmt: skip
            record_capture(db, {
                "account": key, "platform": config.accounts[0].platform, "kind": "account",
                "trigger": "manual", "started_at": "2026-03-03T09:00:00Z", "verdict": "invalid",
                "reason": "capture.error_page", "params": {},
            })  # fmt: skip
            open_flag(db, key, "sender_missing", reason="monitor.sender_text_missing",
                      params={"text": "En verksamhet inom Mora kommun"}, now=NOW)  # fmt: skip
        finally:
            db.close()
        yield made


def first_key(site: WebSite) -> str:
    return site.config.accounts[0].key


def test_account_page_shows_register_runs_snapshots_and_flags(site) -> None:
    key = first_key(site)
    page = signed_in(site, "reader").get(f"/accounts/{key}")
    assert page.status_code == 200, page.text[:800]
    html = page.text
    assert f"Konto {key}" in html
    assert "Förteckning över konton" in html and "Ändringar i förteckningen" in html
    assert "Körningar" in html and "ok" in html  # the demo run
    # the snapshot: thumbnail and every file through /media by hash, the verdict and its reason
    assert f'<img class="thumb" src="/media/{PNG}" alt="Ögonblicksbild av {key}' in html
    for sha in (PNG, PDF, WACZ, MANIFEST):
        assert f'href="/media/{sha}"' in html
    assert "giltig" in html and "ogiltig" in html
    assert "sidan visade ett felmeddelande i stället för kontot" in html
    assert "avsändare saknas" in html
    assert "profilen saknar avsändartexten ”En verksamhet inom Mora kommun”" in html
    assert f'href="/queue?account={key}"' in html
    assert "Publiceringstakt" in html and "arbetstimmar" in html
    assert "web." not in html  # every text from the catalogue
    assert "<td>Aktivt</td>" in html and "<td>active</td>" not in html  # history in words
    assert 'http-equiv="refresh"' not in html  # nothing is pending
    assert "Arkivera nu" not in html  # a reader gets no buttons
    # the register's internal fields (and their history) are for registrar and up
    assert "Ersättare" not in html and "Erik Eriksson" not in html
    assert "Erik Eriksson" in signed_in(site, "registrar").get(f"/accounts/{key}").text


def test_unknown_account_is_404(site) -> None:
    assert signed_in(site, "reader").get("/accounts/no-such-account").status_code == 404


def test_only_an_admin_may_ask_for_a_run_or_a_capture(site) -> None:
    key = first_key(site)
    for name in ("reader", "editor", "registrar"):
        browser = signed_in(site, name)
        token = csrf_of(browser.get(f"/accounts/{key}").text)
        for verb in ("archive", "capture"):
            refused = browser.post(f"/accounts/{key}/{verb}", data={"csrf_token": token})
            assert refused.status_code == 403, (name, verb)
    admin = signed_in(site, "admin")
    assert admin.post(f"/accounts/{key}/archive", data={}).status_code == 403  # no CSRF token
    db = connect(site.config.db_path)
    try:
        assert run_requests.account_requests(db, key) == []
    finally:
        db.close()


def test_capture_now_queues_a_request_that_waits_for_the_daemon(site) -> None:
    key = site.config.accounts[-1].key
    admin = signed_in(site, "admin")
    page = admin.get(f"/accounts/{key}")
    assert "Ta ögonblicksbild nu" in page.text
    assert "Tjänsten körs inte" in page.text  # no daemon: the page says the request will wait
    done = admin.post(f"/accounts/{key}/capture", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303
    follow = admin.get(done.headers["location"])
    assert '<meta http-equiv="refresh" content="3">' in follow.text
    assert "i kö" in follow.text and "(väntar på att tjänsten startar)" in follow.text
    db = connect(site.config.db_path)
    try:
        (request,) = run_requests.account_requests(db, key)
        assert (request.kind, request.state, request.requested_by) == ("capture", "queued",
                                                                       "web:admin")  # fmt: skip
        entry = db.execute("SELECT actor, action, target, details FROM audit_log"
                           " WHERE action = 'capture_requested'").fetchone()  # fmt: skip
        assert entry[:3] == ("web:admin", "capture_requested", f"account:{key}")
        assert f'"request":{request.id}' in entry[3]
        run_requests.cancel_if_queued(db, [request.id], clock=lambda: NOW)  # not for the daemon
    finally:
        db.close()


def test_archive_now_is_run_by_the_daemon_and_shown_done(site) -> None:
    key = first_key(site)
    with serving_daemon(site) as daemon:
        admin = signed_in(site, "admin")
        page = admin.get(f"/accounts/{key}")
        assert "Tjänsten körs (somed run)" in page.text
        asked = admin.post(f"/accounts/{key}/archive", data={"csrf_token": csrf_of(page.text)})
        assert asked.status_code == 303
        deadline = time.monotonic() + 60
        while True:
            shown = admin.get(asked.headers["location"]).text
            if 'http-equiv="refresh"' not in shown:
                break
            assert daemon.poll() is None, "the daemon exited"
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.5)
        assert ">klar<" in shown
        assert " nya, " in shown and " ändrade, " in shown  # the outcome's summary
        db = connect(site.config.db_path)
        try:
            (request,) = [r for r in run_requests.account_requests(db, key)
                          if r.kind == "archive"]  # fmt: skip
            assert request.state == "done" and request.requested_by == "web:admin"
            assert request.run_id is not None
            trigger = db.execute("SELECT trigger FROM runs WHERE id = ?",
                                 [request.run_id]).fetchone()[0]  # fmt: skip
            assert trigger == "manual"
            actions = [r[0] for r in db.execute(
                "SELECT action FROM audit_log WHERE actor = 'web:admin' AND target = ?",
                [f"account:{key}"])]  # fmt: skip
            assert "run_requested" in actions
        finally:
            db.close()


def test_account_page_needs_sign_in(site) -> None:
    response = client(site).get(f"/accounts/{first_key(site)}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_served_capture_request_shows_its_verdict_in_either_language(site) -> None:
    key = site.config.accounts[1].key
    db = connect(site.config.db_path)
    try:
        (request_id,) = run_requests.add_requests(db, [key], requested_by="web:admin",
                                                  clock=lambda: NOW, kind="capture")  # fmt: skip
        (claimed,) = run_requests.claim_queued(db, clock=lambda: NOW)
        assert claimed.id == request_id
        outcome = {"account": key, "status": "invalid", "verdict": "invalid",
                   "reason": "capture.error_page", "params": {}}  # fmt: skip
        run_requests.finish_request(db, request_id, run_id=None, outcome=outcome,
                                    clock=lambda: NOW)  # fmt: skip
    finally:
        db.close()
    browser = signed_in(site, "reader")
    html = browser.get(f"/accounts/{key}").text
    assert "Ögonblicksbilden är ogiltig (sparad som bevis): sidan visade ett felmeddelande" in html
    assert 'http-equiv="refresh"' not in html
    token = csrf_of(html)
    browser.post("/language", data={"csrf_token": token, "lang": "en", "next": f"/accounts/{key}"})
    english = browser.get(f"/accounts/{key}").text
    assert f"Account {key}" in english and "The snapshot is invalid (kept as evidence)" in english
    assert "web." not in english
