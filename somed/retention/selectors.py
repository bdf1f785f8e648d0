"""Which rule decides an item: the selectors of `[[retention.rules]]` tested on an item's facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.model import utc_iso
from somed.config_retention import VALUE_SELECTORS, RetentionRule, parse_period


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the selectors look at in one archived item (no content)."""

    platform: str
    id: str
    account: str
    kind: str
    direction: str
    created_at: str  # UTC ISO; the first time it was seen when the platform gives none
    deleted: bool
    sha256: str
    flags: frozenset[str] = frozenset()
    registered: bool = False


@dataclass(frozen=True)
class Selector:
    """A rule's selector, prepared for testing many items quickly."""

    rule: RetentionRule
    values: tuple[tuple[str, frozenset[str]], ...]
    flags: frozenset[str] | None
    created_by: str | None  # `older_than`: created at or before this time (UTC ISO)

    @classmethod
    def of(cls, rule: RetentionRule, now: datetime) -> Selector:
        """The selector of `rule` at `now`."""
        values = tuple((key, found) for key in VALUE_SELECTORS
                       if (found := rule.values(key)) is not None)  # fmt: skip
        flags = frozenset(rule.flags) if rule.flags is not None else None
        created_by = cutoff(rule.older_than, now) if rule.older_than else None
        return cls(rule, values, flags, created_by)

    def matches(self, item: ItemFacts) -> bool:
        """True when the rule selects `item`."""
        rule = self.rule
        for key, allowed in self.values:
            if getattr(item, key) not in allowed:
                return False
        if self.flags is not None and not self.flags & item.flags:
            return False
        if rule.registered is not None and item.registered != rule.registered:
            return False
        if rule.deleted is not None and item.deleted != rule.deleted:
            return False
        return self.created_by is None or item.created_at <= self.created_by


def cutoff(period: str, now: datetime) -> str:
    """`now` minus `period` (calendar months and years), as the archive stores times."""
    return utc_iso(now - parse_period(period)) or ""


def deciding_rule(selectors: Sequence[Selector], item: ItemFacts) -> int | None:
    """The index of the rule that decides `item` (selectors ordered by priority), or None."""
    for index, selector in enumerate(selectors):
        if selector.matches(item):
            return index
    return None
