"""A content-addressed folder of downloaded media: `media/ab/cd/<sha256>.<ext>` under the root."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, TypeVar

MEDIA_DIR = "media"
PARTIAL_DIR = ".partial"  # downloads under way, before their hash (and so their place) is known
_CHUNK = 1 << 20
T = TypeVar("T")


@dataclass(frozen=True)
class StoredMedia:
    """A file in the media store: its hash, size, type and path relative to the storage root."""

    sha256: str
    size: int
    mime_type: str | None
    path: str


class IncomingFile:
    """A temporary file in the media store that hashes what is written to it, as it is written."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.size = 0
        self.committed = False
        self._handle = handle
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        """Append a chunk (and hash it)."""
        self._hash.update(data)
        self.size += len(data)
        return self._handle.write(data)

    def finish(self) -> tuple[str, int]:
        """Flush the file to disk and close it; return its sha256 and size."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        return self._hash.hexdigest(), self.size

    def discard(self) -> None:
        """Close the file and remove it, unless it was committed to the store."""
        with contextlib.suppress(OSError):
            self._handle.close()
        if not self.committed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


def extension_for(mime_type: str | None) -> str:
    """Return a file extension (with dot) for a MIME type, or ".bin" when unknown."""
    if not mime_type:
        return ".bin"
    base = mime_type.split(";", 1)[0].strip().lower()
    return mimetypes.guess_extension(base, strict=False) or ".bin"


class MediaStore:
    """Content-addressed, write-once storage of media files under `root/"media"`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._folders: set[Path] = set()  # made in this process: no mkdir per file for them

    def put(self, data: bytes, mime_type: str | None) -> StoredMedia:
        """Store `data` atomically (once per content) and return where it lives."""
        with self.incoming() as incoming:
            incoming.write(data)
            return self.commit(incoming, mime_type)

    @contextlib.contextmanager
    def incoming(self) -> Iterator[IncomingFile]:
        """A temporary file in the store to stream a download into; removed unless committed."""
        folder = self.root / MEDIA_DIR / PARTIAL_DIR
        fd, tmp_name = self._again_if_gone(
            folder, lambda: tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
        )
        incoming = IncomingFile(Path(tmp_name), os.fdopen(fd, "wb"))
        try:
            yield incoming
        finally:
            incoming.discard()

    def commit(self, incoming: IncomingFile, mime_type: str | None) -> StoredMedia:
        """Move a fully written incoming file to its content address and return where it lives."""
        digest, size = incoming.finish()
        mime = mime_type.split(";", 1)[0].strip().lower() if mime_type else None
        folder = self.root / MEDIA_DIR / digest[:2] / digest[2:4]
        target = folder / f"{digest}{extension_for(mime)}"
        existing = target if _has_size(target, size) else self._existing(folder, digest, size)
        if existing is not None:
            return StoredMedia(digest, size, mime, self._relative(existing))
        os.chmod(incoming.path, 0o640)  # like the service's UMask=0027: owner and group only
        self._again_if_gone(folder, lambda: os.replace(incoming.path, target))
        incoming.committed = True
        _fsync_dir(folder)
        return StoredMedia(digest, size, mime, self._relative(target))

    def _again_if_gone(self, folder: Path, make: Callable[[], T]) -> T:
        """`make()` a file in `folder`, making the folder first unless this store made it
        already; once more after making it again should it have gone since (removed by hand)."""
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        try:
            return make()
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
            return make()

    def remove_stale_temp(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Delete half-written files left by a killed process; return how many went.

        Only files older than `older_than` go, so a file another live process (the daemon beside
        a manual `somed archive`) is writing right now is left alone.
        """
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        media = self.root / MEDIA_DIR
        leftovers = [*media.glob("*/*/.tmp-*.part"), *media.glob(f"{PARTIAL_DIR}/.tmp-*.part")]
        for leftover in leftovers:
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
        return removed

    def path_of(self, stored_path: str) -> Path:
        """Return the absolute path of a stored relative path, refusing paths outside the root."""
        root = self.root.resolve()
        full = (root / stored_path).resolve()
        if full != root and root not in full.parents:
            raise ValueError(f"path outside the storage root: {stored_path!r}")
        return full

    def verify(self, stored_path: str, sha256: str) -> bool:
        """Return True when the stored file exists and its content hashes to `sha256`."""
        try:
            path = self.path_of(stored_path)
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        except (OSError, ValueError):
            return False
        return digest.hexdigest() == sha256.lower()

    def _existing(self, folder: Path, digest: str, size: int) -> Path | None:
        """Return a complete file already stored for `digest` (any extension), if there is one."""
        if not folder.is_dir():
            return None
        for candidate in sorted(folder.glob(f"{digest}*")):
            if candidate.name.startswith(".tmp-"):
                continue
            with contextlib.suppress(OSError):
                if candidate.stat().st_size == size:
                    return candidate
        return None

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _has_size(path: Path, size: int) -> bool:
    """True when `path` exists with exactly `size` bytes."""
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable by syncing its directory (no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
