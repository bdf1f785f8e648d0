"""The public pages every platform emulator serves to a browser, over real loopback HTTP.

Parametrised over every platform with a demo emulator and capture hints: the profile and its
images, the lazy continuation until every post is shown, permalinks, each knob, login walls
(by URL and by DOM), and the cookie dialog until its cookie is set.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
import requests

from tests.public_pages_support import PublicSetup, public_platforms, public_setup

PLATFORMS = public_platforms()
MORE = re.compile(r'data-somed-more="([^"]+)"')
POST = re.compile(r'data-somed-post="(\d+)"')
PERMALINK = re.compile(r'data-somed-permalink="([^"]+)"')
PANE = re.compile(r"<[^>]+ data-somed-scroll-root[ >]")


@pytest.fixture(params=PLATFORMS)
def setup(request: pytest.FixtureRequest) -> Iterator[PublicSetup]:
    with public_setup(request.param) as found:
        yield found


def browser(setup: PublicSetup, *, consent: bool = True) -> requests.Session:
    """A session like a browser's: a planted login where the site needs one, consent given."""
    session = requests.Session()
    if setup.site.knobs.login_required:
        cookie = setup.site.add_session("planted-session-4711")
        session.cookies.set(cookie["name"], cookie["value"])
    if consent:
        session.cookies.set(setup.site.skin.consent_cookie, "essential")
    return session


def get(session: requests.Session, url: str) -> requests.Response:
    return session.get(url, timeout=10)


def test_every_platform_is_covered() -> None:
    assert {"facebook"} <= set(PLATFORMS)


def test_the_profile_page_shows_the_account_and_its_newest_posts(setup: PublicSetup) -> None:
    page = get(browser(setup), setup.page_url)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert POST.findall(page.text)[:2] == ["1", "2"]
    assert MORE.search(page.text), "the rest of the timeline loads on scroll"
    images = re.findall(r'src="(/static/somed/[^"]+\.png)"', page.text)
    assert images
    picture = get(browser(setup), setup.emulator.base_url + images[0])
    assert picture.headers["Content-Type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_scrolling_fetches_every_post_once_until_the_end_marker(setup: PublicSetup) -> None:
    setup.site.configure(public_posts=40)
    session = browser(setup)
    page = get(session, setup.page_url).text
    numbers = POST.findall(page)
    more: str | None = html.unescape(MORE.search(page).group(1))
    fragments, last = 0, ""
    while more:
        answer = session.get(setup.url(more), timeout=10, headers={"Accept": "application/json"})
        body = answer.json()
        numbers += POST.findall(body["html"])
        fragments, more, last = fragments + 1, body["next"], body["html"]
    assert numbers == [str(n) for n in range(1, 41)]
    assert 'data-somed-end="40"' in last
    assert fragments >= 2


def test_a_short_timeline_ends_in_the_page_itself(setup: PublicSetup) -> None:
    setup.site.configure(public_posts=2)
    page = get(browser(setup), setup.page_url).text
    assert POST.findall(page) == ["1", "2"] and 'data-somed-end="2"' in page
    assert not MORE.search(page)


def test_a_post_permalink_shows_that_post(setup: PublicSetup) -> None:
    session = browser(setup)
    page = get(session, setup.page_url).text
    link = html.unescape(PERMALINK.search(page).group(1))
    post = get(session, setup.url(link))
    assert post.status_code == 200
    assert [html.unescape(found) for found in PERMALINK.findall(post.text)] == [link]
    assert 'data-somed-end="1"' in post.text


def test_a_missing_post_gives_the_platforms_error_page(setup: PublicSetup) -> None:
    session = browser(setup)
    page = get(session, setup.page_url).text
    link = html.unescape(PERMALINK.search(page).group(1))
    gone = re.sub(r"\d{5,}|[A-Za-z0-9_-]{11}$", lambda m: "9" * len(m.group(0)), link, count=1)
    answer = get(session, setup.url(gone))
    assert answer.status_code in (200, 404)
    assert not POST.search(answer.text)


def test_error_mode_shows_no_posts(setup: PublicSetup) -> None:
    setup.site.configure(public_mode="error")
    answer = get(browser(setup), setup.page_url)
    assert answer.status_code == setup.site.skin.error_status
    assert not POST.search(answer.text)


def test_checkpoint_mode_ends_on_a_checkpoint_url(setup: PublicSetup) -> None:
    setup.site.configure(public_mode="checkpoint")
    answer = get(browser(setup), setup.page_url)
    assert setup.hints.checkpoint_url(answer.url), answer.url
    assert not POST.search(answer.text)


def test_login_wall_mode_is_seen_by_url_or_dom(setup: PublicSetup) -> None:
    setup.site.configure(public_mode="login_wall")
    answer = get(browser(setup), setup.page_url)
    by_url = setup.hints.login_url(answer.url)
    by_dom = "data-somed-login-wall" in answer.text
    assert by_url or by_dom
    assert by_url == (not setup.site.skin.login_overlay)


def test_a_login_required_site_lets_in_a_planted_session_only(setup: PublicSetup) -> None:
    setup.site.configure(login_required=True)
    anonymous = requests.get(setup.page_url, timeout=10,
                             cookies={setup.site.skin.consent_cookie: "essential"})  # fmt: skip
    assert setup.hints.login_url(anonymous.url) and not POST.search(anonymous.text)
    fragment = requests.get(setup.page_url, params={"somed_cursor": 4}, timeout=10)
    assert fragment.status_code == 401
    cookie = setup.site.add_session("planted-session-0815")
    session = browser(setup)
    session.cookies.set(cookie["name"], cookie["value"])
    assert POST.search(get(session, setup.page_url).text)


def test_the_cookie_dialog_shows_until_its_cookie_is_set(setup: PublicSetup) -> None:
    fresh = browser(setup, consent=False)
    first = get(fresh, setup.page_url)
    assert "data-somed-consent=" in first.text
    remembered = get(browser(setup), setup.page_url)
    assert "data-somed-consent=" not in remembered.text and POST.search(remembered.text)
    setup.site.configure(consent=False)
    assert "data-somed-consent=" not in get(browser(setup, consent=False), setup.page_url).text


def test_scroll_container_mode_puts_the_timeline_in_a_pane(setup: PublicSetup) -> None:
    assert not PANE.search(get(browser(setup), setup.page_url).text)
    setup.site.configure(scroll_container=True)
    assert PANE.search(get(browser(setup), setup.page_url).text)


def test_unknown_knobs_and_modes_are_refused(setup: PublicSetup) -> None:
    with pytest.raises(TypeError):
        setup.site.configure(colour="red")
    with pytest.raises(ValueError):
        setup.site.configure(public_mode="sometimes")
