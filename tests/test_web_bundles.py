"""The bundles page: a bundle made through the form, built in the background and verified, then
downloaded (by id, streamed, audit-logged) and passing `somed verify`; roles and bad input."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from connectors.model import utc_iso
from somed.display import LOCAL_TZ
from somed.web.app import create_app
from somed.web.bundle_jobs import BundleWorker
from storage import bundle_jobs
from storage.db import connect
from tests.public_pages_support import NOW
from tests.web_own_site import own_site
from tests.web_support import SESSION_KEY, WebSite, csrf_of, sign_in, signed_in

pytestmark = pytest.mark.xdist_group("web-bundles")  # its own archive: a worker of its own
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    """An archive of its own (the tests make bundles in it)."""
    with own_site(tmp_path_factory.mktemp("web-bundles")) as made:
        yield made


def make(browser: TestClient, **fields: str) -> object:
    """Post the bundle form as a person would."""
    token = csrf_of(browser.get("/bundles").text)
    return browser.post("/bundles", data={"csrf_token": token, **fields})


def follow(browser: TestClient, url: str, timeout: float = 120) -> str:
    """GET `url` as the refreshing page does until it stops refreshing; its last HTML."""
    deadline = time.monotonic() + timeout
    while True:
        html = browser.get(url).text
        if 'http-equiv="refresh"' not in html:
            return html
        assert time.monotonic() < deadline, "the bundle was not finished in time"
        time.sleep(0.3)


def audit_actions(site: WebSite, target: str) -> list[tuple[str, str]]:
    db = connect(site.config.db_path)
    try:
        rows = db.execute("SELECT actor, action FROM audit_log WHERE target = ? ORDER BY id",
                          [target]).fetchall()  # fmt: skip
        return [(r[0], r[1]) for r in rows]
    finally:
        db.close()


def test_a_bundle_made_on_the_page_downloads_and_passes_somed_verify(site, tmp_path) -> None:
    key = site.config.accounts[0].key
    browser = signed_in(site, "registrar")
    page = browser.get("/bundles")
    assert page.status_code == 200 and "Skapa ett paket" in page.text
    since = (NOW - timedelta(days=7)).date()  # a week of the account: quick, and not empty
    asked = make(browser, account=key, since=str(since), until="", format="fgs")
    assert asked.status_code == 303, asked.text[:500]
    html = follow(browser, asked.headers["location"])
    assert "web." not in html
    db = connect(site.config.db_path)
    try:
        (job,) = [j for j in bundle_jobs.list_jobs(db) if j.accounts == [key]]
    finally:
        db.close()
    assert job.state == "done", job.error
    assert job.verify_ok and job.requested_by == "web:registrar"
    assert "kontrollerat, utan fel" in html and job.sha256 in html
    assert f'href="/bundles/{job.id}/download"' in html
    assert job.path and not job.path.startswith("/") and job.path.endswith(".zip")

    response = browser.get(f"/bundles/{job.id}/download")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/zip"
    saved = tmp_path / "downloaded.zip"
    saved.write_bytes(response.content)
    assert len(response.content) == job.size
    assert zipfile.is_zipfile(saved)
    verified = subprocess.run([sys.executable, "-m", "somed", "--lang", "en", "verify", str(saved)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert audit_actions(site, f"bundle:{job.id}") == [
        ("web:registrar", "bundle_requested"),
        ("web:registrar", "download.bundle"),
    ]


def test_a_bagit_bundle_of_every_account_is_verified(site) -> None:
    browser = signed_in(site, "admin")
    since, until = (NOW - timedelta(days=1)).date(), (NOW + timedelta(days=1)).date()
    asked = make(browser, account="all", since=str(since), until=str(until), format="bagit")
    assert asked.status_code == 303
    html = follow(browser, asked.headers["location"])
    job_id = int(asked.headers["location"].split("job=")[1].split("#")[0])
    db = connect(site.config.db_path)
    try:
        job = bundle_jobs.get_job(db, job_id)
    finally:
        db.close()
    assert job is not None and job.state == "done" and job.verify_ok, job
    assert (job.accounts, job.format) == ([], "bagit")
    midnight = datetime.combine(since, datetime.min.time(), LOCAL_TZ)  # as `somed bundle --from`
    assert job.since == utc_iso(midnight)
    assert "Alla konton" in html and "BagIt" in html


def test_readers_and_editors_may_neither_make_nor_download(site) -> None:
    for name in ("reader", "editor"):
        browser = signed_in(site, name)
        assert browser.get("/bundles").status_code == 403
        assert browser.get("/bundles/1/download").status_code == 403
        token = csrf_of(browser.get("/").text)
        refused = browser.post("/bundles", data={"csrf_token": token, "account": "all",
                                                 "format": "fgs"})  # fmt: skip
        assert refused.status_code == 403
        assert "/bundles" not in browser.get("/").text  # no menu link either


def test_downloads_only_by_numeric_id_of_a_finished_bundle(site) -> None:
    browser = signed_in(site, "registrar")
    assert browser.get("/bundles/../somed.db/download").status_code == 404
    assert browser.get("/bundles/abc/download").status_code == 404
    assert browser.get("/bundles/999999/download").status_code == 404


def test_bad_input_is_refused_with_a_message(site) -> None:
    browser = signed_in(site, "registrar")
    for fields, message in (
        ({"account": "no-such", "format": "fgs"}, "Välj ett konto"),
        ({"account": "all", "format": "zip"}, "Välj FGS eller BagIt"),
        ({"account": "all", "format": "fgs", "since": "1 maj"}, "ÅÅÅÅ-MM-DD"),
        ({"account": "all", "format": "fgs", "since": "2026-05-01", "until": "2026-04-01"},
         "före till-datumet"),
    ):  # fmt: skip
        response = make(browser, **fields)
        assert response.status_code == 400 and message in response.text, fields


def test_a_job_left_running_by_a_dead_process_is_failed_at_the_next_start(site) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    db = connect(site.config.db_path)
    try:
        job_id = bundle_jobs.add_job(db, [], since=None, until=None, fmt="fgs",
                                     requested_by="web:registrar", clock=lambda: NOW)  # fmt: skip
        assert bundle_jobs.claim_job(db, job_id, pid=dead.pid, clock=lambda: NOW)
    finally:
        db.close()
    BundleWorker(site.config).start()  # what a web process does first when it starts
    html = signed_in(site, "registrar").get("/bundles").text
    db = connect(site.config.db_path)
    try:
        job = bundle_jobs.get_job(db, job_id)
    finally:
        db.close()
    assert job is not None and job.state == "failed"
    assert "the web service stopped" in (job.error or "")
    assert f'id="job-{job_id}"' in html and "misslyckades" in html


def test_without_organisation_the_page_says_so_and_makes_nothing(site) -> None:
    config = site.config.model_copy(update={"organisation": None})
    browser = TestClient(create_app(config, session_key=SESSION_KEY), base_url="http://127.0.0.1",
                         follow_redirects=False)  # fmt: skip
    assert sign_in(browser, "registrar").status_code == 303  # type: ignore[attr-defined]
    page = browser.get("/bundles")
    assert "Paket kan inte skapas" in page.text and "[organisation]" in page.text
    assert 'action="/bundles"' not in page.text
    db = connect(site.config.db_path)
    try:
        before = len(bundle_jobs.list_jobs(db))
    finally:
        db.close()
    refused = browser.post("/bundles", data={"csrf_token": csrf_of(page.text), "account": "all",
                                             "format": "fgs"})  # fmt: skip
    assert refused.status_code == 400
    db = connect(site.config.db_path)
    try:
        assert len(bundle_jobs.list_jobs(db)) == before
    finally:
        db.close()
