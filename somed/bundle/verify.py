"""`verify_package`: re-check a bundle (FGS/E-ARK or BagIt, folder or ZIP) by its own manifests.

Only what the package says about itself counts, so a bundle made by another somed version (or
another tool) is checked the same way: the manifests are read first into `Expected` (path ->
digests and sizes, and which manifest said so), then every file of the package is read once,
in 1 MiB chunks, hashed with every algorithm some manifest asks for, and compared. A file named
by a manifest and absent is `missing`; one whose digest or size differs is `altered`; one no
manifest names is `extra`; a manifest line that cannot be read, a path that leaves the package,
an unknown algorithm or a file that cannot be read is `unreadable`. Paths that leave the package
are never opened.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from somed.bundle.verify_source import NotABundle, Source, open_source

__all__ = ["NotABundle", "Problem", "VerifyReport", "verify_package"]

CHUNK = 1 << 20
Kind = Literal["missing", "extra", "altered", "unreadable"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package: its kind, the file (relative to the package root), and
    `reason` (a short code the CLI words: digest, size, unlisted, ...) with `detail` (manifest
    names, numbers or an error message, the same in every language)."""

    kind: Kind
    path: str
    detail: str = ""
    reason: str = ""


@dataclass
class VerifyReport:
    """What `verify_package` found: the format, the package id, how many files (and bytes) were
    checked against a manifest, and every problem."""

    format: str
    package_id: str
    checked: int
    problems: list[Problem]
    bytes: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


@dataclass
class Expected:
    """What the manifests of a package say its files are."""

    digests: dict[str, dict[tuple[str, str], list[str]]] = field(default_factory=dict)
    sizes: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def digest(self, path: str, algorithm: str, value: str, source: str) -> None:
        """`source` says the `algorithm` digest of `path` is `value` (hex)."""
        by_value = self.digests.setdefault(path, {})
        by_value.setdefault((algorithm, value.lower()), []).append(source)

    def size(self, path: str, size: int, source: str) -> None:
        """`source` says `path` is `size` bytes."""
        self.sizes.setdefault(path, {}).setdefault(size, []).append(source)
        self.mention(path)

    def mention(self, path: str) -> None:
        """A manifest names `path` without a digest or size (it must exist)."""
        self.digests.setdefault(path, {})

    def named(self, path: str) -> bool:
        """True when some manifest names `path`."""
        return path in self.digests

    def problem(self, kind: Kind, path: str, detail: str = "", reason: str = "") -> None:
        """Note a problem found while reading the manifests."""
        self.problems.append(Problem(kind, path, detail, reason))


def algorithm_name(label: str) -> str | None:
    """The hashlib name of a checksum type ("SHA-256", "sha256", "MD5" ...), None if unknown."""
    name = label.strip().lower().replace("-", "").replace("_", "")
    return name if name in _ALGORITHMS else None


_ALGORITHMS = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}


def verify_package(path: Path) -> VerifyReport:
    """Check the package at `path` (folder or ZIP, FGS or BagIt); NotABundle if it is neither."""
    from somed.bundle.verify_bagit import read_bagit
    from somed.bundle.verify_mets import read_fgs

    source = open_source(Path(path))
    try:
        files = source.sizes()
        readers: dict[str, Callable[[Source, dict[str, int]], tuple[Expected, set[str]]]] = {
            "bagit": read_bagit,
            "fgs": read_fgs,
        }
        fmt = "bagit" if "bagit.txt" in files else "fgs" if "METS.xml" in files else ""
        if not fmt:
            raise NotABundle("not_a_package", Path(path))
        expected, allowed = readers[fmt](source, files)
        report = check(source, files, expected, allowed)
        report.format = fmt
        report.problems += [Problem("extra", n, reason="outside_top") for n in source.outside]
        report.problems.sort(key=lambda p: (p.path, p.kind))
        return report
    finally:
        source.close()


def check(
    source: Source, files: dict[str, int], expected: Expected, allowed: set[str]
) -> VerifyReport:
    """Compare every file with what `expected` says; files in `allowed` may go unnamed."""
    problems = list(expected.problems)
    checked = octets = 0
    for rel, size in files.items():
        if not expected.named(rel):
            if rel not in allowed:
                problems.append(Problem("extra", rel, reason="unlisted"))
            continue
        found = _check_file(source, rel, size, expected)
        problems.extend(found)
        checked += 1
        octets += max(size, 0)
    for rel, by_value in expected.digests.items():
        if rel not in files:
            sources = sorted({s for names in by_value.values() for s in names})
            sources += sorted({s for names in expected.sizes.get(rel, {}).values() for s in names})
            problems.append(Problem("missing", rel, ", ".join(dict.fromkeys(sources)), "listed"))
    return VerifyReport("", source.package_id, checked, problems, octets)


def _check_file(source: Source, rel: str, size: int, expected: Expected) -> list[Problem]:
    """Hash `rel` once with every algorithm asked for and compare digests and size."""
    wanted = expected.digests[rel]
    hashers = {algorithm: hashlib.new(algorithm) for algorithm, _ in wanted}
    read = 0
    try:
        with source.open(rel) as handle:
            while chunk := handle.read(CHUNK):
                read += len(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
    except zipfile.BadZipFile as exc:
        return [Problem("altered", rel, str(exc), "crc")]
    except (OSError, zlib.error, EOFError) as exc:
        return [Problem("unreadable", rel, str(exc), "io")]
    wrong = [
        source_name
        for (algorithm, value), names in wanted.items()
        if hashers[algorithm].hexdigest() != value
        for source_name in names
    ]
    problems = [Problem("altered", rel, ", ".join(dict.fromkeys(wrong)), "digest")] if wrong else []
    for claimed, names in expected.sizes.get(rel, {}).items():
        if claimed != read:
            problems.append(
                Problem("altered", rel, f"{claimed} ≠ {read} ({', '.join(names)})", "size")
            )
    return problems
