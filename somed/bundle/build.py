"""`build_bundle`: an account's (or every account's) records for a period as one package.

The payload is written first (records, media, snapshots, register, run log, events, the
rendition), then the READMEs, then the format's own files (METS and PREMIS, or the BagIt tag
files) and, for FGS, the checksum list `documentation/sha256sums.txt`. Everything goes
through `Staging`, which hashes while writing and moves the package into place only when it
is complete; on any failure the partial package is removed.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from connectors.model import utc_iso
from somed import __version__
from somed.bundle import content
from somed.bundle.content import BundleError, Payload
from somed.bundle.formats import PackageFormat, package_format
from somed.bundle.model import BundleInfo, BundleRequest, Organisation
from somed.bundle.readme import write_readmes
from somed.bundle.staging import Staging
from somed.config import Config
from storage.db import connect_readonly
from storage.register import register_rows

BUNDLES_DIR = "bundles"
TEXT = "text/plain"

# told (phase, bytes done in that phase, bytes the phase will write or None when unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class BundleResult:
    """A finished package: where it is, its id and format, and what it holds."""

    path: Path
    package_id: str
    format: str
    items: int
    files: int
    bytes: int


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def bundle_keys(config: Config, db: Database, request: BundleRequest) -> list[str]:
    """The accounts of the bundle: those asked for, or every account of the config and register."""
    if request.accounts:
        return list(request.accounts)
    keys = [account.key for account in config.accounts]
    return keys + sorted(set(register_rows(db)) - set(keys))


def default_out(config: Config) -> Path:
    """Where bundles go unless `--out` says otherwise: `<storage.dir>/bundles`."""
    return config.storage_dir / BUNDLES_DIR


def build_bundle(
    config: Config,
    request: BundleRequest,
    *,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> BundleResult:
    """Build the package `request` asks for and return where it is.

    Raises ConfigError without `[organisation]`, BundleError (one line) when the package cannot
    be built, and the storage's own errors when the archive cannot be read.
    """
    organisation = config.organisation_required()
    fmt = package_format(request.format)  # an unknown format fails before anything is opened
    db = connect_readonly(config.db_path)
    try:
        keys = bundle_keys(config, db, request)
        scope = keys[0] if len(keys) == 1 else "all"
        package_id = f"somed-{scope}-{uuid.uuid4()}"
        created = utc_iso(clock()) or ""
        staging = Staging(request.out or default_out(config), package_id, now=created,
                          sha512=fmt.sha512)  # fmt: skip
        try:
            info = _write_package(config, db, request, fmt, keys, staging, organisation,
                                  created, progress or _quiet)  # fmt: skip
            path = staging.finish(as_zip=request.zip)
        except BaseException:
            staging.abort()
            raise
    finally:
        db.close()
    size = sum(f.size for f in staging.files)
    return BundleResult(path, package_id, request.format, info.items, len(staging.files), size)


def _write_package(
    config: Config,
    db: Database,
    request: BundleRequest,
    fmt: PackageFormat,
    keys: list[str],
    staging: Staging,
    organisation: Any,
    created: str,
    progress: Progress,
) -> BundleInfo:
    """Write every file of the package into `staging`; the package's description."""
    payload = fmt.payload_root
    since, until = utc_iso(request.since), utc_iso(request.until)
    found = Payload()
    accounts = _write_payload(config, db, request, keys, staging, payload, found, progress)
    info = BundleInfo(
        package_id=staging.package_id,
        label=_label(organisation.name, keys, request),
        format=request.format,
        created_at=created,
        organisation=Organisation(organisation.name, organisation.identification_code),
        software="somed",
        software_version=__version__,
        accounts=accounts,
        since=since,
        until=until,
        items=found.items,
        counts={"items": found.items, "media": len(found.media_paths),
                "media_missing": len(found.media_missing), "snapshots": found.snapshots,
                "runs": found.runs, "events": found.events},  # fmt: skip
    )
    write_readmes(staging, info, fmt, found, zipped=request.zip)
    progress("metadata", 0, None)
    fmt.finish(staging, info, db)
    if request.format == "fgs":
        _write_checksums(staging, f"{fmt.documentation_root}/sha256sums.txt")
    return info


def _write_payload(
    config: Config,
    db: Database,
    request: BundleRequest,
    keys: list[str],
    staging: Staging,
    payload: str,
    found: Payload,
    progress: Progress,
) -> list[dict[str, Any]]:
    """The payload: records, then the media (copied in a thread) beside the rest; the accounts.

    The records are spilled into threads while `records.jsonl` is written (the archive is read
    once), the PDF workers start meanwhile, and the rendition is made while the media are
    copied.
    """
    from somed.bundle.printable.worker import PdfMaker
    from somed.bundle.rendition import write_renditions
    from somed.bundle.rendition.spill import temporary_spill

    since, until = utc_iso(request.since), utc_iso(request.until)
    export_keys: list[str | None] = list(request.accounts) or [None]  # as `somed export` does
    with temporary_spill() as spill, contextlib.closing(PdfMaker()) as maker:
        records = _advance(progress, "records", None)
        content.write_records(staging, db, payload, export_keys, request.since, request.until,
                              found, records, also=spill.put)  # fmt: skip
        copies = content.plan_media(config.storage_dir, found)
        media = _advance(progress, "media", content.media_bytes(found))
        with content.MediaCopier(staging, payload, copies, media):
            captures = content.captures_in(db, keys, since, until)
            snapshot_bytes = content.snapshot_bytes(config.storage_dir, captures)
            content.write_snapshots(staging, config.storage_dir, payload, captures, found,
                                    _advance(progress, "snapshots", snapshot_bytes))  # fmt: skip
            content.write_register(staging, db, payload, keys)
            content.write_runs(staging, db, payload, keys, since, until, found)
            content.write_events(staging, db, payload, keys, since, until, found)
            accounts = _account_rows(config, db, keys)
            progress("rendition", 0, None)
            write_renditions(staging, db, accounts, since, until, payload=payload,
                             media_paths=found.media_paths, lang="sv", spill=spill,
                             media_sources={c.digest: c.source for c in copies},
                             maker=maker)  # fmt: skip
    return accounts


def _account_rows(config: Config, db: Database, keys: list[str]) -> list[dict[str, Any]]:
    """The register rows of the accounts (the config's entry where the register has none)."""
    rows = register_rows(db)
    found: list[dict[str, Any]] = []
    for key in keys:
        if key in rows:
            found.append(dict(rows[key]))
            continue
        try:
            account = config.account(key)
        except KeyError:
            raise BundleError(f"no account {key!r} in the config or the archive") from None
        found.append({"key": key, "platform": account.platform, "url": account.url,
                      "owner": account.owner, "name": None})  # fmt: skip
    return found


def _label(organisation: str, keys: list[str], request: BundleRequest) -> str:
    """A human title: organisation, accounts, period."""
    start = request.since.date().isoformat() if request.since else "…"
    end = request.until.date().isoformat() if request.until else "…"
    scope = ", ".join(keys) if len(keys) <= 3 else f"{len(keys)} konton"
    return f"{organisation} – {scope} – {start}–{end}"


def _write_checksums(staging: Staging, rel: str) -> None:
    """`sha256sum -c` input over every file written so far (paths from the package root)."""
    lines = [f"{f.sha256}  {f.path}\n" for f in sorted(staging.files, key=lambda f: f.path)]
    staging.write_bytes(rel, "".join(lines).encode("utf-8"), TEXT, "documentation")


def _advance(progress: Progress, phase: str, total: int | None) -> Callable[[int], None]:
    """A counter of one phase's bytes that reports to `progress`."""
    done = 0
    progress(phase, 0, total)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress(phase, done, total)

    return advance


def _quiet(phase: str, done: int, total: int | None) -> None:
    """No progress shown (a service, a script)."""
