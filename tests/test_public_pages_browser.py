"""Real Chromium on every platform's public pages: the platform's own capture hints close its
cookie dialog, scrolling loads every post, and its walls and error pages are seen by its
hints (and by no other platform's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from connectors.capture_hints import CaptureHints
from connectors.registry import connector_class
from tests.public_pages_support import PublicSetup, public_platforms, public_setup

pytestmark = pytest.mark.xdist_group("public-pages-browser")  # its module fixture is built once

PLATFORMS = public_platforms()


@pytest.fixture(params=PLATFORMS)
def setup(request: pytest.FixtureRequest) -> Iterator[PublicSetup]:
    with public_setup(request.param) as found:
        yield found


def open_page(chromium: Browser, setup: PublicSetup) -> Page:
    """A fresh browser context (no cookies but a planted login where the site needs one)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    if setup.site.knobs.login_required:
        cookie = setup.site.add_session("browser-session-4711")
        context.add_cookies([{**cookie, "url": setup.emulator.base_url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def dismiss_consent(page: Page, hints: CaptureHints) -> str | None:
    """Click the first visible consent button the hints name; return its selector."""
    for selector in hints.consent_selectors:
        button = page.locator(selector)
        if button.count() and button.first.is_visible():
            button.first.click()
            page.wait_for_load_state("load")
            return selector
    return None


def matches(page: Page, selectors: tuple[str, ...]) -> list[str]:
    """The selectors that find something on the page."""
    return [selector for selector in selectors if page.locator(selector).count()]


def scroll_to_end(page: Page, hints: CaptureHints, pane: bool) -> int:
    """Scroll (the document, or the hints' scroll container) until the end marker shows."""
    for step in range(400):
        if page.locator("[data-somed-end]").count():
            return step
        if pane:
            page.eval_on_selector(hints.scroll_container or "body", "e => e.scrollBy(0, 2500)")
        else:
            page.mouse.wheel(0, 2500)
        page.wait_for_timeout(40)
    raise AssertionError("the end marker never appeared")


@pytest.mark.parametrize("pane", [False, True], ids=["document", "scroll_container"])
def test_hints_close_the_cookie_dialog_and_scrolling_loads_every_post(
    chromium: Browser, setup: PublicSetup, pane: bool
) -> None:
    setup.site.configure(public_posts=40, scroll_container=pane)
    page = open_page(chromium, setup)
    page.goto(setup.page_url)
    clicked = dismiss_consent(page, setup.hints)
    assert clicked is not None, "no consent selector of the platform matched"
    assert not page.locator("[data-somed-consent-root]").count()
    assert setup.site.skin.consent_cookie in {c["name"] for c in page.context.cookies()}
    content = page.locator(setup.hints.content_selector or "body")
    assert content.count() >= 1
    scroll_to_end(page, setup.hints, pane)
    assert page.locator("[data-somed-post]").count() == 40
    assert page.locator('[data-somed-end="40"]').count() == 1
    scrolls_document = page.evaluate(
        "document.documentElement.scrollHeight > window.innerHeight + 100"
    )
    assert scrolls_document is (not pane)
    page.context.close()


def test_walls_and_error_pages_are_seen_by_the_platforms_own_hints(
    chromium: Browser, setup: PublicSetup
) -> None:
    hints = setup.hints
    others = [connector_class(p).capture_hints for p in PLATFORMS if p != setup.platform]
    page = open_page(chromium, setup)
    setup.site.configure(consent=False)
    page.goto(setup.page_url)
    assert not matches(page, hints.login_wall_selectors + hints.error_selectors)
    assert page.locator(hints.content_selector or "body").count()
    setup.site.configure(public_mode="login_wall")
    page.goto(setup.page_url)
    assert hints.login_url(page.url) or matches(page, hints.login_wall_selectors)
    setup.site.configure(public_mode="error")
    page.goto(setup.page_url)
    assert matches(page, hints.error_selectors)
    for other in others:
        assert other is not None and not matches(page, other.error_selectors)
    setup.site.configure(public_mode="checkpoint")
    page.goto(setup.page_url)
    assert hints.checkpoint_url(page.url)
    setup.site.configure(public_mode="ok", consent=True)
    page.context.clear_cookies()
    page.goto(setup.page_url)
    for other in others:
        assert other is not None
        assert not matches(page, other.consent_selectors + other.login_wall_selectors)
    page.context.close()
