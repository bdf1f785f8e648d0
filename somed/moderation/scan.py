"""Scanning: every incoming item not yet checked at its sha256 through the detectors.

For each item the findings open flags on the item (`moderation.<category>`, params with spans,
list terms, detector and the sha256 checked: never the text), the item is marked checked at
its sha256, and a flagged item is preserved at once (`preserve`). The same text posted in
`repeat_threshold` incoming items marks all of them `commercial`. An item whose flag of a
category was dismissed is not flagged again for the same terms after an edit.

`after_run` is the runner's hook (after an account's run; it never fails the run); the daemon's
moderation duty calls `scan` to catch up on everything else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from somed.config import Config
from somed.moderation.commercial import links, repeat_key
from somed.moderation.detectors import Detectors
from somed.moderation.findings import Finding
from somed.moderation.preserve import preserve
from storage import moderated
from storage.db import connect, transaction
from storage.flags import open_flag
from storage.media import MediaStore

log = logging.getLogger("somed.moderation")

BATCH = 500
HOOK_LIMIT = 2_000  # what a poll brings; a first archive leaves the rest to the duty (its own lane)
SYSTEM_ACTOR = "moderation"
LONG_REPEAT = 60  # characters: shorter texts repeated by one author are ordinary comments


@dataclass
class ScanReport:
    """What one scan did: items checked, flags opened per category, evidence copies made."""

    checked: int = 0
    flagged: dict[str, int] = field(default_factory=dict)
    preserved: int = 0

    def count(self, category: str) -> None:
        """Count one flag of this category."""
        self.flagged[category] = self.flagged.get(category, 0) + 1


_DETECTORS: dict[int, tuple[Config, Detectors]] = {}


def detectors_for(config: Config) -> Detectors:
    """The detectors of this config (built once per config object)."""
    cached = _DETECTORS.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    settings = config.moderation
    built = Detectors.from_lists(settings.extra_words, settings.files_from(config.path.parent),
                                 settings.commercial_domains)  # fmt: skip
    _DETECTORS.clear()
    _DETECTORS[id(config)] = (config, built)
    return built


class Scanner:
    """Checks pending items of one archive with one config's detectors."""

    def __init__(
        self, config: Config, db: Database, *, clock: Callable[[], datetime],
        detectors: Detectors | None = None,
    ) -> None:  # fmt: skip
        self.config = config
        self.db = db
        self.clock = clock
        self.detectors = detectors or detectors_for(config)
        self.store = MediaStore(config.storage_dir)
        self.report = ScanReport()

    def scan(self, account: str | None = None, *, limit: int | None = None) -> ScanReport:
        """Check pending incoming items (of one account, or of all), at most `limit` of them."""
        # listed once, read a batch at a time: asking for the next batch of pending items
        # again and again passed over every item checked before it (a long scan was quadratic)
        waiting = moderated.pending_rowids(self.db, account, limit=limit)
        for start in range(0, len(waiting), BATCH):
            items = moderated.items_at(self.db, waiting[start : start + BATCH])
            if items:
                self._batch(items)
        return self.report

    def _batch(self, items: list[dict[str, Any]]) -> None:
        found = [(item, self.detectors.detect(item["text"])) for item in items]
        now = self.clock()
        repeated: dict[str, list[tuple[dict[str, Any], dict[str, Finding]]]] = {}
        keys = [repeat_key(item["text"]) for item, _ in found]
        checked = [(item, key, list(findings))
                   for (item, findings), key in zip(found, keys, strict=True)]  # fmt: skip
        with transaction(self.db):
            moderated.mark_checked(self.db, checked, now=now)
            for (item, findings), key in zip(found, keys, strict=True):
                opened = [f for f in findings.values() if self._flag(item, f, now)]
                if key is not None:
                    repeated.setdefault(key, []).append((item, findings))
                if opened and preserve(self.db, self.config, self.store, item,
                                       [f.category for f in opened], now) is not None:  # fmt: skip
                    self.report.preserved += 1
                self.report.checked += 1
            # once per text of the batch, not once per item: a common text stands in thousands
            # of items, and asking for all its copies for each of them made a scan quadratic
            for key, group in repeated.items():
                self._repeats(key, group, now)

    def _flag(self, item: dict[str, Any], finding: Finding, now: datetime) -> bool:
        """Open the finding's flag unless an editor dismissed it for the same terms."""
        ref = (item["platform"], item["id"])
        if set(finding.terms) <= _dismissed_terms(self.db, ref, finding.category):
            return False
        open_flag(self.db, item["account"], finding.category,
                  reason=f"moderation.{finding.category}", params=finding.params(item["sha256"]),
                  item=ref, now=now, by=SYSTEM_ACTOR)  # fmt: skip
        self.report.count(finding.category)
        return True

    def _repeats(
        self, key: str, group: list[tuple[dict[str, Any], dict[str, Finding]]], now: datetime
    ) -> None:
        """Flag the copies of a text posted again and again (see `spam_copies`) `commercial`;
        `group` are this batch's items with the text (`key`) and their findings."""
        selling = any("commercial" in findings or bool(links(item["text"].lower()))
                      for item, findings in group)  # fmt: skip
        if not selling and not any(_long_with_author(item) for item, _ in group):
            # a text that does not sell is spam only through long copies with an author; none
            # came in this batch, so whatever they make spam was found when they came
            return
        # the copies that can make it spam: all of a text that sells, else the long ones
        shortest = 0 if selling else LONG_REPEAT
        copies = spam_copies(moderated.same_text(self.db, key, min_length=shortest),
                             self.config.moderation.repeat_threshold, selling=selling)
        if not copies:
            return
        # an item of the batch that sells has its own commercial flag (`_flag`)
        own = {(item["platform"], item["id"]) for item, findings in group
               if "commercial" in findings}  # fmt: skip
        flagged = moderated.items_with_flag(
            self.db, [(c["platform"], c["item_id"]) for c in copies], "commercial"
        )
        for copy in copies:
            ref = (copy["platform"], copy["item_id"])
            if ref in own or ref in flagged:
                continue
            finding = Finding("commercial", "repeat", [(0, int(copy["length"] or 0))],
                              ["repeated_text"])  # fmt: skip
            params = {**finding.params(copy["sha256"]), "copies": len(copies)}
            open_flag(self.db, copy["account"], "commercial", reason="moderation.commercial",
                      params=params, item=ref, now=now, by=SYSTEM_ACTOR)  # fmt: skip
            self.report.count("commercial")


def spam_copies(
    copies: list[dict[str, Any]], threshold: int, *, selling: bool
) -> list[dict[str, Any]]:
    """The copies of one text that make it spam.

    People repeat short thanks and copy a neighbour's question, so a text is spam only when it
    stands in `threshold` items in more than one thread and either sells (a link or a sales
    word), or one author posted it, at least LONG_REPEAT characters long, in `threshold`
    threads (so for a text that does not sell, its long copies with an author decide alone).
    """
    if len(copies) < threshold or len({c["thread_id"] for c in copies}) < 2:
        return []
    if selling:
        return copies
    by_author: dict[str, list[dict[str, Any]]] = {}
    for copy in copies:
        if copy["author_id"] and int(copy["length"] or 0) >= LONG_REPEAT:
            by_author.setdefault(copy["author_id"], []).append(copy)
    return [
        copy
        for same in by_author.values()
        if len({c["thread_id"] for c in same}) >= threshold
        for copy in same
    ]


def _long_with_author(item: dict[str, Any]) -> bool:
    """True for an item whose text may make a repeated text spam without selling."""
    return bool(item.get("author_id")) and len(item["text"] or "") >= LONG_REPEAT


def _dismissed_terms(db: Database, ref: tuple[str, str], flag: str) -> set[str]:
    """The terms of this item's flags of this name that an editor dismissed (empty if none)."""
    terms: set[str] = set()
    for (details,) in db.execute(
        "SELECT details FROM flags WHERE platform = ? AND item_id = ? AND flag = ?"
        " AND resolution = 'dismissed'",
        [ref[0], ref[1], flag],
    ):
        try:
            terms |= set(json.loads(details or "{}").get("terms") or [])
        except (ValueError, AttributeError):
            continue
    return terms


def after_run(config: Config, account: str, *, clock: Callable[[], datetime]) -> ScanReport | None:
    """Check the account's new and edited incoming items after its run; never raises."""
    if not config.moderation.enabled:
        return None
    try:
        db = connect(config.db_path)
        try:
            report = Scanner(config, db, clock=clock).scan(account, limit=HOOK_LIMIT)
        finally:
            db.close()
    except Exception as exc:  # moderation must never fail an archive run: the duty retries
        log.warning("%s: moderation could not check the run's items: %s: %s", account,
                    type(exc).__name__, " ".join(str(exc).split()),
                    extra={"account": account, "event": "moderation_failed"})  # fmt: skip
        return None
    if report.checked:
        log.info("%s: moderation checked %d items, flags %s, %d preserved", account,
                 report.checked, report.flagged or "none", report.preserved,
                 extra={"account": account, "event": "moderation_checked"})  # fmt: skip
    return report
