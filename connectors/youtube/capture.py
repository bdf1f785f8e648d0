"""How a browser captures YouTube pages: hosts, the consent page, sign-in walls, error pages.

Where the selectors come from (what other archivers and scrapers click and look for):
- in the EU a visitor without the `SOCS` cookie is redirected to consent.youtube.com
  ("Before you continue to YouTube"), whose buttons carry `aria-label="Reject all"` and
  `aria-label="Accept all"` (Playwright/Puppeteer scripts click `button[aria-label="Reject
  all"]`); the in-app variant is the `ytd-consent-bump-v2-lightbox` dialog;
- sign-in walls go to Google's sign-in (`accounts.google.com/ServiceLogin`, `#identifierId`);
  automated-traffic checks to `www.google.com/sorry/index`;
- the 404 page `#error-page` ("This page isn't available. Sorry about that.");
- YouTube's own element names: `ytd-app`, `ytd-browse` (a channel), `ytd-watch-flexy` (a
  video), `ytd-video-renderer`.
"""

from __future__ import annotations

from connectors.capture_hints import CaptureHints

HINTS = CaptureHints(
    public_hosts=("www.youtube.com", "youtube.com", "m.youtube.com", "consent.youtube.com"),
    consent_selectors=(
        'button[aria-label="Reject all"]',
        'button[aria-label="Avvisa alla"]',
        'ytd-consent-bump-v2-lightbox button[aria-label^="Reject"]',
        'form[action*="consent"] button:has-text("Reject all")',
    ),
    login_wall_selectors=("#identifierId", 'ytd-button-renderer a[href*="ServiceLogin"]'),
    login_url_patterns=(
        r"^https?://accounts\.google\.com/",
        r"^https?://[^/]+/ServiceLogin(?:[/?#]|$)",
    ),
    checkpoint_url_patterns=(r"^https?://[^/]+/sorry/index(?:[/?#]|$)",),
    error_selectors=(
        "#error-page",
        'ytd-browse :is(h1, yt-formatted-string):has-text("This channel doesn")',
    ),
    content_selector="ytd-browse, ytd-watch-flexy",
    scroll_container="ytd-app",
    profile_url="https://www.youtube.com/channel/{id}",
)
