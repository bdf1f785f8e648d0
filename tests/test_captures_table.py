"""The `captures` table: rows written once, read back newest first, never changed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.captures import captures_of, get_capture, latest_capture, record_capture
from storage.db import connect

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _row(account: str, started: datetime, verdict: str, **extra: object) -> dict[str, object]:
    return {
        "account": account,
        "platform": "facebook",
        "kind": "account",
        "url_asked": "https://www.facebook.com/mora",
        "url_fetched": "http://127.0.0.1:8710/mora",
        "final_url": "http://127.0.0.1:8710/mora",
        "trigger": "scheduled",
        "started_at": started,
        "finished_at": started + timedelta(seconds=20),
        "verdict": verdict,
        "identity": "anonymous",
        "viewport": "1280x900",
        **extra,
    }


def test_rows_are_recorded_and_found_by_verdict_and_time(tmp_path: Path) -> None:
    db = connect(tmp_path / "somed.db")
    first = record_capture(db, _row("mora", T0, "valid", page_height=31000, tiles=2))
    second = record_capture(
        db,
        _row(
            "mora",
            T0 + timedelta(days=1),
            "invalid",
            reason="capture.login_wall",
            params={"url": "http://127.0.0.1:8710/login"},
        ),
    )
    record_capture(db, _row("other", T0 + timedelta(days=2), "valid"))

    newest = latest_capture(db, "mora")
    assert newest is not None and newest["id"] == second
    assert newest["reason"] == "capture.login_wall"
    assert newest["params"] == {"url": "http://127.0.0.1:8710/login"}
    assert newest["started_at"] == "2026-03-03T09:00:00Z"
    valid = latest_capture(db, "mora", verdict="valid")
    assert valid is not None and valid["id"] == first and valid["page_height"] == 31000
    assert latest_capture(db, "mora", verdict="valid", since=T0 + timedelta(hours=1)) is None
    assert [r["id"] for r in captures_of(db, "mora")] == [first, second]
    assert len(captures_of(db)) == 3
    assert len(captures_of(db, since="2026-03-03T00:00:00Z")) == 2
    assert get_capture(db, first)["tiles"] == 2  # type: ignore[index]


def test_a_capture_row_is_never_changed_or_removed(tmp_path: Path) -> None:
    db = connect(tmp_path / "somed.db")
    capture_id = record_capture(db, _row("mora", T0, "invalid", reason="capture.checkpoint"))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE captures SET verdict = 'valid' WHERE id = ?", [capture_id])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM captures WHERE id = ?", [capture_id])


def test_a_row_with_an_unknown_verdict_is_refused(tmp_path: Path) -> None:
    db = connect(tmp_path / "somed.db")
    with pytest.raises(ValueError, match="verdict"):
        record_capture(db, _row("mora", T0, "maybe"))
    assert captures_of(db) == []
