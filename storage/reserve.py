"""A little space kept aside in the storage folder, so a run can still record its end on a full
disk.

When the disk fills up in the middle of a run, the batch being stored rolls back, but the run's
end (failed, "disk full", what was stored) must still reach the database, or `somed status`
would show the run as still running. A file of `RESERVE_BYTES` lies beside the database; the
runner removes it when it meets a full disk, records the run's end in the space it freed, and a
later run puts the file back once there is room again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

RESERVE_NAME = ".somed-reserve"
RESERVE_BYTES = 512 * 1024  # enough for a run's end and the account's health, many times over


def ensure_reserve(storage_dir: Path) -> bool:
    """Put the reserve file in place if it is missing; False when there is no room for it."""
    path = storage_dir / RESERVE_NAME
    if path.exists():
        return True
    partial = path.with_suffix(".partial")
    try:
        with open(partial, "wb") as file:
            try:
                os.posix_fallocate(file.fileno(), 0, RESERVE_BYTES)
            except (AttributeError, OSError):  # a file system without fallocate: write zeros
                file.write(bytes(RESERVE_BYTES))
                file.flush()
                os.fsync(file.fileno())
        os.replace(partial, path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
        return False
    return True


def release_reserve(storage_dir: Path) -> bool:
    """Remove the reserve file to free its space; True when there was one."""
    try:
        (storage_dir / RESERVE_NAME).unlink()
    except FileNotFoundError:
        return False
    return True
