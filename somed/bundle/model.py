"""What a bundle is made of: the request, the files written into it, and what it describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

Format = Literal["fgs", "bagit"]
FORMATS: tuple[Format, ...] = ("fgs", "bagit")

# What a file is for, in the package (the METS file groups and the README follow these).
Role = Literal[
    "records",  # records.jsonl: the record contract, as `somed export` writes it
    "rendition",  # the human-readable rendition (HTML, PDF/A)
    "media",  # media files referenced by the records, by content hash
    "snapshot",  # a capture's PNG, PDF/A, WACZ and manifest
    "log",  # register entry, run log, events with their audit entries
    "documentation",  # README files, checksum list
    "schema",  # XML schemas (FGS)
    "metadata",  # descriptive and preservation metadata (FGS)
    "mets",  # a METS file (FGS)
    "tag",  # a BagIt tag file
]


@dataclass(frozen=True)
class Organisation:
    """The submitting organisation, from `[organisation]` in the config."""

    name: str
    identification_code: str  # e.g. the organisation number (organisationsnummer)


@dataclass(frozen=True)
class BundleRequest:
    """What to bundle: accounts (empty: every account), half-open period [since, until), format."""

    accounts: tuple[str, ...]
    since: datetime | None = None
    until: datetime | None = None
    format: Format = "fgs"
    zip: bool = False
    out: Path | None = None  # default: <storage.dir>/bundles/<package id>[.zip]


@dataclass(frozen=True)
class PackedFile:
    """A file written into a package: its path (POSIX, relative to the package root), size,
    SHA-256 and SHA-512 (computed while it was written; SHA-512 "" where the format lists only
    SHA-256), MIME type, creation time and role."""

    path: str
    size: int
    sha256: str
    sha512: str
    mime_type: str
    created: str  # UTC, ISO 8601 with Z
    role: Role


@dataclass
class BundleInfo:
    """What the package describes: its id, the submitting organisation, the software, the
    accounts (their register entries) and the period; filled by the builder before the format's
    own files are written."""

    package_id: str  # also the name of the package's root folder (METS OBJID, BagIt bag name)
    label: str  # a human title, e.g. "Mora kommun – mora-fb – 2026-01-01–2026-07-01"
    format: Format
    created_at: str  # UTC, ISO 8601 with Z
    organisation: Organisation
    software: str  # "somed"
    software_version: str
    accounts: list[dict[str, Any]]  # register rows of the accounts in the bundle
    since: str | None  # UTC ISO or None (from the first record)
    until: str | None  # UTC ISO or None (up to the bundle's creation)
    items: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # per role: how many files
