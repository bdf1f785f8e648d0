"""SQLite and files on disk: the archive's storage layer (knows nothing about platforms)."""

from __future__ import annotations

from storage.db import connect, integrity_ok, transaction
from storage.media import MediaStore, StoredMedia
from storage.runlog import RunLog
from storage.writer import ArchiveWriter, WriteStats

__all__ = [
    "ArchiveWriter",
    "MediaStore",
    "RunLog",
    "StoredMedia",
    "WriteStats",
    "connect",
    "integrity_ok",
    "transaction",
]
