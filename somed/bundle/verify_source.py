"""A package to verify, as a folder or a ZIP: its files, read streamed, never extracted."""

from __future__ import annotations

import os
import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class NotABundle(Exception):
    """PATH is not a package at all; `reason` is `not_found`, `not_a_package` or `bad_zip`."""

    def __init__(self, reason: str, path: Path) -> None:
        super().__init__(f"{reason}: {path}")
        self.reason = reason
        self.path = path


class Source:
    """The files of a package (paths POSIX, relative to its root folder) and their contents."""

    package_id: str
    outside: list[str]  # ZIP members that are not under the package's one top folder

    def sizes(self) -> dict[str, int]:
        """Every file of the package and its size, in reading order."""
        raise NotImplementedError

    def open(self, rel: str) -> IO[bytes]:
        """The file `rel`, opened for reading (FileNotFoundError when it is not there)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the ZIP, if any."""


class FolderSource(Source):
    """A package that is a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.package_id = root.name
        self.outside = []

    def sizes(self) -> dict[str, int]:
        """Every file below the folder (symbolic links to folders are not followed)."""
        found: dict[str, int] = {}
        for folder, dirs, names in os.walk(self.root):
            dirs.sort()
            base = Path(folder).relative_to(self.root).as_posix()
            for name in sorted(names):
                rel = name if base == "." else f"{base}/{name}"
                try:
                    found[rel] = os.stat(os.path.join(folder, name)).st_size
                except OSError:
                    found[rel] = -1
        return found

    def open(self, rel: str) -> IO[bytes]:
        """The file `rel` below the folder."""
        return open(self.root.joinpath(*rel.split("/")), "rb")


class ZipSource(Source):
    """A package that is a ZIP holding one top folder, the package root."""

    def __init__(self, path: Path) -> None:
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise NotABundle("bad_zip", path) from exc
        members = [m for m in self.archive.infolist() if not m.is_dir()]
        tops = [m.filename.split("/", 1)[0] for m in members if "/" in m.filename]
        self.package_id = max(set(tops), key=tops.count) if tops else ""
        prefix = f"{self.package_id}/"
        self._members: dict[str, zipfile.ZipInfo] = {}
        self.outside = []
        for member in members:
            if self.package_id and member.filename.startswith(prefix):
                self._members.setdefault(member.filename[len(prefix) :], member)
            else:
                self.outside.append(member.filename)

    def sizes(self) -> dict[str, int]:
        """Every member under the top folder, in the ZIP's order."""
        return {rel: member.file_size for rel, member in self._members.items()}

    def open(self, rel: str) -> IO[bytes]:
        """The member `rel`, decompressed as it is read."""
        member = self._members.get(rel)
        if member is None:
            raise FileNotFoundError(rel)
        return self.archive.open(member)

    def close(self) -> None:
        """Close the ZIP."""
        self.archive.close()


def open_source(path: Path) -> Source:
    """The package at `path` (a folder or a ZIP), or NotABundle."""
    if path.is_dir():
        return FolderSource(path.absolute())
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise NotABundle("not_a_package", path)
        return ZipSource(path)
    raise NotABundle("not_found", path)


def inside(base: str, href: str) -> str | None:
    """`href` (relative to the folder `base`) as a path inside the package, None if it leaves it."""
    if not href or href.startswith(("/", "\\")) or "\\" in href or ":" in href.split("/", 1)[0]:
        return None
    joined = posixpath.normpath(posixpath.join(base, href)) if base else posixpath.normpath(href)
    if joined in (".", "") or joined == ".." or joined.startswith("../"):
        return None
    return joined


def walk_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The lines of a text file (numbered from 1), without their line endings."""
    for number, line in enumerate(handle, start=1):
        yield number, line.rstrip(b"\r\n")
