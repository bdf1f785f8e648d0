"""The web UI's frame: sign-in, the overview, language, headers, the accessibility statement."""

from __future__ import annotations

from tests.web_support import WEB_GROUP, client, signed_in

pytestmark = WEB_GROUP


def test_overview_lists_every_account_after_sign_in(web_site) -> None:
    browser = signed_in(web_site, "reader")
    page = browser.get("/")
    assert page.status_code == 200
    for account in web_site.config.accounts:
        assert account.key in page.text
    assert "Översikt" in page.text
    assert "web." not in page.text  # no message id left untranslated


def test_pages_need_sign_in(web_site) -> None:
    response = client(web_site).get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
