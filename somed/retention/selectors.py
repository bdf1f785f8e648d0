"""Which rule decides an item: the selectors of `[[retention.rules]]` tested on an item's facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from connectors.model import utc_iso
from somed.config_retention import VALUE_SELECTORS, RetentionRule, parse_period


class ItemFacts(NamedTuple):
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

    def category(self) -> tuple[object, ...]:
        """Every fact a selector looks at but the age: items alike here match alike."""
        return (self.platform, self.account, self.kind, self.direction, self.deleted,
                self.flags, self.registered)  # fmt: skip


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

    def matches_category(self, item: ItemFacts) -> bool:
        """True when the rule selects `item` as far as anything but its age goes."""
        rule = self.rule
        for key, allowed in self.values:
            if getattr(item, key) not in allowed:
                return False
        if self.flags is not None and not self.flags & item.flags:
            return False
        if rule.registered is not None and item.registered != rule.registered:
            return False
        return rule.deleted is None or item.deleted == rule.deleted

    def matches(self, item: ItemFacts) -> bool:
        """True when the rule selects `item`."""
        return self.matches_category(item) and (
            self.created_by is None or item.created_at <= self.created_by
        )


def cutoff(period: str, now: datetime) -> str:
    """`now` minus `period` (calendar months and years), as the archive stores times."""
    return utc_iso(now - parse_period(period)) or ""


class Decider:
    """Finds the rule that decides each item (selectors ordered by priority), remembering
    which rules can match each category of item so that most items cost one lookup."""

    def __init__(self, selectors: Sequence[Selector]) -> None:
        self.selectors = list(selectors)
        self._by_category: dict[tuple[object, ...], list[tuple[int, str | None]]] = {}

    def rule_of(self, item: ItemFacts) -> int | None:
        """The index of the rule that decides `item`, or None when no rule selects it."""
        category = item.category()
        candidates = self._by_category.get(category)
        if candidates is None:
            candidates = self._by_category[category] = [
                (index, s.created_by) for index, s in enumerate(self.selectors)
                if s.matches_category(item)
            ]  # fmt: skip
        created = item.created_at
        for index, created_by in candidates:
            if created_by is None or created <= created_by:
                return index
        return None
