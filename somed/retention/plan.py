"""The disposal plan: which items the retention rules dispose of now, a pure computation.

`compute_plan` takes the rules, the holds, the items' facts and the time, and nothing else; the
plan's id is the SHA-256 of what it would dispose of (each item's key and record hash, and the
rules that allow it), so the same archive, rules and clock always give the same id, and
`apply` can tell whether what runs is what was reviewed. `plan_from_archive` reads the facts.

An item is decided by the matching rule of the highest priority (config order among equal
priorities, which the config check allows only for rules with the same action). `keep` never
disposes; `dispose_after` disposes once the item is that old (from its `created_at`);
`dispose_when_not_current` once it is `[retention] not_current_after` old. An item no rule
matches is kept and counted as unmatched. A hold that covers an item always wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from somed.config_retention import RetentionConfig, RetentionRule
from somed.item_ref import format_item
from somed.retention.selectors import Decider, ItemFacts, Selector, cutoff
from storage.disposals import Disposal
from storage.holds import Hold, Key, active_holds, query_matches

PLAN_FORMAT = "somed-retention-plan-1"
ID_LENGTH = 20  # hex digits people copy from `plan` to `apply --plan`
DISMISSED = "dismissed"


@dataclass
class RuleTotals:
    """What one rule does in a plan: items it decides, how many go now, how many a hold keeps."""

    name: str
    decision: str
    action: str
    period: str | None
    matched: int = 0
    due: int = 0
    held: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Plan:
    """A disposal plan: its id, when it was computed, what goes and the totals per rule."""

    id: str
    now: str
    disposals: tuple[Disposal, ...]
    rules: tuple[RuleTotals, ...]
    examined: int
    unmatched: int
    held: int

    def to_json(self) -> dict[str, Any]:
        """The plan as `somed retention plan --json` prints it."""
        return {
            "id": self.id, "now": self.now, "examined": self.examined,
            "unmatched": self.unmatched, "held": self.held, "dispose": len(self.disposals),
            "rules": [vars(totals) for totals in self.rules],
            "items": [{"item": format_item(d.platform, d.item_id), "kind": d.kind,
                       "account": d.account, "rule": d.rule, "sha256": d.sha256}
                      for d in self.disposals],
        }  # fmt: skip


def _due_cutoff(rule: RetentionRule, config: RetentionConfig, now: datetime) -> str | None:
    """Created at or before this (UTC ISO) is due for disposal under `rule`; None: never."""
    if rule.dispose_after is not None:
        return cutoff(rule.dispose_after, now)
    if rule.dispose_when_not_current:
        return cutoff(config.not_current_after, now)
    return None


def plan_id(disposals: Sequence[Disposal], rules: Iterable[RetentionRule]) -> str:
    """The stable id of a plan: SHA-256 of the disposed items' keys and hashes and the rules."""
    digest = hashlib.sha256(f"{PLAN_FORMAT}\n".encode())
    for d in disposals:
        digest.update(f"{d.platform}\t{d.item_id}\t{d.sha256}\t{d.rule}\n".encode())
    used = {d.rule for d in disposals}
    for rule in sorted((r for r in rules if r.name in used), key=lambda r: r.name):
        action, value = rule.action_key()
        digest.update(f"rule\t{rule.name}\t{rule.decision}\t{action}\t{value}\n".encode())
    return digest.hexdigest()[:ID_LENGTH]


def compute_plan(
    config: RetentionConfig,
    items: Iterable[ItemFacts],
    holds: Sequence[Hold],
    matches: Mapping[int, set[Key]],
    now: datetime,
) -> Plan:
    """The plan for these items at `now` (pure: the same inputs give the same plan and id)."""
    rules = config.by_priority()
    decider = Decider([Selector.of(rule, now) for rule in rules])
    due_by = [_due_cutoff(rule, config, now) for rule in rules]
    totals = [RuleTotals(r.name, r.decision, r.action, r.dispose_after or
                         (config.not_current_after if r.dispose_when_not_current else None))
              for r in rules]  # fmt: skip
    disposals: list[Disposal] = []
    examined = unmatched = held = 0
    for item in items:
        examined += 1
        index = decider.rule_of(item)
        if index is None:
            unmatched += 1
            continue
        rule_totals = totals[index]
        rule_totals.matched += 1
        due = due_by[index]
        if due is None or item.created_at > due:
            continue
        key = (item.platform, item.id)
        if any(hold.covers(item.account, item.created_at, key, matches) for hold in holds):
            rule_totals.held += 1
            held += 1
            continue
        rule_totals.due += 1
        rule = rules[index]
        disposals.append(Disposal(item.platform, item.id, item.kind, item.account, rule.name,
                                  rule.decision, item.sha256))  # fmt: skip
    disposals.sort()
    return Plan(plan_id(disposals, rules), utc_iso(now) or "", tuple(disposals),
                tuple(sorted(totals, key=lambda t: t.name)), examined, unmatched, held)  # fmt: skip


def archive_facts(db: Database) -> Iterator[ItemFacts]:
    """The facts of every item not disposed of yet, with its flags and registration."""
    flags = item_flags(db)
    registered = registered_items(db)
    no_flags: frozenset[str] = frozenset()
    names: dict[str, str] = {}  # one string object per platform, account, kind and direction
    rows = db.execute(
        "SELECT platform, id, account, kind, direction, coalesce(created_at, first_seen_at),"
        " deleted_at IS NOT NULL, sha256 FROM items WHERE disposed_at IS NULL"
    )
    for platform, item_id, account, kind, direction, created, deleted, sha in rows:
        platform = names.setdefault(platform, platform)
        key = (platform, item_id)
        yield ItemFacts(platform, item_id, names.setdefault(account, account),
                        names.setdefault(kind, kind), names.setdefault(direction, direction),
                        created, bool(deleted), sha, flags.get(key, no_flags),
                        key in registered)  # fmt: skip


def item_flags(db: Database) -> dict[Key, frozenset[str]]:
    """The flags each item has (open or resolved, not dismissed as wrong)."""
    found: dict[Key, set[str]] = {}
    for platform, item_id, flag in db.execute(
        "SELECT platform, item_id, flag FROM flags WHERE item_id IS NOT NULL"
        f" AND (resolution IS NULL OR resolution != '{DISMISSED}')"
    ):
        found.setdefault((platform, item_id), set()).add(flag)
    return {key: frozenset(names) for key, names in found.items()}


def registered_items(db: Database) -> set[Key]:
    """The items with a registry number."""
    return {(p, i) for p, i in db.execute("SELECT DISTINCT platform, item_id FROM registrations")}


def plan_from_archive(
    db: Database, config: RetentionConfig, now: datetime, *, with_bytes: bool = True
) -> Plan:
    """The plan for the archive in `db` at `now` (with the bytes per rule unless told not to)."""
    holds = active_holds(db)
    plan = compute_plan(config, archive_facts(db), holds, query_matches(db, holds), now)
    if with_bytes and plan.disposals:
        by_rule = {totals.name: totals for totals in plan.rules}
        for start in range(0, len(plan.disposals), 5000):
            chunk = plan.disposals[start : start + 5000]
            sizes = item_bytes(db, [(d.platform, d.item_id) for d in chunk])
            for d in chunk:
                by_rule[d.rule].bytes += sizes.get((d.platform, d.item_id), 0)
    return plan


def item_bytes(db: Database, keys: Sequence[Key]) -> dict[Key, int]:
    """About how many bytes each item holds: its versions' text and raw JSON, its files."""
    found: dict[Key, int] = {}
    for start in range(0, len(keys), 5000):
        chunk = json.dumps(keys[start : start + 5000])
        pairs = ("({p}platform, {p}item_id) IN (SELECT json_extract(value, '$[0]'),"
                 " json_extract(value, '$[1]') FROM json_each(?))")  # fmt: skip
        for platform, item_id, size in db.execute(
            "SELECT platform, item_id, sum(coalesce(length(text), 0) + coalesce(length(raw), 0)"
            " + coalesce(length(extra), 0)) FROM item_versions"
            f" WHERE {pairs.format(p='')} GROUP BY platform, item_id",
            [chunk],
        ):
            found[(platform, item_id)] = int(size or 0)
        for platform, item_id, size in db.execute(
            "SELECT l.platform, l.item_id, sum(m.size) FROM item_media AS l JOIN media AS m"
            f" ON m.sha256 = l.sha256 WHERE {pairs.format(p='l.')} GROUP BY l.platform, l.item_id",
            [chunk],
        ):
            key = (platform, item_id)
            found[key] = found.get(key, 0) + int(size or 0)
    return found
