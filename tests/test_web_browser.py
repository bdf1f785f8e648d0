"""The web UI in real Chromium against a running `somed web`: sign-in, keyboard, language, and
axe-core on every page type (no violation of impact serious or critical)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from somed.web.routing import all_pages
from storage.db import connect
from tests.web_support import PASSWORD, WEB_GROUP

pytestmark = WEB_GROUP

SERIOUS = ("serious", "critical")


def new_page(chromium: Browser) -> Page:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page: Page, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit] >> text=Logga in")
    page.wait_for_url(f"{base_url}/")


def page_urls(site) -> list[str]:
    """One URL of every GET page type (path parameters filled with real values)."""
    db = connect(site.config.db_path)
    try:
        platform, item_id = db.execute(
            "SELECT platform, id FROM items WHERE kind = 'comment' ORDER BY platform, id LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    values = {"key": site.config.accounts[0].key, "platform": platform, "item_id": item_id}
    urls = []
    for page in all_pages():
        if "GET" not in page.methods or page.path.endswith((".csv", "/download")):
            continue
        if "{" in page.path:
            names = [p.split("}")[0].split(":")[0] for p in page.path.split("{")[1:]]
            if not set(names) <= set(values):
                continue  # downloads by hash or id: not pages
            url = page.path
            for name in names:
                url = url.replace("{" + name + "}", values[name]).replace(
                    "{" + name + ":path}", values[name])  # fmt: skip
        else:
            url = page.path
        urls.append(url)
    return urls


def test_every_page_type_passes_axe(chromium, web_site) -> None:
    page = new_page(chromium)
    page.goto(f"{web_site.base_url}/login")
    problems = serious_violations(page, "/login")
    sign_in(page, web_site.base_url, "admin")
    checked = []
    for url in page_urls(web_site):
        response = page.goto(web_site.base_url + url)
        assert response is not None and response.status == 200, url
        problems += serious_violations(page, url)
        checked.append(url)
    assert "/" in checked and "/tillganglighet" in checked
    assert not problems, "\n".join(problems)


def serious_violations(page: Page, url: str) -> list[str]:
    results = Axe().run(page)
    return [
        f"{url}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def test_sign_in_keyboard_and_language(chromium, web_site) -> None:
    page = new_page(chromium)
    page.goto(f"{web_site.base_url}/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"  # the skip link comes first
    page.fill("input[name=username]", "reader")
    page.fill("input[name=password]", "wrong password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Fel användarnamn eller lösenord" in page.inner_text("main")
    sign_in(page, web_site.base_url, "reader")
    assert page.locator("h1").inner_text() == "Översikt"
    assert page.evaluate("document.documentElement.lang") == "sv"
    with page.expect_navigation():
        page.click("button[lang=en]")
    assert page.locator("h1").inner_text() == "Overview"
    assert page.evaluate("document.documentElement.lang") == "en"
    with page.expect_navigation():
        page.click("button[lang=sv]")
    page.click("text=Logga ut")
    page.wait_for_url(f"{web_site.base_url}/login")
    page.goto(f"{web_site.base_url}/")
    assert page.url.startswith(f"{web_site.base_url}/login")


def test_no_script_error_and_csp_holds(chromium, web_site) -> None:
    page = new_page(chromium)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, web_site.base_url, "registrar")
    for url in ("/", "/tillganglighet"):
        page.goto(web_site.base_url + url)
    assert not errors, errors
