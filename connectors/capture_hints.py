"""What a browser needs to know to capture one platform's public pages (standard library only).

Each platform declares its `CaptureHints` in `connectors/<platform>/capture.py` and sets them
as `capture_hints` on its connector class; the capture engine (`somed/capture/`) reads them
without knowing the platform. Selectors are Playwright selectors: CSS, plus Playwright's
`:has-text("...")` pseudo-class and `text=` engine where a dialog has no stable attribute.
URL patterns are regular expressions searched (`re.search`) in the page's final URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

from connectors.endpoint import onto_endpoint


@dataclass(frozen=True)
class CaptureHints:
    """What a browser needs to know to capture a platform's public pages."""

    # the platform's public web hosts: a configured endpoint replaces these (same path, query)
    public_hosts: tuple[str, ...]
    # buttons that close a cookie dialog, preferred first (prefer "only necessary" / "decline")
    consent_selectors: tuple[str, ...] = ()
    # present in the DOM -> verdict invalid, reason capture.login_wall
    login_wall_selectors: tuple[str, ...] = ()
    # regexes on the final URL (login pages) -> invalid, reason capture.login_wall
    login_url_patterns: tuple[str, ...] = ()
    # regexes on the final URL (security checks, captchas) -> invalid, reason capture.checkpoint
    checkpoint_url_patterns: tuple[str, ...] = ()
    # "page not available" -> invalid, reason capture.error_page
    error_selectors: tuple[str, ...] = ()
    # where the posts are in the DOM (the expected-text check looks there)
    content_selector: str | None = None
    # the element that scrolls when the document does not (a timeline in a fixed-height pane)
    scroll_container: str | None = None
    # how the platform's public page of an account is spelled: `{id}` is the account id
    # (URL-quoted); None: the account's `url` must be configured
    profile_url: str | None = None

    def page_url(self, account_id: str, url: str | None) -> str:
        """Return the account's public page: the configured `url` when given, else the default."""
        if url:
            return url
        if self.profile_url is None:
            raise ValueError("this platform has no default public page: configure the url")
        return self.profile_url.format(id=quote(account_id.lstrip("@"), safe="@.-_"))

    def fetch_url(self, url: str, endpoint: str | None) -> str:
        """Return where a browser fetches `url`: on `endpoint` (same path and query) when one
        is configured and the URL's host is one of `public_hosts`, else `url` itself."""
        if not endpoint or (urlsplit(url).hostname or "").lower() not in self.public_hosts:
            return url
        return onto_endpoint(url, endpoint)

    def login_url(self, final_url: str) -> bool:
        """Whether a final URL is one of the platform's login pages."""
        return any(re.search(pattern, final_url) for pattern in self.login_url_patterns)

    def checkpoint_url(self, final_url: str) -> bool:
        """Whether a final URL is one of the platform's security checks."""
        return any(re.search(pattern, final_url) for pattern in self.checkpoint_url_patterns)

    def with_consent(self, extra: tuple[str, ...] | list[str]) -> CaptureHints:
        """Return these hints with `extra` consent selectors added after the defaults."""
        added = tuple(s for s in extra if s not in self.consent_selectors)
        return replace(self, consent_selectors=self.consent_selectors + added)
