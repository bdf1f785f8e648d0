"""instaloader's request pacing, kept on disk so a restarted daemon does not burst.

instaloader's `RateController` counts the requests of the last hour per query type in memory
and sleeps when a sliding window is full; a restart forgets the counts, and a daemon restarted a
few times in a row would hit Instagram with several windows' worth of requests. `PacedController`
keeps instaloader's windows (per query type 200 in 11 minutes, `other` 75, all GraphQL queries
together 275 in 10 minutes, `i.instagram.com` 199 in 30 minutes), scaled by the account's
`pace_factor`, and:

- loads the recent request times, and the time before which Instagram asked us not to come back
  (after a 429 or a 401 "Please wait a few minutes"), from `PaceFile` at the start of a walk, and
  writes them back as the walk goes (at most every second, at the end of every batch and at
  once when Instagram asks us to wait; a small JSON file, atomically replaced; no secrets);
- never sleeps (a connector never does): where instaloader would wait, it raises
  `RateLimited(retry_after)` and the runner decides whether to wait or to end the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from bisect import bisect_right, insort
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from instaloader import InstaloaderContext, RateController

from connectors.base import RateLimited

HOUR = 3600.0
PER_TYPE_WINDOW, PER_TYPE_COUNT, OTHER_COUNT = 660.0, 200, 75
GRAPHQL_WINDOW, GRAPHQL_COUNT = 600.0, 275
IPHONE_WINDOW, IPHONE_COUNT = 1800.0, 199
UNTRACKED = ("iphone", "other")  # instaloader's query types that are not GraphQL queries

SAVE_EVERY = 1.0  # seconds between saves during a walk (and at its end, and on a hold-off)

Wall = Callable[[], float]


class PaceFile:
    """The durable part of the pacing: recent request times and the next allowed time."""

    def __init__(self, path: Path | None, wall: Wall = time.time) -> None:
        self.path = path
        self.wall = wall
        self.queries: dict[str, list[float]] = {}  # wall-clock seconds, each list sorted
        self.not_before = 0.0
        self.saved_at = float("-inf")
        self.load()

    def load(self) -> None:
        """Read the file (a missing or damaged one means: no recent requests)."""
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict):
            return
        horizon = self.wall() - HOUR
        queries = data.get("queries")
        if isinstance(queries, dict):
            self.queries = {
                str(kind): sorted(
                    float(t) for t in times if isinstance(t, int | float) and t > horizon
                )
                for kind, times in queries.items()
                if isinstance(times, list)
            }
        not_before = data.get("not_before")
        if isinstance(not_before, int | float):
            self.not_before = float(not_before)

    def save(self) -> None:
        """Write the file atomically (nothing when no path is configured)."""
        self.saved_at = self.wall()
        if self.path is None:
            return
        horizon = self.saved_at - HOUR
        data = {
            "queries": {k: [t for t in v if t > horizon] for k, v in self.queries.items()},
            "not_before": self.not_before,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pace-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(json.dumps(data))  # one C encoding: `json.dump` encodes piece by piece
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def record(self, query_type: str) -> None:
        """Note one request of `query_type` now; save when the last save is a while ago."""
        now = self.wall()
        times = self.queries.setdefault(query_type, [])
        insort(times, now)  # sorted even if the clock steps back
        if times[0] <= now - HOUR:  # older than any window: forget
            del times[: bisect_right(times, now - HOUR)]
        if now - self.saved_at >= SAVE_EVERY:
            self.save()

    def within(self, kinds: Iterable[str], seconds: float, now: float) -> tuple[int, float | None]:
        """How many requests of `kinds` the `seconds` before `now` saw, and the first's time."""
        since = now - seconds
        count, first = 0, None
        for kind in kinds:
            times = self.queries.get(kind, ())
            start = bisect_right(times, since)  # the sorted times after `since`
            if start < len(times):
                count += len(times) - start
                first = times[start] if first is None else min(first, times[start])
        return count, first

    def hold_off(self, seconds: float) -> None:
        """Instagram asked us to stay away `seconds`: no request before then, even after a
        restart."""
        self.not_before = max(self.not_before, self.wall() + max(0.0, seconds))
        self.save()


class PacedController(RateController):
    """instaloader's windows, restored from and saved to a `PaceFile`; raises, never sleeps."""

    def __init__(self, context: InstaloaderContext, pace: PaceFile, factor: float = 1.0) -> None:
        super().__init__(context)
        self.pace = pace
        self.factor = factor

    def sleep(self, secs: float) -> None:
        """Where instaloader would sleep, hand the wait to the runner."""
        raise RateLimited(
            f"Instagram pacing: the next request is allowed in {secs:.0f} s",
            retry_after=secs,
            reason="instagram.pace",
            params={"seconds": round(secs)},
        )

    def count_per_sliding_window(self, query_type: str) -> int:
        """instaloader's per-type counts, scaled by the account's `pace_factor`."""
        return self._scaled(OTHER_COUNT if query_type == "other" else PER_TYPE_COUNT)

    def _scaled(self, count: int) -> int:
        return max(1, int(count * self.factor))

    def query_waittime(self, query_type: str, current_time: float,
                       untracked_queries: bool = False) -> float:  # fmt: skip
        """Seconds to wait before a `query_type` request (`current_time` is ignored: the
        durable times are wall-clock)."""
        now = self.pace.wall()
        pace = self.pace
        waits = [pace.not_before - now]
        mine, first = pace.within((query_type,), PER_TYPE_WINDOW, now)
        if first is not None and mine >= self.count_per_sliding_window(query_type):
            waits.append(first + PER_TYPE_WINDOW + 6 - now)
        if query_type not in UNTRACKED:
            kinds = [kind for kind in pace.queries if kind not in UNTRACKED]
            graphql, first = pace.within(kinds, GRAPHQL_WINDOW, now)
            if first is not None and graphql >= self._scaled(GRAPHQL_COUNT):
                waits.append(first + GRAPHQL_WINDOW - now)
        if query_type == "iphone":
            phone, first = pace.within(("iphone",), IPHONE_WINDOW, now)
            if first is not None and phone >= self._scaled(IPHONE_COUNT):
                waits.append(first + IPHONE_WINDOW + 18 - now)
        return max(0.0, *waits)

    def wait_before_query(self, query_type: str) -> None:
        """Raise `RateLimited` when a window is full, else note the request durably."""
        wait = self.query_waittime(query_type, 0.0)
        if wait > 0:
            self.sleep(wait)
        self.pace.record(query_type)

    def handle_429(self, query_type: str) -> None:
        """Never reached (instaloader makes one attempt); the connector maps the 429."""


def state_of(pace: PaceFile) -> dict[str, Any]:
    """What the pace file holds, for tests and `check` output."""
    return {"queries": {k: len(v) for k, v in pace.queries.items()}, "not_before": pace.not_before}
