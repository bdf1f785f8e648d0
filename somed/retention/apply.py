"""Apply a reviewed disposal plan: recompute it, refuse if it changed, else dispose.

The plan is recomputed inside the write transaction that disposes, so nothing can change
between the check and the disposal. After the commit the files no kept item links are
removed (a crash before that leaves a harmless file), the FTS index is merged so the removed
words leave its pages, and the WAL is checkpointed; `secure_delete` overwrites freed pages.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from connectors.model import utc_iso
from somed.config_retention import RetentionConfig
from somed.retention.plan import Plan, plan_from_archive
from storage import disposals
from storage.db import transaction
from storage.media import MediaStore

log = logging.getLogger("somed.retention")


class PlanChanged(Exception):
    """The archive, the rules, the holds or the time changed what the plan disposes of."""

    def __init__(self, asked: str, current: str) -> None:
        super().__init__(asked, current)
        self.asked = asked
        self.current = current  # the id of the plan as it is now


@dataclass(frozen=True)
class Applied:
    """What one apply did: the plan, how many items went, how many files were removed."""

    plan: Plan
    disposed: int
    files_removed: int


def apply_plan(
    db: Database,
    config: RetentionConfig,
    asked_id: str,
    *,
    by: str,
    now: datetime,
    storage_root: Path,
) -> Applied:
    """Dispose of what plan `asked_id` shows, if it is still the plan at `now`; else raise."""
    at = utc_iso(now) or ""
    db.execute("PRAGMA secure_delete = ON")
    try:
        with transaction(db):
            plan = plan_from_archive(db, config, now, with_bytes=False)
            if plan.id != asked_id.strip().lower():
                raise PlanChanged(asked_id, plan.id)
            details = {
                "items": len(plan.disposals), "rules": {t.name: t.due for t in plan.rules if t.due},
                "held": plan.held,
            }  # fmt: skip
            paths = disposals.dispose(db, plan.disposals, plan_id=plan.id, by=by, now=at,
                                      details=details) if plan.disposals else []  # fmt: skip
    finally:
        db.execute("PRAGMA secure_delete = OFF")
    removed = remove_files(db, MediaStore(storage_root), paths)
    if plan.disposals:
        compact_text_index(db)
    return Applied(plan, len(plan.disposals), removed)


def remove_files(db: Database, store: MediaStore, paths: list[str]) -> int:
    """Delete the files of disposed items (media, evidence copies) nothing names again; count."""
    removed = 0
    for path in paths:
        named = db.execute(
            "SELECT 1 FROM media WHERE path = ? UNION ALL"
            " SELECT 1 FROM moderation_evidence WHERE path = ?",
            [path, path],
        ).fetchone()
        if named:
            continue  # the same file was stored again meanwhile: it is someone's now
        with contextlib.suppress(FileNotFoundError, ValueError):
            store.path_of(path).unlink()
            removed += 1
    return removed


def compact_text_index(db: Database) -> None:
    """Merge the FTS index so deleted words leave its pages; checkpoint the WAL (best effort)."""
    try:
        db.execute("PRAGMA secure_delete = ON")
        with transaction(db):
            db.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:  # a later apply merges again; nothing is lost meanwhile
        log.warning("retention: the text index was not merged: %s", exc)
    finally:
        db.execute("PRAGMA secure_delete = OFF")
