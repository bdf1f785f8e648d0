"""The archive as the web UI sees it: a read-only connection per thread, writes one at a time.

Pages read through `reader()` (WAL readers never block the daemon); the narrow write paths
(flags, holds, registry numbers, run requests, disposal, users, the audit of views) open
`writer()`, a short read-write connection, as the CLI's write verbs do.
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
        """A read-write connection for one change (one writer in this process at a time)."""
        with self._write_lock:
            db = connect(self.config.db_path)
            try:
                yield db
            finally:
                db.close()
