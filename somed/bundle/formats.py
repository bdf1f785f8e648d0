"""The package formats: where each puts the content, and the format's own files around it."""

from __future__ import annotations

import importlib
from typing import Protocol

from sqlite_utils import Database

from somed.bundle.model import BundleInfo, Format
from somed.bundle.staging import Staging


class PackageFormat(Protocol):
    """A package format: its folders, and `finish`, which writes its own files last."""

    name: Format
    payload_root: str  # where the content goes, e.g. "representations/rep1/data" or "data"
    documentation_root: str  # where the README files go, e.g. "documentation" ("" : the root)
    sha512: bool  # whether the format lists SHA-512 digests (else only SHA-256 is computed)

    def finish(self, staging: Staging, info: BundleInfo, db: Database) -> None:
        """Write the format's own files (METS, PREMIS, schemas; or the BagIt tag files) from
        `staging.files` (the content already written) and `info`; `db` is the archive, read-only."""


# name -> "module:class"; imported only when used
_WRITERS: dict[str, str] = {
    "fgs": "somed.bundle.fgs:FgsFormat",
    "bagit": "somed.bundle.bagit_format:BagitFormat",
}


def package_format(name: Format) -> PackageFormat:
    """The writer of the format `name` (fgs or bagit)."""
    module, _, cls = _WRITERS[name].partition(":")
    return getattr(importlib.import_module(module), cls)()
