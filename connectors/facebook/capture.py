"""How a browser captures Facebook pages: hosts, cookie dialog, login walls, error pages.

Where the selectors come from (what other archivers and scrapers click and look for):
- the EU cookie dialog's buttons `[data-cookiebanner="accept_only_essential_button"]` and
  `[data-cookiebanner="accept_button"]`, and the aria-label "Decline optional cookies": used
  by many Puppeteer/Selenium scrapers of public pages (e.g. event scrapers that open
  facebook.com/events/..., post-and-reel archivers), with
  `[data-testid="cookie-policy-manage-dialog"]` as the dialog itself;
- the logged-out login overlay `form#login_popup_cta_form` ("See more from ..."), which
  scrapers check to tell a logged-out session from a logged-in one;
- login and security-check pages by URL: `/login/`, `/login.php`, `/checkpoint/`;
- the error page text "This content isn't available right now", which scrapers and
  account-status checkers search for (not "This page isn't available": Instagram's error
  page says that too);
- posts as `[role="article"]` in `[role="main"]` (Facebook's ARIA roles are its stable markup;
  class names are generated and change weekly).
Swedish variants are listed after the English ones for browsers set to Swedish.
"""

from __future__ import annotations

from connectors.capture_hints import CaptureHints

HINTS = CaptureHints(
    public_hosts=("www.facebook.com", "facebook.com", "m.facebook.com", "web.facebook.com"),
    consent_selectors=(
        '[data-cookiebanner="accept_only_essential_button"]',
        '[aria-label="Decline optional cookies"]',
        '[aria-label="Only allow essential cookies"]',
        '[aria-label="Avvisa valfria cookies"]',
        '[aria-label="Tillåt endast nödvändiga cookies"]',
    ),
    login_wall_selectors=(
        "#login_popup_cta_form",
        '[role="dialog"] form[action*="/login/"]',
    ),
    login_url_patterns=(r"^https?://[^/]+/login(?:/|\.php|\?|#|$)",),
    checkpoint_url_patterns=(r"^https?://[^/]+/checkpoint(?:/|\?|#|$)",),
    error_selectors=(
        '[role="main"] :is(h2, span):has-text("This content isn\'t available")',
        '[role="main"] :is(h2, span):has-text("Det här innehållet är inte tillgängligt")',
    ),
    content_selector='[role="main"]',
    scroll_container='div[id^="mount_0_0"]',
    profile_url="https://www.facebook.com/profile.php?id={id}",
)
