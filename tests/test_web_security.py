"""The web UI's guards: every route with every role, CSRF, sign-in lockout, session timeouts,
security headers, and sessions that end when their user is disabled."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from somed.users import disable
from somed.web.app import create_app
from somed.web.roles import ROLES, allows
from somed.web.routing import all_pages
from storage.db import connect
from tests.public_pages_support import NOW
from tests.web_support import (
    PASSWORD,
    SESSION_KEY,
    USERS,
    WEB_GROUP,
    build_archive,
    csrf_of,
    sign_in,
)

pytestmark = WEB_GROUP


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def archive(tmp_path_factory, monkeypatch_module):
    config, _ = build_archive(tmp_path_factory.mktemp("web-security"))
    return config


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOMED_TEST_SESSION_KEY", SESSION_KEY)
        yield patch


def browser_for(config, clock=None) -> TestClient:
    app = create_app(config, session_key=SESSION_KEY, **({"clock": clock} if clock else {}))
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def samples(config) -> dict[str, str]:
    """A real value for every path parameter a route may have."""
    db = connect(config.db_path)
    try:
        platform, item_id = db.execute(
            "SELECT platform, id FROM items WHERE kind = 'post' ORDER BY platform, id LIMIT 1"
        ).fetchone()
        sha = db.execute("SELECT sha256 FROM media LIMIT 1").fetchone()
    finally:
        db.close()
    return {
        "key": config.accounts[0].key, "platform": platform, "item_id": item_id,
        "sha256": sha[0] if sha else "0" * 64, "id": "1", "flag_id": "1", "hold_id": "1",
        "plan_id": "0", "job_id": "1", "name": "reader", "request_id": "1",
    }  # fmt: skip


def filled(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"add a sample value for path parameter {name!r} ({path})"
        return values[name]

    return re.sub(r"\{([^}]+)\}", value, path)


def test_every_route_checks_its_role_server_side(archive) -> None:
    values = samples(archive)
    browsers = {None: browser_for(archive)}
    for name in USERS:
        browsers[name] = browser_for(archive)
        assert sign_in(browsers[name], name).status_code == 303
    pages = sorted(all_pages(), key=lambda page: page.name == "logout")  # signing out last
    assert len(pages) >= 5
    for page in pages:
        url = filled(page.path, values)
        for name, browser in browsers.items():
            role = USERS[name][0] if name else None
            method = page.methods[0]
            if method == "POST":
                token = csrf_of(browser.get("/tillganglighet").text)  # any page has a form
                response = browser.post(url, data={"csrf_token": token})
            else:
                response = browser.get(url)
            where = f"{method} {url} as {name or 'anonymous'}"
            assert response.status_code != 500, where
            if page.role is None:
                continue
            if role is None:
                assert response.status_code == 303, where
                assert response.headers["location"].startswith("/login"), where
            elif not allows(role, page.role):
                assert response.status_code == 403, where
            else:
                assert response.status_code != 403 or "web.error.role" not in response.text, where
    assert set(ROLES) == {role for role, _ in USERS.values()}


def test_post_without_csrf_token_is_refused(archive) -> None:
    browser = browser_for(archive)
    sign_in(browser, "admin")
    response = browser.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    wrong = browser.post("/language", data={"lang": "en", "next": "/", "csrf_token": "forged"})
    assert wrong.status_code == 403
    # and the login form itself needs its token
    fresh = browser_for(archive)
    refused = fresh.post("/login", data={"username": "admin", "password": PASSWORD})
    assert refused.status_code == 403


def test_login_locks_out_after_repeated_failures(archive) -> None:
    clock = Clock()
    browser = browser_for(archive, clock)
    limit = archive.web.max_login_failures
    for _ in range(limit):
        assert sign_in(browser, "editor", "wrong password!").status_code == 401
    locked = sign_in(browser, "editor")  # the right password, but locked now
    assert locked.status_code == 429
    assert "spärrat" in locked.text
    clock.now = NOW + timedelta(minutes=archive.web.lockout_minutes + 1)
    assert sign_in(browser, "editor").status_code == 303


def test_sessions_end_when_idle_too_long_or_too_old(archive) -> None:
    clock = Clock()
    browser = browser_for(archive, clock)
    assert sign_in(browser, "reader").status_code == 303
    assert browser.get("/").status_code == 200
    clock.now += timedelta(minutes=archive.web.idle_timeout_minutes + 1)
    assert browser.get("/").status_code == 303  # idle: signed out
    assert sign_in(browser, "reader").status_code == 303
    for _ in range(archive.web.absolute_timeout_hours * 3 + 2):  # active, but for too long
        clock.now += timedelta(minutes=20)
        response = browser.get("/")
    assert response.status_code == 303


def test_disabled_user_is_signed_out_at_once(archive) -> None:
    browser = browser_for(archive)
    from somed.users import add_local_user

    db = connect(archive.db_path)
    try:
        add_local_user(db, "temp", "reader", PASSWORD, full_name=None, by="test", now=NOW)
    finally:
        db.close()
    assert sign_in(browser, "temp").status_code == 303
    assert browser.get("/").status_code == 200
    db = connect(archive.db_path)
    try:
        disable(db, "temp", by="test", reason="left", now=NOW)
    finally:
        db.close()
    assert browser.get("/").status_code == 303
    assert sign_in(browser, "temp").status_code == 401


def test_security_headers_and_cookie_flags(archive) -> None:
    browser = browser_for(archive)
    response = sign_in(browser, "reader")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = browser.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script anywhere
    assert 'integrity="sha384-' in page.text


def test_secure_cookie_by_default(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOMED_TEST_SESSION_KEY", SESSION_KEY)
    config, _ = build_archive(tmp_path, extra_config="")
    secure = config.model_copy(update={"web": config.web.model_copy(update={"secure_cookies": True})})
    browser = TestClient(create_app(secure, session_key=SESSION_KEY), base_url="https://127.0.0.1",
                         follow_redirects=False)  # fmt: skip
    response = sign_in(browser, "reader")
    assert "secure" in response.headers["set-cookie"].lower()


def test_next_parameter_cannot_redirect_elsewhere(archive) -> None:
    browser = browser_for(archive)
    form = browser.get("/login?next=//evil.example/")
    response = browser.post("/login", data={"username": "reader", "password": PASSWORD,
                                            "csrf_token": csrf_of(form.text),
                                            "next": "https://evil.example/"})  # fmt: skip
    assert response.headers["location"] == "/"
