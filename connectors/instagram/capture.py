"""How a browser captures Instagram pages: hosts, cookie dialog, login walls, error pages.

Where the selectors come from (what other archivers and scrapers click and look for):
- the EU cookie dialog, a `[role="dialog"]` with two text-only buttons, "Allow all cookies"
  and "Decline optional cookies" (older: "Only allow essential cookies"), as Selenium and
  Playwright scrapers of public profiles click them by text;
- logged-out visitors are sent to `/accounts/login/?next=...` (instaloader's
  "login required" redirect; its emulator in `emulator/web.py` does the same), whose form is
  `#loginForm` with `input[name="username"]`; security checks live under `/challenge/`
  (instaloader's `checkpoint_required` URLs);
- the error page's "Sorry, this page isn't available." (newer: "Profile isn't available");
- posts as `article` elements in `main[role="main"]`; Meta's app root `div[id^="mount_0_0"]`.
"""

from __future__ import annotations

from connectors.capture_hints import CaptureHints

HINTS = CaptureHints(
    public_hosts=("www.instagram.com", "instagram.com"),
    consent_selectors=(
        'button:has-text("Decline optional cookies")',
        'button:has-text("Only allow essential cookies")',
        'button:has-text("Avvisa valfria cookies")',
        'button:has-text("Tillåt endast nödvändiga cookies")',
    ),
    login_wall_selectors=("#loginForm", 'form input[name="username"]:not([type="hidden"])'),
    login_url_patterns=(r"^https?://[^/]+/accounts/login(?:/|\?|#|$)",),
    checkpoint_url_patterns=(r"^https?://[^/]+/challenge(?:/|\?|#|$)",),
    error_selectors=(
        'main h2:has-text("Sorry, this page isn\'t available")',
        'main :is(h2, span):has-text("Profile isn\'t available")',
        'main h2:has-text("Sidan är inte tillgänglig")',
    ),
    content_selector='main[role="main"]',
    scroll_container='div[id^="mount_0_0"]',
    profile_url="https://www.instagram.com/{id}/",
)
