"""A package under construction: a hidden folder beside its destination, moved into place whole.

Every file is hashed (SHA-256, and SHA-512 for a format that lists it: BagIt) and counted while
it is written, so no file is read twice to make the manifests. Media and snapshots are copied
in chunks, never linked: a bundle handed to a registrar must not share its files (inodes) with
the archive, or a change to the one would change the other. Until `finish`, the package lives
in `.<id>.partial-<pid>-<random>` in the destination folder, so a build that is killed never
leaves anything that looks finished; the next build removes partial folders whose process is
gone.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from connectors.model import utc_iso
from somed.bundle.model import PackedFile, Role

CHUNK = 1 << 20
PARALLEL_HASH = 1 << 18  # chunks at least this large get their SHA-512 in a second thread
PARTIAL_MARK = ".partial-"
_PARTIAL_NAME = re.compile(r"^\..+\.partial-(\d+)-")
# Already compressed: stored in a ZIP as they are (deflating them costs time and saves nothing).
_STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".webm", ".pdf", ".wacz",
                    ".zip", ".gz", ".mov", ".m4a", ".mp3"}  # fmt: skip


class BundleExists(Exception):
    """The destination already holds a package of that name."""


@functools.cache
def _second_hasher() -> concurrent.futures.ThreadPoolExecutor:
    """One thread for the SHA-512 of large chunks (hashlib lets go of the GIL while hashing)."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="somed-sha512")


class HashingWriter:
    """A binary file being written into the package, hashed and counted as it is written.

    A large chunk's SHA-512 is computed in a second thread while this one writes the chunk and
    computes its SHA-256, so copying media uses two cores (the SHA-512 alone is slower than the
    write and the SHA-256 together).
    """

    def __init__(self, handle: BinaryIO, *, sha512: bool = True) -> None:
        self._handle = handle
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512() if sha512 else None
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write `data` and add it to the hashes."""
        if self._sha512 is None:
            self._handle.write(data)
            self._sha256.update(data)
        elif len(data) >= PARALLEL_HASH:
            other = _second_hasher().submit(self._sha512.update, data)
            self._handle.write(data)
            self._sha256.update(data)
            other.result()
        else:
            self._handle.write(data)
            self._sha256.update(data)
            self._sha512.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Flush the underlying file."""
        self._handle.flush()

    def writable(self) -> bool:
        """A file object that can be written (for libraries that ask)."""
        return True

    def seekable(self) -> bool:
        """Never seekable: the hashes follow the order of writing."""
        return False

    def digests(self) -> tuple[str, str]:
        """The SHA-256 and SHA-512 of what was written so far (hex; "" when not computed)."""
        return self._sha256.hexdigest(), self._sha512.hexdigest() if self._sha512 else ""


class Staging:
    """A package being built under `out_dir`, with the root folder `package_id`."""

    def __init__(
        self, out_dir: Path, package_id: str, now: str | None = None, *, sha512: bool = True
    ) -> None:
        self.out_dir = Path(out_dir).absolute()
        self.package_id = package_id
        self.now = now
        self.sha512 = sha512  # False: the files' SHA-512 is not computed (left "")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(self.out_dir)
        self._temp = Path(
            tempfile.mkdtemp(dir=self.out_dir, prefix=f".{package_id}{PARTIAL_MARK}{os.getpid()}-")
        )
        self.root = self._temp / package_id
        self.root.mkdir()
        self.files: list[PackedFile] = []

    def path(self, rel: str) -> Path:
        """The absolute path of `rel` inside the package (refusing paths that leave it)."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"not a path inside the package: {rel!r}")
        return self.root.joinpath(*pure.parts)

    @contextlib.contextmanager
    def open(self, rel: str, mime_type: str, role: Role) -> Iterator[HashingWriter]:
        """Write a file at `rel`; it is recorded (with its hashes) when the block ends."""
        with self._write(rel) as writer:
            yield writer
        self.files.append(self._packed(rel, writer, mime_type, role))

    @contextlib.contextmanager
    def _write(self, rel: str) -> Iterator[HashingWriter]:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as handle:
            yield HashingWriter(handle, sha512=self.sha512)

    def write_bytes(self, rel: str, data: bytes, mime_type: str, role: Role) -> PackedFile:
        """Write `data` as the file `rel`."""
        with self.open(rel, mime_type, role) as writer:
            writer.write(data)
        return self.files[-1]

    def add_copy(
        self, rel: str, source: Path, mime_type: str, role: Role, *, record: bool = True
    ) -> PackedFile:
        """Copy `source` into the package as `rel`, in chunks, hashing as it goes.

        With `record=False` the file is not added to `files`: the caller adds it (a copy made
        in another thread is listed where the builder puts it, not when it happens to end).
        """
        with self._write(rel) as writer, open(source, "rb") as handle:
            while chunk := handle.read(CHUNK):
                writer.write(chunk)
        packed = self._packed(rel, writer, mime_type, role)
        if record:
            self.files.append(packed)
        return packed

    def _packed(self, rel: str, writer: HashingWriter, mime_type: str, role: Role) -> PackedFile:
        sha256, sha512 = writer.digests()
        created = self.now or utc_iso(_utc_now()) or ""
        return PackedFile(rel, writer.size, sha256, sha512, mime_type, created, role)

    def finish(self, *, as_zip: bool = False) -> Path:
        """Move the finished package into place (a folder, or a ZIP of it); return its path."""
        target = self.out_dir / (f"{self.package_id}.zip" if as_zip else self.package_id)
        if target.exists():
            raise BundleExists(str(target))
        _fsync_tree(self.root)
        if as_zip:
            partial_zip = self._temp / f"{self.package_id}.zip"
            _zip_folder(self.root, partial_zip)
            os.replace(partial_zip, target)
        else:
            os.rename(self.root, target)
        _fsync_dir(self.out_dir)
        shutil.rmtree(self._temp, ignore_errors=True)
        return target

    def abort(self) -> None:
        """Remove everything written so far."""
        shutil.rmtree(self._temp, ignore_errors=True)


def remove_stale_partials(out_dir: Path) -> int:
    """Remove partial packages whose building process no longer runs; return how many went."""
    removed = 0
    for entry in Path(out_dir).iterdir() if Path(out_dir).is_dir() else ():
        match = _PARTIAL_NAME.match(entry.name)
        if match and entry.is_dir() and not process_alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def process_alive(pid: int) -> bool:
    """True when a process with this id exists (this one counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _zip_folder(root: Path, target: Path) -> None:
    """Write `root` (the package folder) into the ZIP `target`, with the folder as its one top."""
    with open(target, "xb") as handle:
        with zipfile.ZipFile(handle, "w", allowZip64=True) as archive:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                name = f"{root.name}/{path.relative_to(root).as_posix()}"
                stored = path.suffix.lower() in _STORED_SUFFIXES
                archive.write(path, name, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_tree(root: Path) -> None:
    """Make every file and folder of the package durable before it is moved into place."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(folder))


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _utc_now():  # noqa: ANN202 - a datetime; kept apart so tests can read the module plainly
    from datetime import UTC, datetime

    return datetime.now(UTC)
