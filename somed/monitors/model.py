"""What a monitor finds about one account: a flag to open (with its reason) or to resolve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """Open `flag` with `reason` and `params` (`open=True`), or resolve it (`open=False`)."""

    flag: str
    open: bool
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def opened(flag: str, reason: str, **params: Any) -> Finding:
    """A finding that opens `flag` for `reason`."""
    return Finding(flag, True, reason, params)


def resolved(flag: str) -> Finding:
    """A finding that resolves `flag` (the evidence says it no longer holds)."""
    return Finding(flag, False)
