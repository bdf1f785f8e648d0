"""`sender_missing`: the profile does not say who is responsible (R15).

The sender text (e.g. "En verksamhet inom Mora kommun") and the sender link (the
municipality's site) are the account's `sender_text` / `sender_link`, else `[monitors]`'s. The
profile is the `profile` record the account's connector stores: its text (description, about),
its URL and every text in its `extra` (links, website, ...), whatever the platform names them.
Text is compared without regard to case or spacing; a link without regard to scheme, `www.`
and a trailing slash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from somed.config import AccountConfig, Config
from somed.monitors.model import Finding, opened, resolved
from storage import evidence

FLAGS = ("sender_missing",)
REASONS = {
    ("text",): "monitor.sender_text_missing",
    ("link",): "monitor.sender_link_missing",
    ("text", "link"): "monitor.sender_missing",
}


def expected_sender(config: Config, account: AccountConfig) -> tuple[str | None, str | None]:
    """The sender text and link the account's profile must show (None: not checked)."""
    text = account.sender_text or config.monitors.sender_text
    link = account.sender_link or config.monitors.sender_link
    return text, link


def check(db: Database, config: Config, account: AccountConfig, now: datetime) -> list[Finding]:
    """The `sender_missing` finding on one account (none before its profile was read)."""
    text, link = expected_sender(config, account)
    if not text and not link:
        return [resolved("sender_missing")]  # nothing is asked of this account
    profile = evidence.latest_profile(db, account.key)
    if profile is None:
        return []
    shown = [s for s in (profile.get("text"), profile.get("url")) if isinstance(s, str)]
    shown += list(_strings(profile.get("extra")))
    missing = []
    if text and not any(_words(text) in _words(s) for s in shown):
        missing.append("text")
    if link and not any(_bare(link) in _bare(s) for s in shown):
        missing.append("link")
    if not missing:
        return [resolved("sender_missing")]
    reason = REASONS[tuple(missing)]
    return [opened("sender_missing", reason, text=text, link=link, missing=missing,
                   profile=profile.get("id"))]  # fmt: skip


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (nested lists and objects too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def _words(text: str) -> str:
    """Text folded for comparison: case-insensitive, runs of spaces as one."""
    return " ".join(text.casefold().split())


def _bare(text: str) -> str:
    """Text with URLs folded for comparison: no scheme, no `www.`, no trailing slash."""
    folded = re.sub(r"https?://(www\.)?", "", text.casefold())
    return re.sub(r"/+(?=\s|$|[\"'<>),;])", "", folded).strip()
