"""`somed backup DEST`: a consistent online copy of the archive, in the storage folder's layout.

1. The database first, with SQLite's online backup API from a read-only connection: a snapshot
   of one moment, taken while the daemon goes on writing (WAL readers never block the writer).
   It is written beside its target and renamed over `DEST/somed.db` only when complete.
2. Then every other file of the storage folder (`media/`, and later screenshots and bundles).
   They are content-addressed and write-once, so what `DEST` already holds (same path, same
   size) is skipped, and only what it lacks is hard-linked (same file system) or copied. A file
   named by its SHA-256 is hashed while copied, or before it is linked: a mismatch is reported
   and not copied. Every file the snapshot refers to was stored before the snapshot, so it is
   in `DEST` when the command ends.

Pointing a config's `[storage] dir` at `DEST` gives an archive whose `export` equals the source's
at the moment of the snapshot. Locks, temporary files and the database's -wal/-shm are not copied.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from storage.db import connect_readonly
from storage.media import _fsync_dir

DB_NAME = "somed.db"
SKIPPED_TOP = {DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", "locks"}
_CONTENT_NAME = re.compile(r"^([0-9a-f]{64})(?:\.[A-Za-z0-9]+)?$")
_CHUNK = 1 << 20


class BackupRefused(Exception):
    """The destination cannot take a backup (inside the archive, not a folder, not writable)."""


@dataclass
class BackupReport:
    """What a backup did: database size, files copied, linked and already present, problems."""

    database_bytes: int = 0
    copied: int = 0
    linked: int = 0
    present: int = 0
    bytes_copied: int = 0
    problems: list[str] = field(default_factory=list)


def backup(storage_dir: Path, dest: Path) -> BackupReport:
    """Copy the archive under `storage_dir` to `dest` (database first, then the files)."""
    source = Path(storage_dir).resolve()
    target = Path(dest).absolute()
    _check_destination(source, target)
    report = BackupReport()
    report.database_bytes = _backup_database(source / DB_NAME, target)
    same_device = os.stat(source).st_dev == os.stat(target).st_dev
    for path in _archive_files(source):
        relative = path.relative_to(source)
        _copy_file(path, target / relative, str(relative), same_device, report)
    return report


def _check_destination(source: Path, target: Path) -> None:
    """Refuse a destination that is the archive itself, lies inside it, or is not a folder."""
    resolved = target.resolve()
    if resolved == source or source in resolved.parents:
        raise BackupRefused(f"{target} is inside the archive {source}; choose a folder outside it")
    if target.exists() and not target.is_dir():
        raise BackupRefused(f"{target} is not a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupRefused(f"{target}: {exc.strerror or exc}") from None


def _backup_database(db_path: Path, target: Path) -> int:
    """Snapshot the database into `target/somed.db`; return its size in bytes."""
    source = connect_readonly(db_path)  # raises ArchiveUnavailable: missing, unreadable, schema
    fd, tmp_name = tempfile.mkstemp(dir=target, prefix=f".{DB_NAME}.", suffix=".tmp")
    os.close(fd)
    try:
        copy = sqlite3.connect(tmp_name)
        try:
            # one step: a snapshot of a single moment; the copy's commit syncs it to disk
            source.conn.backup(copy)
            ok = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
        if ok != "ok":
            raise sqlite3.DatabaseError(f"the copy fails SQLite's quick check: {ok}")
        for stale in (f"{DB_NAME}-wal", f"{DB_NAME}-shm"):  # an old copy's: would corrupt the new
            with contextlib.suppress(FileNotFoundError):
                (target / stale).unlink()
        os.replace(tmp_name, target / DB_NAME)
        _fsync_dir(target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    finally:
        source.close()
    return (target / DB_NAME).stat().st_size


def _archive_files(source: Path) -> Iterator[Path]:
    """Every regular file of the storage folder but the database, locks and temporary files."""
    for top in sorted(source.iterdir()):
        if top.name in SKIPPED_TOP:
            continue
        candidates = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in candidates:
            if path.is_symlink() or not path.is_file():
                continue
            if path.name.startswith((".tmp-", f".{DB_NAME}.")) or path.name.endswith(".part"):
                continue  # written right now, or left by a killed process
            yield path


def _copy_file(
    path: Path, target: Path, name: str, same_device: bool, report: BackupReport
) -> None:
    """Bring one file to `target` unless it is there already; verify content-addressed ones."""
    try:
        size = path.stat().st_size
        if target.is_file() and target.stat().st_size == size:
            report.present += 1
            return
        expected = _CONTENT_NAME.match(path.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if same_device:
            if expected and _sha256(path) != expected.group(1):
                report.problems.append(f"{name}: its content does not match its name (damaged)")
                return
            tmp = target.with_name(f".tmp-{target.name}.part")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.link(path, tmp)
            os.replace(tmp, target)
            report.linked += 1
            return
        digest = _copy_hashing(path, target)
        if expected and digest != expected.group(1):
            target.unlink()
            report.problems.append(f"{name}: its content does not match its name (damaged)")
            return
        report.copied += 1
        report.bytes_copied += size
    except OSError as exc:
        report.problems.append(f"{name}: {exc.strerror or exc}")


def _copy_hashing(path: Path, target: Path) -> str:
    """Copy `path` to `target` through a temporary file (renamed when synced); return SHA-256."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, path.stat().st_mode & 0o777)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
