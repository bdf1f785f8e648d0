"""Our own X rate limiter: the `x-rate-limit-*` headers of each endpoint, read on every answer.

X limits each endpoint separately in 15-minute windows and says where a window stands in three
headers: `x-rate-limit-limit` (requests per window), `x-rate-limit-remaining` and
`x-rate-limit-reset` (Unix seconds when the window starts again). tweepy's own
`wait_on_rate_limit` sleeps inside the library (the runner could not stop it, and a missing
reset header crashes it), so somed reads the headers itself:

- a walk asks `wait_before(endpoint)` before each request: an exhausted window raises
  `RateLimited(retry_after)` without spending a request, and the runner waits it out;
- `pause_hint()` spreads the last requests of a window over the time it has left, so a long
  walk slows down before the window is exhausted instead of running into a 429.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connectors.base import RateLimited

WINDOW_SECONDS = 15 * 60  # X's rate-limit window; a reset further away than this is not believed
SLOW_DOWN_SHARE = 0.1  # below this share of a window left, requests are spread over its rest
_NUMBER = re.compile(r"(?<=.)/\d+(?=/|$)")  # ids, not the version (/2)


def endpoint_of(path: str) -> str:
    """The endpoint a request path belongs to, ids replaced (`/2/users/:id/tweets`)."""
    path = path.split("?", 1)[0]
    if path.startswith("/2/users/by/username/"):
        return "/2/users/by/username/:username"
    return _NUMBER.sub("/:id", path)


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    """An integer header, or None when it is missing or not a number (hostile answers)."""
    value = headers.get(name)
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


@dataclass
class Window:
    """Where one endpoint's window stands, as its last answer said."""

    limit: int
    remaining: int
    reset: float  # Unix seconds


class RateWindows:
    """The windows of every endpoint seen so far (thread-safe: downloads answer in threads)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self._windows: dict[str, Window] = {}
        self._last: str | None = None
        self._lock = threading.Lock()

    def observe(self, path: str, headers: Mapping[str, str]) -> None:
        """Note what an answer's rate-limit headers say (answers without them are ignored)."""
        limit = _header_int(headers, "x-rate-limit-limit")
        remaining = _header_int(headers, "x-rate-limit-remaining")
        reset = _header_int(headers, "x-rate-limit-reset")
        if remaining is None or reset is None:
            return
        endpoint = endpoint_of(path)
        with self._lock:
            self._windows[endpoint] = Window(max(limit or remaining, 1), max(remaining, 0), reset)
            self._last = endpoint

    def seconds_to_reset(self, endpoint: str) -> float | None:
        """Seconds until `endpoint`'s window starts again (None: unknown or already reset)."""
        with self._lock:
            window = self._windows.get(endpoint)
        if window is None:
            return None
        # reset headers are whole seconds, so the window may start up to a second later
        left = window.reset + 1.0 - self.now()
        return min(float(WINDOW_SECONDS), left) if left > 0 else None

    def wait_before(self, endpoint: str) -> None:
        """Raise `RateLimited` when `endpoint`'s window is exhausted, before a request is spent."""
        with self._lock:
            window = self._windows.get(endpoint)
        if window is None or window.remaining > 0:
            return
        seconds = self.seconds_to_reset(endpoint)
        if seconds is None:
            return
        raise exhausted(endpoint, seconds)

    def pause_hint(self) -> float:
        """Seconds to wait before the next request of the endpoint used last (0: none).

        With less than a tenth of a window left, the rest is spread evenly over the time to
        the reset; an exhausted window is waited out by `wait_before` instead.
        """
        with self._lock:
            window = self._windows.get(self._last) if self._last else None
        if window is None or window.remaining <= 0:
            return 0.0
        if window.remaining >= max(1.0, window.limit * SLOW_DOWN_SHARE):
            return 0.0
        left = min(float(WINDOW_SECONDS), window.reset - self.now())
        return max(0.0, left / (window.remaining + 1))


def exhausted(endpoint: str, seconds: float | None) -> RateLimited:
    """The error of a spent window: wait `seconds` (None: X did not say when it resets)."""
    wait = None if seconds is None else math.ceil(max(0.0, seconds) * 10) / 10  # never early
    return RateLimited(
        f"X rate limit reached on {endpoint}"
        + (f"; the window resets in {wait:g} s" if wait is not None else ""),
        retry_after=wait,
        reason="x.rate_window" if wait is not None else "rate.limited",
        params={"endpoint": endpoint, "seconds": round(wait or 0)},
    )
