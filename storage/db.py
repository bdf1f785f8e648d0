"""Open the somed SQLite database: read-write (pragmas, WAL, migrations) or read-only."""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
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


class ArchiveUnavailable(Exception):
    """The archive cannot be opened read-only; `reason` says why, the message in one line.

    Reasons: `missing` (no database file), `older` (migrations pending: an older somed wrote it),
    `newer` (it holds migrations this somed does not know), `unreadable` (permissions, not a
    database, I/O error).
    """

    def __init__(self, path: Path, reason: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = Path(path)
        self.reason = reason


def connect_readonly(path: Path) -> sqlite_utils.Database:
    """Open the database at `path` read-only: no migrations, no journal-mode change, no writes.

    Works beside a running daemon (WAL readers never block writers) and for any user who may
    read the storage folder. When the folder is not writable and no `-wal` file exists (no
    process has the archive open), SQLite cannot create the shared-memory file a WAL reader
    needs, so the file is opened as immutable: nobody is writing it at that moment.
    Raises ArchiveUnavailable when the file is missing, unreadable, or of another schema.
    """
    path = Path(path).absolute()
    try:
        path.stat()
    except FileNotFoundError:
        raise ArchiveUnavailable(path, "missing", "no archive here yet") from None
    except OSError as exc:
        raise ArchiveUnavailable(path, "unreadable", exc.strerror or str(exc)) from None
    try:
        db = _open_readonly(path, immutable=False)
    except sqlite3.Error as first:
        wal = path.with_name(path.name + "-wal")
        if wal.exists() or os.access(path.parent, os.W_OK):
            raise ArchiveUnavailable(path, "unreadable", _sqlite_words(first)) from None
        try:
            db = _open_readonly(path, immutable=True)
        except sqlite3.Error as exc:
            raise ArchiveUnavailable(path, "unreadable", _sqlite_words(exc)) from None
    try:
        _check_schema(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _open_readonly(path: Path, *, immutable: bool) -> sqlite_utils.Database:
    """Open `path` with a `mode=ro` URI and check that it is readable as a database."""
    query = "mode=ro&immutable=1" if immutable else "mode=ro"
    uri = f"file:{urllib.parse.quote(str(path))}?{query}"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return sqlite_utils.Database(conn)


def _check_schema(db: sqlite_utils.Database, path: Path) -> None:
    """Raise ArchiveUnavailable unless the archive's migrations are exactly this somed's."""
    from storage.migrations import MIGRATIONS

    try:
        applied = [m.name for m in MIGRATIONS.applied(db)]
        pending = [m.name for m in MIGRATIONS.pending(db)]
    except sqlite3.Error as exc:
        raise ArchiveUnavailable(path, "unreadable", _sqlite_words(exc)) from None
    known = {m.name for m in MIGRATIONS._migrations}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise ArchiveUnavailable(
            path, "newer", f"the archive was written by a newer somed (schema {unknown[-1]})"
        )
    if pending:
        detail = (
            "not a somed archive (no schema recorded)"
            if not applied
            else f"the archive was written by an older somed (schema {applied[-1]})"
        )
        raise ArchiveUnavailable(path, "older" if applied else "unreadable", detail)


def _sqlite_words(exc: sqlite3.Error) -> str:
    """SQLite's complaint in one line, with the usual causes named."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "unable to open" in text or "readonly" in text:
        text += " (permission denied reading the database or its -wal/-shm files?)"
    return text


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
            list(chain.from_iterable(chunk)),
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
