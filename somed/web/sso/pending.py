"""Sign-ins under way: what somed sent to the identity provider, kept here until it answers.

Each entry (a SAML request id, an OIDC `state`) is kept in this process for ten minutes, bound
to the browser that started it by a random value in a short-lived cookie, and taken at most
once: a replayed answer finds nothing. `somed web` is one process (uvicorn without workers), so
memory is the right place; a restart only makes the sign-ins under way start again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

LIFETIME_SECONDS = 600
MAX_PENDING = 10_000  # anyone may start a sign-in: bound the memory it costs


@dataclass(frozen=True)
class Pending:
    """One sign-in under way: the browser's binding value, when it lapses, what to remember."""

    bind: str
    expires: float
    data: dict[str, Any]


class PendingSignIns:
    """Sign-ins under way by key (request id or state), each taken once, within its lifetime."""

    def __init__(self, lifetime: float = LIFETIME_SECONDS, limit: int = MAX_PENDING) -> None:
        self.lifetime = lifetime
        self.limit = limit
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Pending] = OrderedDict()

    def put(self, key: str, bind: str, data: dict[str, Any]) -> None:
        """Remember a sign-in started by the browser holding `bind`."""
        now = time.monotonic()
        with self._lock:
            self._prune(now)
            self._items[key] = Pending(bind, now + self.lifetime, dict(data))
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def keys_for(self, bind: str) -> dict[str, dict[str, Any]]:
        """The unexpired sign-ins of the browser holding `bind` (without taking them)."""
        now = time.monotonic()
        with self._lock:
            self._prune(now)
            return {key: dict(item.data) for key, item in self._items.items()
                    if bind and secrets.compare_digest(item.bind, bind)}  # fmt: skip

    def take(self, key: str, bind: str) -> dict[str, Any] | None:
        """The sign-in `key` of the browser holding `bind`, removed; None if unknown or used."""
        now = time.monotonic()
        with self._lock:
            self._prune(now)
            item = self._items.get(key)
            if item is None or not bind or not secrets.compare_digest(item.bind, bind):
                return None
            del self._items[key]
            return dict(item.data)

    def _prune(self, now: float) -> None:
        while self._items:
            key, item = next(iter(self._items.items()))
            if item.expires > now:
                break
            del self._items[key]


def new_bind() -> str:
    """A fresh random value binding a sign-in to one browser (its cookie)."""
    return secrets.token_urlsafe(24)
