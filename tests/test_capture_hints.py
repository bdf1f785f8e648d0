"""Every built-in connector says how a browser captures its pages (`CaptureHints`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from connectors.capture_hints import CaptureHints
from connectors.emulation.demo import demo_modules
from connectors.registry import available, connector_class
from tests.public_pages_support import NOW

BUILT_IN = ("facebook", "instagram", "x", "youtube")


def test_every_built_in_connector_has_capture_hints() -> None:
    assert set(BUILT_IN) <= set(available())
    for platform in available():
        hints = connector_class(platform).capture_hints
        assert isinstance(hints, CaptureHints), f"{platform} has no capture hints"
        assert hints.public_hosts and hints.consent_selectors and hints.content_selector
        assert hints.login_url_patterns and hints.checkpoint_url_patterns
        assert hints.login_wall_selectors and hints.error_selectors
        for pattern in (*hints.login_url_patterns, *hints.checkpoint_url_patterns):
            re.compile(pattern)


@pytest.mark.parametrize("platform", sorted(demo_modules()))
def test_the_demo_accounts_pages_are_on_the_platforms_public_hosts(platform: str) -> None:
    hints = connector_class(platform).capture_hints
    assert hints is not None
    for account in demo_modules()[platform].demo(NOW).accounts:
        url = hints.page_url(account["id"], account.get("url"))
        assert urlsplit(url).hostname in hints.public_hosts


def test_the_page_is_the_configured_url_else_the_platforms_address_of_the_id() -> None:
    hints = connector_class("facebook").capture_hints
    assert hints is not None
    assert hints.page_url("100200300", "https://www.facebook.com/morakommun") == (
        "https://www.facebook.com/morakommun"
    )
    assert hints.page_url("100200300", None) == "https://www.facebook.com/profile.php?id=100200300"
    with pytest.raises(ValueError, match="configure the url"):
        CaptureHints(public_hosts=("example.org",)).page_url("1", None)


def test_a_public_url_moves_onto_the_endpoint_with_its_path_and_query() -> None:
    hints = CaptureHints(public_hosts=("www.facebook.com", "facebook.com"))
    url = "https://www.facebook.com/permalink.php?story_fbid=7&id=1"
    assert hints.fetch_url(url, "http://127.0.0.1:8710") == (
        "http://127.0.0.1:8710/permalink.php?story_fbid=7&id=1"
    )
    assert hints.fetch_url(url, "http://127.0.0.1:8710/fb") == (
        "http://127.0.0.1:8710/fb/permalink.php?story_fbid=7&id=1"
    )
    assert hints.fetch_url(url, None) == url
    elsewhere = "https://www.example.org/morakommun"
    assert hints.fetch_url(elsewhere, "http://127.0.0.1:8710") == elsewhere


def test_configured_consent_selectors_come_after_the_defaults() -> None:
    hints = CaptureHints(public_hosts=("x.com",), consent_selectors=("#a", "#b"))
    assert hints.with_consent(["#c", "#a"]).consent_selectors == ("#a", "#b", "#c")


def test_login_and_checkpoint_urls_are_recognised() -> None:
    facebook = connector_class("facebook").capture_hints
    assert facebook is not None
    assert facebook.login_url("https://www.facebook.com/login/?next=%2Fmorakommun")
    assert facebook.checkpoint_url("https://www.facebook.com/checkpoint/?next=1")
    assert not facebook.login_url("https://www.facebook.com/loginkommun")
    assert not facebook.checkpoint_url("https://www.facebook.com/morakommun/posts/1")
