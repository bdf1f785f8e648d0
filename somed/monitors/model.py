"""What a monitor finds about one account or one of its items: a flag to open or to resolve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """Open `flag` with `reason` and `params` (`open=True`), or resolve it (`open=False`).

    `item` is the (platform, id) of the item the flag is about; None for the account itself.
    """

    flag: str
    open: bool
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    item: tuple[str, str] | None = None


def opened(
    flag: str, reason: str, *, item: tuple[str, str] | None = None, **params: Any
) -> Finding:
    """A finding that opens `flag` for `reason` (on the account, or on `item`)."""
    return Finding(flag, True, reason, params, item)


def resolved(flag: str, *, item: tuple[str, str] | None = None) -> Finding:
    """A finding that resolves `flag` (the evidence says it no longer holds)."""
    return Finding(flag, False, item=item)
