"""From a capture request to what the browser is told: URL (endpoint-rewritten), hints, identity.

Nothing here knows a platform: the connector class's `capture_hints` say which hosts are the
platform's public web, where its dialogs and walls are, and how an account's page is spelled
(`somed/capture_hints.py` adds the config's consent selectors and reads the browser state).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from somed.capture.model import CaptureRequest
from somed.capture.verdict import snippet
from somed.capture_hints import account_hints, account_page, identity, storage_state
from somed.config_tokens import TokenError


@dataclass(frozen=True)
class Target:
    """One request resolved: the account's platform, the URLs, hints and identity to use."""

    request: CaptureRequest
    platform: str
    kind: str  # 'account' | 'post'
    url_asked: str | None
    url_fetched: str | None
    hints: dict[str, Any]
    identity: str
    expected_text: str | None
    problem: tuple[str, dict[str, Any]] | None = None  # why it cannot be captured at all
    # a logged-in browser's cookies: a secret, only ever handed to the browser
    storage_state: dict[str, Any] | None = field(default=None, repr=False)


def expected_text(db: Database, account: str, post_url: str | None) -> str | None:
    """What the page must show: the permalink's post text, or the newest archived own post's."""
    if post_url is not None:
        row = db.execute(
            "SELECT text FROM items WHERE account = ? AND url = ? AND deleted_at IS NULL LIMIT 1",
            [account, post_url],
        ).fetchone()
    else:
        row = db.execute(
            "SELECT text FROM items WHERE account = ? AND direction = 'own'"
            " AND kind IN ('post', 'video') AND deleted_at IS NULL"
            " AND text IS NOT NULL AND trim(text) != '' ORDER BY created_at DESC LIMIT 1",
            [account],
        ).fetchone()
    text = row[0] if row else None
    return snippet(text) if text and text.strip() else None


def resolve(config: Any, db: Database, request: CaptureRequest) -> Target:
    """Resolve a request against the config and the archive (raises KeyError: unknown account)."""
    account = config.account(request.account)
    platform = account.platform
    kind = "post" if request.url else "account"
    who = identity(config, account.key)
    base = Target(request, platform, kind, request.url, None, {}, who, None)
    hints = account_hints(config, account.key)
    if hints is None:
        return dataclasses.replace(base, problem=("capture.unsupported", {"platform": platform}))
    try:
        asked = request.url or account_page(config, account.key)
    except ValueError:
        return dataclasses.replace(base, problem=("capture.no_url", {"account": account.key}))
    try:
        state = storage_state(config, account.key)
    except TokenError as exc:
        return dataclasses.replace(base, url_asked=asked, problem=(exc.reason, dict(exc.params)))
    settings = config.platforms.get(platform)
    return dataclasses.replace(
        base,
        url_asked=asked,
        url_fetched=hints.fetch_url(asked, settings.endpoint if settings else None),
        hints=dataclasses.asdict(hints),
        expected_text=expected_text(db, account.key, request.url),
        storage_state=state,
    )
