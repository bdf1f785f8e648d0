"""How a browser captures X pages: hosts, cookie bar, login walls, error pages.

Where the selectors come from (what other archivers and scrapers click and look for):
- X marks its web app with `data-testid` attributes that scrapers rely on (they outlive
  every class-name change): `primaryColumn`, `tweet`, `tweetText`, `UserName`,
  `UserDescription`, `BottomBar`, `sheetDialog`, `emptyState`, `error-detail` (these names
  appear in X's own web bundles and in scrapers' selector lists);
- the cookie bar's buttons "Accept all cookies" / "Refuse non-essential cookies" in the
  `BottomBar`;
- logged-out visitors are sent to `https://x.com/i/flow/login?redirect_after_login=...` (what
  scrapers that log in with stored cookies check for), or get the `sheetDialog` modal
  "Don’t miss what’s happening" over the page; a locked account goes to `/account/access`;
- the error state "This account doesn’t exist" (`emptyState`) and the generic error view
  (`error-detail`).
X shows no timeline to anonymous visitors: configure `storage_state_file` (a logged-in
browser state with the `auth_token` cookie) for valid captures.
"""

from __future__ import annotations

from connectors.capture_hints import CaptureHints

HINTS = CaptureHints(
    public_hosts=(
        "x.com",
        "www.x.com",
        "twitter.com",
        "www.twitter.com",
        "mobile.twitter.com",
        "mobile.x.com",
    ),  # fmt: skip
    consent_selectors=(
        '[data-testid="BottomBar"] button:has-text("Refuse non-essential cookies")',
        'button:has-text("Refuse non-essential cookies")',
        '[data-testid="BottomBar"] button:has-text("Neka icke nödvändiga cookies")',
    ),
    login_wall_selectors=(
        '[data-testid="sheetDialog"]',
        '[role="dialog"] [data-testid="loginButton"]',
    ),
    login_url_patterns=(
        r"^https?://[^/]+/i/flow/login(?:[/?#]|$)",
        r"^https?://[^/]+/login(?:[/?#]|$)",
    ),
    checkpoint_url_patterns=(r"^https?://[^/]+/account/access(?:[/?#]|$)",),
    error_selectors=(
        '[data-testid="emptyState"]:has-text("This account doesn")',
        '[data-testid="error-detail"]',
        '[data-testid="emptyState"]:has-text("Kontot finns inte")',
    ),
    content_selector='[data-testid="primaryColumn"]',
    scroll_container="#react-root",
    profile_url="https://x.com/i/user/{id}",  # X's address of an account by its numeric id
)
