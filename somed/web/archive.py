"""The archive as the web UI sees it: a read-only connection per thread, writes one at a time.

Pages read through `reader()` (WAL readers never block the daemon); the narrow write paths
(flags, holds, registry numbers, run requests, disposal, users, sign-ins under way, the audit of
views and downloads) go through `writer()`: this thread's read-write connection, opened (and the
migrations checked) once and kept, used by one writer of this process at a time. A block that
leaves a transaction open is rolled back, as closing the connection would; a connection that
failed is closed and opened afresh next time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

from somed.config import Config
from storage.db import connect, connect_readonly


class Archive:
    """Connections to one archive for the web UI's threads."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._local = threading.local()
        self._write_lock = threading.Lock()

    def reader(self) -> Database:
        """This thread's read-only connection (opened on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect_readonly(self.config.db_path)
            self._local.db = db
        return db

    @contextmanager
    def writer(self) -> Iterator[Database]:
        """This thread's read-write connection for one change (one writer at a time here)."""
        with self._write_lock:
            db = getattr(self._local, "writer", None)
            if db is None:
                db = connect(self.config.db_path)
                self._local.writer = db
            try:
                yield db
            except BaseException:
                self._local.writer = None
                db.close()
                raise
            if db.conn.in_transaction:  # what a closed connection would have dropped
                db.conn.rollback()
