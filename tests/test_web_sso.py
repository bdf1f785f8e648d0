"""Single sign-on end to end: a real pysaml2 IdP and a real OIDC provider on loopback.

The browser is a Starlette TestClient over the app (https://somed.test, so the Secure binding
cookie is kept as a browser keeps it); the IdP and the provider are real HTTP servers, and the
OIDC relying party fetches discovery, JWKS and tokens from its provider over real HTTP.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from somed.config import Config
from somed.users import disable
from somed.web.app import create_app
from somed.web.routing import all_pages
from storage import audit
from storage.db import connect
from tests.oidc_provider import OidcProvider, OidcUser, new_key
from tests.saml_idp import IdpUser, SamlIdp
from tests.web_support import SESSION_KEY, build_archive, csrf_of

pytestmark = pytest.mark.xdist_group("web-sso")  # its own archive: a worker of its own
SITE = "https://somed.test"
OIDC_SECRET = "oidc-client-secret-9f8e7d"  # noqa: S105 - the test provider's client secret
ROLES = """
[web.roles]
admin = ["somed-admins"]
registrar = ["somed-registratorer"]
reader = ["somed-alla", "S-1-5-21-111"]
"""


@dataclass
class SsoSite:
    """The archive with [web.saml] and [web.oidc], its app, the IdP and the provider."""

    config: Config
    app: object
    idp: SamlIdp
    provider: OidcProvider

    def browser(self) -> TestClient:
        """A fresh browser (no cookies) on the app."""
        return TestClient(self.app, base_url=SITE, follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoSite]:
    """An archive configured for both providers, served as an app; both providers running."""
    folder = tmp_path_factory.mktemp("sso")
    idp = SamlIdp(folder).start()
    provider = OidcProvider("somed", OIDC_SECRET, f"{SITE}/oidc/callback").start()
    saved = dict(os.environ)
    os.environ.update(SOMED_TEST_SESSION_KEY=SESSION_KEY, SOMED_TEST_OIDC_SECRET=OIDC_SECRET)
    extra = f"""public_url = "{SITE}"
{ROLES}
[web.saml]
idp_metadata_file = "{idp.metadata_file}"
display_name = "Mora kommun (SAML)"

[web.oidc]
issuer = "{provider.issuer}"
client_id = "somed"
client_secret_env = "SOMED_TEST_OIDC_SECRET"
display_name = "Mora kommun (OIDC)"
"""
    try:
        config, _ = build_archive(folder, extra_config=extra)
        app = create_app(config, session_key=SESSION_KEY)
        site = SsoSite(config, app, idp, provider)
        metadata = site.browser().get("/saml/metadata")
        assert metadata.status_code == 200, metadata.text[:500]
        idp.trust(metadata.content)  # the IdP admin adds somed as a relying party
        yield site
    finally:
        idp.stop()
        provider.stop()
        os.environ.clear()
        os.environ.update(saved)


def saml_answer(site: SsoSite, browser: TestClient, user: IdpUser, *, sign: bool = True,
                next_path: str = "/") -> dict[str, str]:  # fmt: skip
    """Start a SAML sign-in in `browser` and let `user` sign in at the IdP: the form to post."""
    start = browser.get("/saml/login", params={"next": next_path})
    assert start.status_code == 303, start.text[:300]
    assert start.headers["location"].startswith(site.idp.base_url)
    site.idp.user, site.idp.sign = user, sign
    try:
        action, fields = site.idp.login(start.headers["location"])
    finally:
        site.idp.sign = True
    assert action == f"{SITE}/saml/acs"
    return fields


def post_acs(browser: TestClient, fields: dict[str, str]) -> object:
    """The IdP page's cross-site POST to the ACS (no CSRF token, as a real IdP sends it)."""
    return browser.post("/saml/acs", data=fields)


def continue_target(page: object) -> str:
    """Where the same-site continue page moves on to (meta refresh and link agree)."""
    text = page.text  # type: ignore[attr-defined]
    refresh = re.search(r'<meta http-equiv="refresh" content="0;url=([^"]+)">', text)
    link = re.search(r'<a class="button" href="([^"]+)" id="sso-continue">', text)
    assert refresh and link, text[:800]
    assert refresh.group(1) == link.group(1)
    return refresh.group(1).replace("&amp;", "&")


def sso_audit(site: SsoSite, name: str) -> list[dict[str, object]]:
    """The audit entries of SSO sign-ins and refusals of `name`."""
    db = connect(site.config.db_path)
    try:
        return audit.entries(db, target=f"user:{name}",
                             actions=("user.sso_sign_in", "user.sso_refused"))  # fmt: skip
    finally:
        db.close()


def user_row(site: SsoSite, name: str) -> dict[str, object] | None:
    """The users row of `name`."""
    from storage.users import get_user

    db = connect(site.config.db_path)
    try:
        return get_user(db, name)
    finally:
        db.close()


def test_login_page_offers_both_providers(sso) -> None:
    page = sso.browser().get("/login")
    assert page.status_code == 200
    assert 'href="/saml/login"' in page.text and "Mora kommun (SAML)" in page.text
    assert 'href="/oidc/login"' in page.text and "Mora kommun (OIDC)" in page.text


def test_sp_metadata_names_entity_id_and_acs(sso) -> None:
    page = sso.browser().get("/saml/metadata")
    assert page.headers["content-type"].startswith("application/samlmetadata+xml")
    assert f'entityID="{SITE}/saml/metadata"' in page.text
    assert f'Location="{SITE}/saml/acs"' in page.text
    assert "HTTP-POST" in page.text


def test_saml_sign_in_maps_group_to_role_and_shows_the_user(sso) -> None:
    browser = sso.browser()
    fields = saml_answer(sso, browser, IdpUser("rut@mora.se", ["andra", "somed-registratorer"],
                                               "Rut Registrator"), next_path="/?x=1")  # fmt: skip
    done = post_acs(browser, fields)
    assert done.status_code == 200, done.text[:800]
    assert continue_target(done) == "/?x=1"
    assert "Du är inloggad" in done.text
    overview = browser.get("/")
    assert overview.status_code == 200
    assert "Rut Registrator (registrator)" in overview.text
    row = user_row(sso, "rut@mora.se")
    assert row and row["source"] == "saml" and row["role"] == "registrar"
    assert row["password_hash"] is None
    entries = sso_audit(sso, "rut@mora.se")
    assert [(e["actor"], e["action"]) for e in entries] == [("web:rut@mora.se", "user.sso_sign_in")]


def test_saml_request_and_its_binding_cookie(sso) -> None:
    start = sso.browser().get("/saml/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    request = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    assert f'Destination="{sso.idp.base_url}/sso/redirect"' in request
    assert f">{SITE}/saml/metadata</ns1:Issuer>" in request
    assert f'AssertionConsumerServiceURL="{SITE}/saml/acs"' in request
    assert "transient" not in request  # no NameIDPolicy asking for a new random name each time
    cookie = start.headers["set-cookie"]
    assert cookie.startswith("somed_saml=")
    for part in ("Max-Age=600", "Path=/saml/acs", "SameSite=none", "Secure", "HttpOnly"):
        assert part.lower() in cookie.lower()


def test_saml_user_in_no_mapped_group_is_refused(sso) -> None:
    browser = sso.browser()
    done = post_acs(browser, saml_answer(sso, browser, IdpUser("olle@mora.se", ["kök"])))
    assert done.status_code == 403
    assert "inte medlem i någon grupp som ger behörighet" in done.text
    assert browser.get("/").status_code == 303  # not signed in
    assert user_row(sso, "olle@mora.se") is None
    entries = sso_audit(sso, "olle@mora.se")
    assert [(e["actor"], e["action"], e["reason"]) for e in entries] == [
        ("web:olle@mora.se", "user.sso_refused", "no_group")]


def test_saml_tampered_assertion_is_refused(sso) -> None:
    browser = sso.browser()
    fields = saml_answer(sso, browser, IdpUser("mallory@mora.se", ["somed-alla"]))
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert xml.count(">somed-alla<") == 1
    fields["SAMLResponse"] = base64.b64encode(
        xml.replace(">somed-alla<", ">somed-admins<").encode()).decode()
    done = post_acs(browser, fields)
    assert done.status_code == 400
    assert "kunde inte godkännas" in done.text
    assert browser.get("/").status_code == 303
    assert user_row(sso, "mallory@mora.se") is None


def test_saml_wrapped_forged_assertion_is_refused(sso) -> None:
    """Signature wrapping: a forged unsigned assertion beside the genuine signed one."""
    browser = sso.browser()
    fields = saml_answer(sso, browser, IdpUser("mallory@mora.se", ["somed-alla"]))
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    genuine = re.search(r"<(\w+):Assertion\b.*?</\1:Assertion>", xml, re.DOTALL)
    assert genuine and "Signature" in genuine.group(0)
    forged = re.sub(r"<(\w+):Signature\b.*?</\1:Signature>", "", genuine.group(0), flags=re.DOTALL)
    forged = forged.replace("mallory@mora.se", "admin2@mora.se").replace(">somed-alla<",
                                                                         ">somed-admins<")
    forged = re.sub(r'ID="[^"]+"', 'ID="id-forged"', forged, count=1)
    bind = browser.cookies.get("somed_saml")
    for wrapped in (xml.replace(genuine.group(0), forged + genuine.group(0)),
                    xml.replace(genuine.group(0), genuine.group(0) + forged)):
        fields["SAMLResponse"] = base64.b64encode(wrapped.encode()).decode()
        browser.cookies.set("somed_saml", bind, domain="somed.test", path="/saml/acs")
        assert post_acs(browser, fields).status_code == 400
    assert user_row(sso, "admin2@mora.se") is None and user_row(sso, "mallory@mora.se") is None
    assert browser.get("/").status_code == 303


def test_saml_unsigned_assertion_is_refused(sso) -> None:
    browser = sso.browser()
    done = post_acs(browser, saml_answer(sso, browser, IdpUser("mallory@mora.se", ["somed-admins"]),
                                         sign=False))  # fmt: skip
    assert done.status_code == 400
    assert browser.get("/").status_code == 303
    assert user_row(sso, "mallory@mora.se") is None


def test_saml_replayed_or_foreign_answer_is_refused(sso) -> None:
    browser = sso.browser()
    fields = saml_answer(sso, browser, IdpUser("ulla@mora.se", ["somed-alla"]))
    bind = browser.cookies.get("somed_saml")
    assert post_acs(browser, fields).status_code == 200
    # the same answer again, with the binding cookie put back: the request was answered
    again = sso.browser()
    again.cookies.set("somed_saml", bind, domain="somed.test", path="/saml/acs")
    assert post_acs(again, fields).status_code == 400
    assert again.get("/").status_code == 303
    # a fresh answer posted from another browser (login CSRF): not that browser's request
    fields = saml_answer(sso, browser, IdpUser("ulla@mora.se", ["somed-alla"]))
    stranger = sso.browser()
    assert post_acs(stranger, fields).status_code == 400
    assert stranger.get("/").status_code == 303
    # an old answer posted while the browser has a newer sign-in under way: not that request
    old = saml_answer(sso, browser, IdpUser("ulla@mora.se", ["somed-alla"]))
    saml_answer(sso, browser, IdpUser("ulla@mora.se", ["somed-alla"]))
    assert post_acs(browser, old).status_code == 400
    assert [e["action"] for e in sso_audit(sso, "ulla@mora.se")] == ["user.sso_sign_in"]


def other_worker(site: SsoSite, browser: TestClient) -> TestClient:
    """The same browser (its cookies) on a second app built from the same config: as a request
    served by another `somed web` worker process, sharing nothing with the first but the archive."""
    app = create_app(site.config, session_key=SESSION_KEY)
    moved = TestClient(app, base_url=SITE, follow_redirects=False)  # type: ignore[arg-type]
    for cookie in browser.cookies.jar:
        moved.cookies.jar.set_cookie(cookie)
    return moved


def test_saml_sign_in_started_on_one_worker_ends_on_another_once(sso) -> None:
    browser = sso.browser()
    person = IdpUser("greta@mora.se", ["somed-alla"], "Greta Gran")
    fields = saml_answer(sso, browser, person, next_path="/search")
    bind = browser.cookies.get("somed_saml")
    assert bind
    elsewhere = other_worker(sso, browser)
    done = post_acs(elsewhere, fields)
    assert done.status_code == 200, done.text[:800]
    assert continue_target(done) == "/search"  # what the first worker remembered
    assert elsewhere.get("/").status_code == 200
    # the same answer replayed to the first worker, and to the second: taken already
    assert post_acs(browser, fields).status_code == 400
    replay = other_worker(sso, browser)
    assert post_acs(replay, fields).status_code == 400
    assert browser.get("/").status_code == 303
    assert [e["action"] for e in sso_audit(sso, "greta@mora.se")] == ["user.sso_sign_in"]
    db = connect(sso.config.db_path)
    try:  # nothing of it is left in the table, and no binding value was ever stored
        rows = db.execute("SELECT bind_sha256, data FROM sso_pending").fetchall()
    finally:
        db.close()
    assert all(bind not in str(row) for row in rows)
    assert all("/search" not in row[1] for row in rows)


def test_oidc_sign_in_started_on_one_worker_ends_on_another_once(sso) -> None:
    browser = sso.browser()
    callback = oidc_start(sso, browser, OidcUser("hugo", ["somed-registratorer"], "Hugo Holm"))
    elsewhere = other_worker(sso, browser)
    done = elsewhere.get(callback)
    assert done.status_code == 200, done.text[:800]
    assert elsewhere.get(continue_target(done)).status_code == 200
    before = sso.provider.token_requests
    assert browser.get(callback).status_code == 400  # the state was taken: replay refused
    assert other_worker(sso, browser).get(callback).status_code == 400
    assert sso.provider.token_requests == before  # refused before the code was sent again
    assert [e["action"] for e in sso_audit(sso, "hugo")] == ["user.sso_sign_in"]


def test_saml_cannot_take_over_a_local_user(sso) -> None:
    browser = sso.browser()
    done = post_acs(browser, saml_answer(sso, browser, IdpUser("admin", ["somed-admins"])))
    assert done.status_code == 403
    assert "tillhör ett annat inloggningssätt" in done.text
    assert user_row(sso, "admin")["source"] == "local"  # type: ignore[index]


def test_saml_disabled_user_cannot_sign_in_and_loses_the_session(sso) -> None:
    browser = sso.browser()
    person = IdpUser("sven@mora.se", ["somed-alla"], "Sven Svensson")
    assert post_acs(browser, saml_answer(sso, browser, person)).status_code == 200
    assert browser.get("/").status_code == 200
    db = connect(sso.config.db_path)
    try:
        disable(db, "sven@mora.se", by="cli:test", reason="slutat", now=datetime.now(UTC))
    finally:
        db.close()
    assert browser.get("/").status_code == 303  # the running session ends
    other = sso.browser()
    done = post_acs(other, saml_answer(sso, other, person))
    assert done.status_code == 403
    assert "avstängd" in done.text
    assert other.get("/").status_code == 303
    assert [(e["action"], e["reason"]) for e in sso_audit(sso, "sven@mora.se")] == [
        ("user.sso_sign_in", None), ("user.sso_refused", "disabled")]


def oidc_start(site: SsoSite, browser: TestClient, user: OidcUser) -> str:
    """Start an OIDC sign-in and let `user` sign in at the provider: the callback path."""
    start = browser.get("/oidc/login", params={"next": "/"})
    assert start.status_code == 303, start.text[:300]
    location = start.headers["location"]
    assert location.startswith(site.provider.issuer + "/authorize?")
    assert "code_challenge_method=S256" in location and "nonce=" in location
    site.provider.user = user
    import requests

    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == SITE
    return f"{back.path}?{back.query}"


def test_oidc_sign_in_maps_group_claim_to_role(sso, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    browser = sso.browser()
    callback = oidc_start(sso, browser, OidcUser("ada", ["somed-admins"], "Ada Åkesson"))
    done = browser.get(callback)
    assert done.status_code == 200, done.text[:800]
    assert browser.get(continue_target(done)).status_code == 200
    overview = browser.get("/")
    assert "Ada Åkesson (administratör)" in overview.text
    row = user_row(sso, "ada")
    assert row and row["source"] == "oidc" and row["role"] == "admin"
    assert [(e["actor"], e["action"]) for e in sso_audit(sso, "ada")] == [
        ("web:ada", "user.sso_sign_in")]
    assert OIDC_SECRET not in done.text and OIDC_SECRET not in overview.text
    assert OIDC_SECRET not in caplog.text  # not even at DEBUG (authlib, requests, urllib3)


def test_oidc_wrong_nonce_is_refused(sso) -> None:
    browser = sso.browser()
    callback = oidc_start(sso, browser, OidcUser("eve", ["somed-admins"]))
    sso.provider.nonce = "not-the-nonce-somed-sent"
    try:
        done = browser.get(callback)
    finally:
        sso.provider.nonce = None
    assert done.status_code == 400
    assert browser.get("/").status_code == 303
    assert user_row(sso, "eve") is None


def test_oidc_wrong_state_or_foreign_browser_is_refused(sso) -> None:
    browser = sso.browser()
    callback = oidc_start(sso, browser, OidcUser("eve", ["somed-admins"]))
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    before = sso.provider.token_requests
    assert browser.get(forged).status_code == 400
    assert sso.browser().get(callback).status_code == 400  # the right state, another browser
    assert sso.provider.token_requests == before  # refused before the code was ever used
    assert user_row(sso, "eve") is None


def test_oidc_token_signed_by_another_key_is_refused(sso) -> None:
    browser = sso.browser()
    callback = oidc_start(sso, browser, OidcUser("eve", ["somed-admins"]))
    sso.provider.signing_key = new_key("test-key-1")  # same key id, not the published key
    try:
        done = browser.get(callback)
    finally:
        sso.provider.signing_key = None
    assert done.status_code == 400
    assert user_row(sso, "eve") is None


def test_oidc_unmapped_and_disabled_users_are_refused(sso) -> None:
    browser = sso.browser()
    done = browser.get(oidc_start(sso, browser, OidcUser("kalle", ["kök"])))
    assert done.status_code == 403 and "inte medlem i någon grupp" in done.text
    browser = sso.browser()
    assert browser.get(oidc_start(sso, browser, OidcUser("lisa", ["S-1-5-21-111"]))
                       ).status_code == 200  # fmt: skip
    db = connect(sso.config.db_path)
    try:
        disable(db, "lisa", by="cli:test", reason=None, now=datetime.now(UTC))
    finally:
        db.close()
    browser = sso.browser()
    done = browser.get(oidc_start(sso, browser, OidcUser("lisa", ["S-1-5-21-111"])))
    assert done.status_code == 403 and "avstängd" in done.text
    assert [(e["actor"], e["action"], e["reason"]) for e in sso_audit(sso, "kalle")] == [
        ("web:kalle", "user.sso_refused", "no_group")]
    assert [e["reason"] for e in sso_audit(sso, "lisa")] == [None, "disabled"]


def test_only_the_acs_skips_the_csrf_check(sso) -> None:
    assert [p.path for p in all_pages() if not p.csrf] == ["/saml/acs"]
    browser = sso.browser()
    page = browser.get("/login")
    assert csrf_of(page.text)
    assert browser.post("/logout", data={}).status_code == 403  # other POSTs still checked


def test_saml_and_oidc_sign_in_in_chromium(sso, chromium, tmp_path, monkeypatch) -> None:
    """Real Chromium, somed on http://localhost and the IdPs on 127.0.0.1 (another site): the
    SameSite=Strict session survives the cross-site POST/redirect through the continue page."""
    from axe_playwright_python.sync_playwright import Axe

    from tests import web_support

    port = web_support.free_port()
    url = f"http://localhost:{port}"
    web = sso.config.web.model_copy(update={"public_url": url})
    config = sso.config.model_copy(update={"web": web})
    monkeypatch.setattr(web_support, "free_port", lambda: port)
    server, _ = web_support.serve(config)
    try:
        sso.idp.trust(requests_get(f"{url}/saml/metadata"))
        sso.provider.redirect_uris.add(f"{url}/oidc/callback")
        page = chromium.new_context().new_page()
        sso.idp.user = IdpUser("greta@mora.se", ["somed-registratorer"], "Greta Grön")
        page.goto(f"{url}/login")
        page.get_by_role("link", name="Mora kommun (SAML)").click()
        page.get_by_role("button", name="Fortsätt").click()  # the IdP's page posts
        page.wait_for_url(f"{url}/")
        assert "Greta Grön (registrator)" in page.content()
        page = chromium.new_context().new_page()
        sso.provider.user = OidcUser("hugo", ["somed-admins"], "Hugo Holm")
        page.goto(f"{url}/login")
        page.get_by_role("link", name="Mora kommun (OIDC)").click()
        page.wait_for_url(f"{url}/")
        assert "Hugo Holm (administratör)" in page.content()
        page = chromium.new_context().new_page()  # refused: the page passes axe-core
        sso.idp.user = IdpUser("olof@mora.se", ["kök"])
        page.goto(f"{url}/saml/login")
        page.get_by_role("button", name="Fortsätt").click()
        page.wait_for_url(f"{url}/saml/acs")
        assert "inte medlem i någon grupp" in page.content()
        violations = Axe().run(page).response["violations"]
        assert not [v["id"] for v in violations if v.get("impact") in ("serious", "critical")]
    finally:
        server.should_exit = True


def requests_get(url: str) -> bytes:
    """The body of a GET over real HTTP."""
    import requests

    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return response.content


def test_saml_with_an_sp_key_signs_its_requests_and_publishes_its_certificate(sso, tmp_path) -> None:
    from somed.web.archive import Archive
    from somed.web.sso.saml import ServiceProvider
    from tests.saml_idp import key_and_certificate

    key, cert = key_and_certificate(tmp_path, "somed-sp")
    saml = sso.config.web.saml.model_copy(update={"sp_key_file": key, "sp_cert_file": cert})  # type: ignore[union-attr]
    config = sso.config.model_copy(update={"web": sso.config.web.model_copy(update={"saml": saml})})
    sp = ServiceProvider(config, Archive(config))
    location, _ = sp.login_redirect("/")
    assert "Signature=" in location and "SigAlg=" in location
    certificate = "".join(cert.read_text().splitlines()[1:-1])
    assert certificate in sp.metadata().decode()


def test_providers_not_configured_lead_to_the_sign_in_form(sso) -> None:
    web = sso.config.web.model_copy(update={"saml": None, "oidc": None})
    app = create_app(sso.config.model_copy(update={"web": web}), session_key=SESSION_KEY)
    browser = TestClient(app, base_url=SITE, follow_redirects=False)
    for path in ("/saml/login", "/saml/metadata", "/oidc/login", "/oidc/callback?code=x&state=y"):
        response = browser.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/login"), path
    assert browser.post("/saml/acs", data={"SAMLResponse": "x"}).headers["location"] == "/login"
    page = browser.get("/login")
    assert "/saml/login" not in page.text and "/oidc/login" not in page.text
