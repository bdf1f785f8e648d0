"""Storage failures in plain words: a full disk or an I/O error, with a reason code each."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

_SQLITE_FULL = 13
_SQLITE_IOERR = 10
_SQLITE_READONLY = 8
_SQLITE_CANTOPEN = 14
_SQLITE_CORRUPT = 11
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


class StorageError(Exception):
    """The archive could not be written: the open batch was rolled back, nothing stored is lost.

    `reason` is `storage.disk_full` or `storage.io`; `params` name the folder and the OS's words.
    """

    def __init__(self, message: str, *, reason: str, params: dict[str, Any]) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = params

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.reason, self.params))


def _rebuild(cls: type[StorageError], message: str, reason: str, params: dict[str, Any]) -> Any:
    """A StorageError again after pickling (a writer process sends it to the runner)."""
    error = Exception.__new__(cls)
    Exception.__init__(error, message)
    error.reason, error.params = reason, params
    return error


def storage_error(exc: BaseException, where: Path) -> StorageError | None:
    """The plain-words storage error that `exc` means, or None when it is not about the disk."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS or primary == _SQLITE_FULL:
        return StorageError(
            f"disk full: the archive in {where} could not be written (free space on that disk; "
            "the next run continues where this one stopped, nothing stored was lost)",
            reason="storage.disk_full",
            params={"path": str(where)},
        )
    if isinstance(exc, OSError) or (
        isinstance(exc, sqlite3.Error)
        and primary in (_SQLITE_IOERR, _SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_CORRUPT)
    ):
        detail = getattr(exc, "strerror", None) or str(exc)
        return StorageError(
            f"the archive in {where} could not be written: {detail} (check the disk and the "
            "folder's permissions; nothing stored was lost)",
            reason="storage.io",
            params={"path": str(where), "error": detail},
        )
    return None
