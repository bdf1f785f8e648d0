"""Sign-ins under way: what somed sent to the identity provider, kept until it answers.

Each entry (a SAML request id, an OIDC `state`) is kept in the archive's `sso_pending` table
(`storage.sso_pending`) for ten minutes, bound to the browser that started it by a random value
in a short-lived cookie (only its SHA-256 is stored), and taken at most once: a replayed answer
finds nothing. In the database, not in memory, because `somed web` runs several worker
processes (`[web] workers`): the answer may reach another process than the one that sent the
request. A restart keeps the sign-ins under way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from somed.web.archive import Archive
from storage import sso_pending

LIFETIME_SECONDS = 600
MAX_PENDING = 10_000  # anyone may start a sign-in: bound what it costs (per provider)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class PendingSignIns:
    """One provider's sign-ins under way by key (request id or state), each taken once."""

    def __init__(
        self, archive: Archive, provider: str, *, lifetime: float = LIFETIME_SECONDS,
        limit: int = MAX_PENDING, clock: Callable[[], datetime] = utc_now,
    ) -> None:  # fmt: skip
        self.archive = archive
        self.provider = provider
        self.lifetime = timedelta(seconds=lifetime)
        self.limit = limit
        self.clock = clock

    def put(self, key: str, bind: str, data: dict[str, Any]) -> None:
        """Remember a sign-in started by the browser holding `bind`."""
        with self.archive.writer() as db:
            sso_pending.put(db, self.provider, key, bind, dict(data), now=self.clock(),
                            lifetime=self.lifetime, limit=self.limit)  # fmt: skip

    def keys_for(self, bind: str) -> dict[str, dict[str, Any]]:
        """The unexpired sign-ins of the browser holding `bind` (without taking them)."""
        if not bind:
            return {}
        return sso_pending.of_browser(self.archive.reader(), self.provider, bind,
                                      now=self.clock())  # fmt: skip

    def take(self, key: str, bind: str) -> dict[str, Any] | None:
        """The sign-in `key` of the browser holding `bind`, removed; None if unknown or used."""
        if not key or not bind:
            return None
        with self.archive.writer() as db:
            return sso_pending.take(db, self.provider, key, bind, now=self.clock())


def new_bind() -> str:
    """A fresh random value binding a sign-in to one browser (its cookie)."""
    return secrets.token_urlsafe(24)
