"""A usage budget: units spent in a sliding (rate limit) or fixed (daily quota) window.

Each platform turns it into its own signals: Graph's `x-app-usage` percentages, X's
`x-rate-limit-limit/-remaining/-reset`, YouTube's quota units and `quotaExceeded`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class UsageBudget:
    """`limit` units per `window` seconds.

    Sliding (default): a unit counts for `window` seconds after it was spent. Fixed: the window
    starts with the first unit spent and everything is forgiven when it ends (or at the moment
    `resets_at` returns, e.g. midnight Pacific for a daily quota). `clock` returns seconds (by
    default `time.time`, so `reset_at()` is a Unix time a header can carry).
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        fixed: bool = False,
        clock: Callable[[], float] = time.time,
        resets_at: Callable[[float], float] | None = None,
    ) -> None:
        self.limit, self.window, self.fixed = limit, window, fixed
        self.clock = clock
        self.resets_at = resets_at
        self._spent: deque[tuple[float, int]] = deque()
        self._start: float | None = None
        self._lock = threading.Lock()

    def spend(self, units: int = 1) -> bool:
        """Spend `units` if they fit; return False (spending nothing) when they do not."""
        with self._lock:
            now = self._expire()
            if self._used() + units > self.limit:
                return False
            if self._start is None:
                self._start = now
            self._spent.append((now, units))
            return True

    def charge(self, units: int = 1) -> None:
        """Spend `units` even past the limit (a platform that counts what it then refuses)."""
        with self._lock:
            now = self._expire()
            if self._start is None:
                self._start = now
            self._spent.append((now, units))

    def used(self) -> int:
        """Return the units spent in the current window."""
        with self._lock:
            self._expire()
            return self._used()

    def remaining(self) -> int:
        """Return the units left in the current window (never below 0)."""
        return max(0, self.limit - self.used())

    def exhausted(self) -> bool:
        """Whether no unit is left."""
        return self.remaining() <= 0

    def percent(self) -> int:
        """Return the share of the limit spent, in whole percent (may pass 100)."""
        return self.used() * 100 // max(1, self.limit)

    def reset_at(self) -> float:
        """Return when (clock seconds) the budget is whole again (sliding: last unit ages out)."""
        with self._lock:
            now = self._expire()
            if not self._spent:
                return now
            if self.fixed:
                return self._window_end()
            return self._spent[-1][0] + self.window

    def available_at(self, units: int = 1) -> float:
        """Return when (clock seconds) `units` more would fit."""
        with self._lock:
            now = self._expire()
            if self._used() + units <= self.limit:
                return now
            if self.fixed:
                return self._window_end()
            need = self._used() + units - self.limit
            for spent_at, amount in self._spent:
                need -= amount
                if need <= 0:
                    return spent_at + self.window
            return now + self.window

    def reset(self) -> None:
        """Forgive everything spent."""
        with self._lock:
            self._spent.clear()
            self._start = None

    def _used(self) -> int:
        return sum(units for _, units in self._spent)

    def _window_end(self) -> float:
        assert self._start is not None
        if self.resets_at is not None:
            return self.resets_at(self._start)
        return self._start + self.window

    def _expire(self) -> float:
        now = self.clock()
        if self.fixed:
            if self._start is not None and now >= self._window_end():
                self._spent.clear()
                self._start = None
        else:
            while self._spent and self._spent[0][0] <= now - self.window:
                self._spent.popleft()
            if not self._spent:
                self._start = None
        return now
