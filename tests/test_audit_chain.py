"""The audit log's hash chain: every entry linked to the one before, a removed one is found."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from storage import audit
from storage.db import connect, transaction


def _three_entries(db: sqlite_utils.Database) -> None:
    for n in range(3):
        with transaction(db):
            audit.append(db, [audit.audit_row(f"2026-12-01T10:0{n}:00Z", "anna", "hold_added",
                                              f"hold:{n}", "tvist", {"n": n})])  # fmt: skip


def test_each_entry_carries_the_hash_of_the_one_before(tmp_path: Path):
    db = connect(tmp_path / "somed.db")
    _three_entries(db)
    rows = list(db.query("SELECT id, prev_sha256, sha256 FROM audit_log ORDER BY id"))
    assert [r["prev_sha256"] for r in rows] == ["", rows[0]["sha256"], rows[1]["sha256"]]
    assert audit.verify(db) == (3, [])


def test_a_deleted_entry_is_found_even_when_the_triggers_were_dropped(tmp_path: Path):
    db = connect(tmp_path / "somed.db")
    _three_entries(db)
    db.execute("DROP TRIGGER audit_log_no_delete")  # what someone with sqlite3 could do
    db.execute("DELETE FROM audit_log WHERE id = 2")
    db.conn.commit()
    checked, problems = audit.verify(db)
    assert checked == 2
    assert problems == [audit.ChainProblem(3, "missing_before")]


def test_an_altered_entry_is_found(tmp_path: Path):
    db = connect(tmp_path / "somed.db")
    _three_entries(db)
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET reason = 'ingen' WHERE id = 1")
    db.conn.commit()
    assert audit.verify(db)[1] == [audit.ChainProblem(1, "altered")]


def test_entries_written_before_the_chain_are_chained_by_the_migration(tmp_path: Path):
    path = tmp_path / "somed.db"
    db = sqlite_utils.Database(path)
    from storage.migrations import MIGRATIONS

    MIGRATIONS.apply(db, stop_before="m019_audit_chain")
    db["audit_log"].insert_all(
        [
            {
                "at": "2026-01-01T00:00:00Z",
                "actor": "somed",
                "action": "account_added",
                "target": f"account:k{n}",
            }
            for n in range(2)
        ]  # fmt: skip
    )
    db.close()
    db = connect(path)
    assert audit.verify(db) == (2, [])
    _three_entries(db)
    assert audit.verify(db) == (5, [])
