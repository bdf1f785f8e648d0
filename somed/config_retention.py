"""The `[retention]` table: the retention schedule's rules (gallring), checked at start.

One `[[retention.rules]]` per row of the municipality's retention schedule: a name, the decision
it rests on, a selector and exactly one action (`keep`, `dispose_after`,
`dispose_when_not_current`). Two rules that can select the same item with different actions
are refused unless their `priority` differs (the higher wins); overlap is decided from the
selectors alone (see `selectors_overlap`). See docs/retention.md.
"""

from __future__ import annotations

import re
from typing import Any

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.model import DIRECTIONS, KINDS
from somed.config_errors import _invalid

_PERIOD = re.compile(r"^([1-9][0-9]{0,4})([dwmy])$")
_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
VALUE_SELECTORS = ("platform", "account", "kind", "direction")
BOOL_SELECTORS = ("registered", "deleted")
ACTIONS = ("keep", "dispose_after", "dispose_when_not_current")


def parse_period(text: str) -> relativedelta:
    """A period such as "30d", "12w", "6m" or "2y" as calendar arithmetic; ValueError if not."""
    found = _PERIOD.match(text)
    if found is None:
        raise ValueError(text)
    return relativedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _period_checked(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_period(value)
        except ValueError:
            raise _invalid(
                f"{value[:30]!r} is not a period",
                'write a number and d, w, m or y, e.g. "30d", "6m" or "2y"',
            ) from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


class RetentionRule(_Strict):
    """`[[retention.rules]]`: one row of the retention schedule: selector, action, decision."""

    name: str
    decision: str
    priority: int = 0
    platform: str | list[str] | None = None
    account: str | list[str] | None = None
    kind: str | list[str] | None = None
    direction: str | list[str] | None = None
    flags: list[str] | None = None
    registered: bool | None = None
    deleted: bool | None = None
    older_than: str | None = None
    keep: bool | None = None
    dispose_after: str | None = None
    dispose_when_not_current: bool | None = None

    @field_validator("name", "decision")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise _invalid("must not be empty", 'e.g. decision = "KS 2023/1285 §4"')
        return value

    @field_validator("platform", "account", "kind", "direction")
    @classmethod
    def _values(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and not value:
            raise _invalid("must not be empty", "leave the key out to select every value")
        return value

    @field_validator("kind")
    @classmethod
    def _kinds(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _known(value, KINDS)

    @field_validator("direction")
    @classmethod
    def _directions(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _known(value, DIRECTIONS)

    @field_validator("older_than", "dispose_after")
    @classmethod
    def _periods(cls, value: str | None) -> str | None:
        return _period_checked(value)

    @model_validator(mode="after")
    def _one_action(self) -> RetentionRule:
        chosen = [a for a in ACTIONS if getattr(self, a) not in (None, False)]
        if len(chosen) != 1:
            problem = (
                f"rule {self.name!r} has no action"
                if not chosen
                else f"rule {self.name!r} has {len(chosen)} actions ({', '.join(chosen)})"
            )
            raise _invalid(problem, "give exactly one of keep = true, dispose_after = \"2y\" or"
                           " dispose_when_not_current = true")  # fmt: skip
        return self

    @property
    def action(self) -> str:
        """The rule's action: `keep`, `dispose_after` or `dispose_when_not_current`."""
        return next(a for a in ACTIONS if getattr(self, a) not in (None, False))

    def action_key(self) -> tuple[str, Any]:
        """The action with its value, to tell whether two rules do the same."""
        return self.action, getattr(self, self.action)

    def values(self, key: str) -> frozenset[str] | None:
        """The values a value selector allows (None: every value)."""
        value = getattr(self, key)
        if value is None:
            return None
        return frozenset([value] if isinstance(value, str) else value)


def _known(value: str | list[str] | None, known: tuple[str, ...]) -> str | list[str] | None:
    for name in [value] if isinstance(value, str) else value or []:
        if name not in known:
            raise _invalid(f"unknown value {name!r}", f"choose from {', '.join(known)}")
    return value


def selectors_overlap(a: RetentionRule, b: RetentionRule) -> bool:
    """True when some item could match both rules, judged from their selectors alone.

    Value selectors (platform, account, kind, direction) are disjoint when their sets do not
    intersect, `registered` and `deleted` when both are set and differ. `flags` never separate
    two rules (an item may carry several flags), nor does `older_than` (an old enough item is
    older than both ages).
    """
    for key in VALUE_SELECTORS:
        mine, theirs = a.values(key), b.values(key)
        if mine is not None and theirs is not None and not mine & theirs:
            return False
    for key in BOOL_SELECTORS:
        mine_b, theirs_b = getattr(a, key), getattr(b, key)
        if mine_b is not None and theirs_b is not None and mine_b != theirs_b:
            return False
    return True


class RetentionConfig(_Strict):
    """`[retention]`: whether the daemon disposes on its own, and the retention schedule."""

    auto_apply: bool = False
    not_current_after: str = "1y"
    rules: list[RetentionRule] = Field(default_factory=list)

    @field_validator("not_current_after")
    @classmethod
    def _period(cls, value: str) -> str:
        return _period_checked(value) or value

    @model_validator(mode="after")
    def _no_conflicts(self) -> RetentionConfig:
        for i, rule in enumerate(self.rules):
            for other in self.rules[:i]:
                if rule.name == other.name:
                    raise _invalid(f"rule name {rule.name!r} is used twice", "give each rule"
                                   " its own name", at=f"rules[{i}].name")  # fmt: skip
                if (rule.priority == other.priority and rule.action_key() != other.action_key()
                        and selectors_overlap(rule, other)):  # fmt: skip
                    raise _invalid(
                        f"rules {other.name!r} and {rule.name!r} can select the same items with"
                        " different actions",
                        "narrow one selector, or give the one that should win a higher priority",
                        at=f"rules[{i}].priority",
                    )
        return self

    def by_priority(self) -> list[RetentionRule]:
        """The rules, the highest priority first (config order among equals)."""
        return sorted(self.rules, key=lambda r: -r.priority)
