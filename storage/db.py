"""Open the somed SQLite database with the right pragmas and bring its schema up to date."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000

PRAGMAS: tuple[tuple[str, str], ...] = (
    ("busy_timeout", str(BUSY_TIMEOUT_MS)),
    ("foreign_keys", "ON"),
    ("synchronous", "NORMAL"),
)


def connect(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path`, set pragmas, apply pending migrations."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    try:
        for name, value in PRAGMAS:
            db.execute(f"PRAGMA {name}={value}")
        _retry_locked(lambda: _enable_wal(db))
        apply_migrations(db)
    except BaseException:
        db.close()
        raise
    return db


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations under one write lock; return the names applied (race-safe)."""
    from storage.migrations import MIGRATIONS

    if not MIGRATIONS.pending(db):
        return []

    def run() -> list[str]:
        with transaction(db):
            names = [m.name for m in MIGRATIONS.pending(db)]
            MIGRATIONS.apply(db)
        return names

    return _retry_locked(run)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Run a block as one write transaction (`BEGIN IMMEDIATE`), or as a savepoint when nested."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def insert_rows(
    db: sqlite_utils.Database, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows with multi-row VALUES statements: one FTS flush per statement, not per row."""
    limit = db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(500, limit // len(columns)))
    row_marks = f"({', '.join('?' * len(columns))})"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        db.conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join([row_marks] * len(chunk)),
            [value for row in chunk for value in row],
        )


def integrity_ok(db: sqlite_utils.Database) -> bool:
    """Return True when `PRAGMA integrity_check` reports exactly "ok"."""
    rows = db.execute("PRAGMA integrity_check").fetchall()
    return [tuple(r) for r in rows] == [("ok",)]


def _enable_wal(db: sqlite_utils.Database) -> None:
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        db.enable_wal()


def _retry_locked(action: Callable[[], T], attempts: int = 5) -> T:
    """Retry `action` when SQLite reports a lock the busy handler could not wait out."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (2**attempt))
    raise AssertionError("unreachable")
