"""From a capture request to what the browser is told: URL (endpoint-rewritten), hints, identity.

Nothing here knows a platform: the connector class's `capture_hints` say which hosts are the
platform's public web, where its dialogs and walls are, and how an account's page is spelled.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlite_utils import Database

from somed.capture.model import CaptureRequest
from somed.capture.verdict import snippet
from somed.capture_hints import state_file, storage_state
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
    storage_state: Path | None
    identity: str
    expected_text: str | None
    problem: tuple[str, dict[str, Any]] | None = None  # why it cannot be captured at all


def rewrite_to_endpoint(
    url: str, public_hosts: tuple[str, ...] | list[str], endpoint: str | None
) -> str:
    """Send a public URL on one of the platform's hosts to the configured endpoint (same path)."""
    if not endpoint:
        return url
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in {h.lower() for h in public_hosts}:
        return url
    base = urlsplit(endpoint)
    path = base.path.rstrip("/") + (parts.path or "/")
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


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
    from connectors.registry import connector_class

    account = config.account(request.account)
    platform = account.platform
    settings = config.platforms.get(platform)
    kind = "post" if request.url else "account"
    state = state_file(config, account.key)  # a relative path: $CREDENTIALS_DIRECTORY, else
    identity = state.stem if state else "anonymous"  # the config's folder (as a token file)
    base = Target(request, platform, kind, request.url, None, {}, state, identity, None)
    try:
        hints = getattr(connector_class(platform), "capture_hints", None)
    except KeyError:
        hints = None
    if hints is None:
        return dataclasses.replace(base, problem=("capture.unsupported", {"platform": platform}))
    try:
        storage_state(config, account.key)  # readable, size-capped, a storage state; its cookie
    except TokenError:  # values are added to what the logs redact
        return dataclasses.replace(
            base, problem=("capture.storage_state_unreadable", {"platform": platform})
        )
    extra = list(getattr(settings, "consent_selectors", None) or []) if settings else []
    if extra:
        hints = hints.with_consent(extra)
    if request.url:
        asked = request.url
    else:
        try:
            asked = hints.page_url(account.id, account.url)
        except ValueError:
            return dataclasses.replace(base, problem=("capture.no_url", {"account": account.key}))
    endpoint = settings.endpoint if settings else None
    return dataclasses.replace(
        base,
        url_asked=asked,
        url_fetched=rewrite_to_endpoint(asked, hints.public_hosts, endpoint),
        hints=dataclasses.asdict(hints),
        expected_text=expected_text(db, account.key, request.url),
    )
