"""Injected faults: which requests fail and with which kind; the platform decides the answer.

Kinds are the platform's own names (e.g. "throttle", "server_error", "expired_token"); the
toolkit only chooses *which* request fails *how*, and the platform emulator turns the kind and
its params into its wire format (status, envelope, headers).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

Fault = tuple[str, dict[str, Any]]


@dataclass
class FaultPlan:
    """Random faults: each request fails with probability `rate`, a kind drawn from `kinds`.

    `params` are passed to every random fault of the plan (e.g. `{"regain": 1}`).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("throttle", "server_error")
    seed: int = 1
    params: dict[str, Any] = field(default_factory=dict)


class FaultQueue:
    """Forced faults first (`fail_next`), then a fault the caller forces (e.g. an exhausted
    budget), then the seeded random plan. Thread-safe; `rng` is seeded with the plan's seed so a
    platform may draw the details of an answer (which status, which code) reproducibly."""

    def __init__(self, kinds: tuple[str, ...], plan: FaultPlan | None = None) -> None:
        self.kinds = tuple(kinds)
        self.plan: FaultPlan | None = None
        self.rng = random.Random(1)
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.set_plan(plan)

    def set_plan(self, plan: FaultPlan | None) -> None:
        """Replace the random plan (None: no random faults) and reseed the generator."""
        if plan is not None and set(plan.kinds) - set(self.kinds):
            raise ValueError(f"unknown fault kinds: {sorted(set(plan.kinds) - set(self.kinds))}")
        with self._lock:
            self.plan = plan
            self.rng = random.Random(plan.seed if plan else 1)

    def fail_next(self, n: int, kind: str, params: dict[str, Any] | None = None) -> None:
        """Make the next `n` requests fail with `kind` (and these params)."""
        if kind not in self.kinds:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._queue.extend((kind, dict(params or {})) for _ in range(n))

    def pending(self) -> int:
        """Return how many forced faults are still queued."""
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Drop the queued forced faults (the random plan stays)."""
        with self._lock:
            self._queue.clear()

    def next(self, forced: Fault | None = None) -> Fault | None:
        """Return the fault (kind, params) for the next request, or None to answer it."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if forced is not None:
                return forced
            plan = self.plan
            if plan and plan.kinds and plan.rate > 0 and self.rng.random() < plan.rate:
                return (self.rng.choice(plan.kinds), dict(plan.params))
            return None
