"""The payload of a bundle: records, media, snapshots, register, run log and events, streamed.

Every piece reads the archive (read-only) a chunk at a time and writes through `Staging`, which
hashes while writing; nothing is held whole except the map of media files the records name
(sha256 -> where the file lies), which the media step and the renditions need.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from somed.bundle.staging import Staging
from somed.export import record_line, selected_items
from storage.media import MEDIA_DIR, extension_for
from storage.runlog import decode_reason

log = logging.getLogger("somed.bundle")

WRITE_BATCH = 1 << 20  # records.jsonl is written in pieces of about this many bytes
JSONL = "application/x-ndjson"
JSON = "application/json"
# the capture file columns, and the name each file has in the bundle's snapshot folder
SNAPSHOT_FILES = (
    ("png_sha256", "screenshot.png", "image/png"),
    ("pdf_sha256", "snapshot.pdf", "application/pdf"),
    ("wacz_sha256", "snapshot.wacz", "application/wacz"),
    ("manifest_sha256", "manifest.json", JSON),
)
Advance = Callable[[int], None]  # told how many more bytes were written


class BundleError(Exception):
    """A bundle could not be built; the message says why in one line."""


@dataclass(frozen=True)
class MediaFile:
    """A media file the records name: where it lies in the store, its type and size."""

    path: str  # relative to the storage folder
    mime_type: str | None
    size: int


@dataclass
class Payload:
    """What was written into the payload, for the README and the format's metadata."""

    items: int = 0
    media: dict[str, MediaFile] = field(default_factory=dict)  # sha256 -> file in the store
    media_paths: dict[str, str] = field(default_factory=dict)  # sha256 -> path in the payload
    media_missing: list[str] = field(default_factory=list)  # sha256 of files not in the store
    snapshots: int = 0
    runs: int = 0
    events: int = 0


def write_records(
    staging: Staging,
    db: Database,
    payload_root: str,
    keys: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    found: Payload,
    advance: Advance,
) -> None:
    """`records.jsonl`: exactly the lines `somed export --account K...` writes for the period."""
    with staging.open(f"{payload_root}/records.jsonl", JSONL, "records") as out:
        pending: list[bytes] = []
        size = 0
        for item in selected_items(db, list(keys), since, until):
            line = record_line(item).encode("utf-8")
            pending.append(line)
            size += len(line)
            found.items += 1
            _note_media(item, found.media)
            if size >= WRITE_BATCH:
                out.write(b"".join(pending))
                advance(size)
                pending, size = [], 0
        out.write(b"".join(pending))
        advance(size)


def _note_media(item: Mapping[str, Any], media: dict[str, MediaFile]) -> None:
    """Add the stored files the item's media (current and earlier versions) name."""
    for entry in _media_entries(item):
        digest = entry.get("sha256")
        if digest and entry.get("path") and digest not in media:
            media[digest] = MediaFile(entry["path"], entry.get("mime_type"), entry.get("size") or 0)


def _media_entries(item: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from item.get("media") or ()
    for version in item.get("versions") or ():
        yield from version.get("media") or ()


def media_bytes(found: Payload) -> int:
    """The bytes the media step will copy (for a progress bar)."""
    return sum(file.size for file in found.media.values())


def write_media(
    staging: Staging, storage_dir: Path, payload_root: str, found: Payload, advance: Advance
) -> None:
    """`media/<sha256><ext>`: every file the records name, copied once, in chunks."""
    for digest in sorted(found.media):
        file = found.media[digest]
        source = storage_dir / file.path
        if not source.is_file():
            log.warning("media file %s named by the records is not in the media store", digest)
            found.media_missing.append(digest)
            continue
        rel = f"media/{digest}{extension_for(file.mime_type)}"
        mime = file.mime_type or "application/octet-stream"
        packed = staging.add_copy(f"{payload_root}/{rel}", source, mime, "media")
        if packed.sha256 != digest:
            raise BundleError(
                f"{source}: the media file's content no longer matches its name (sha256 "
                f"{packed.sha256}): the archive is damaged; restore it from a backup"
            )
        found.media_paths[digest] = rel
        advance(packed.size)


def captures_in(
    db: Database, keys: Sequence[str], since: str | None, until: str | None
) -> list[dict[str, Any]]:
    """The accounts' captures started in the period that made files, oldest first."""
    has_files = " OR ".join(f"{column} IS NOT NULL" for column, _, _ in SNAPSHOT_FILES)
    return [
        dict(row)
        for row in db.query(
            "SELECT * FROM captures WHERE account IN (SELECT value FROM json_each(:keys))"
            " AND (:since IS NULL OR started_at >= :since)"
            f" AND (:until IS NULL OR started_at < :until) AND ({has_files})"
            " ORDER BY started_at, id",
            {"keys": json.dumps(list(keys)), "since": since, "until": until},
        )
    ]


def store_file(storage_dir: Path, digest: str) -> Path | None:
    """The file of `digest` in the media store (any extension), or None."""
    folder = storage_dir / MEDIA_DIR / digest[:2] / digest[2:4]
    found = sorted(p for p in folder.glob(f"{digest}*") if p.is_file())
    return found[0] if found else None


def snapshot_bytes(storage_dir: Path, captures: Sequence[Mapping[str, Any]]) -> int:
    """The bytes the snapshot step will copy (for a progress bar)."""
    total = 0
    for capture in captures:
        for column, _, _ in SNAPSHOT_FILES:
            path = store_file(storage_dir, capture[column]) if capture[column] else None
            total += path.stat().st_size if path else 0
    return total


def write_snapshots(
    staging: Staging,
    storage_dir: Path,
    payload_root: str,
    captures: Sequence[Mapping[str, Any]],
    found: Payload,
    advance: Advance,
) -> None:
    """`snapshots/<account>/<started>-<id>/`: each capture's PNG, PDF/A, WACZ and manifest."""
    for capture in captures:
        started = str(capture["started_at"]).replace("-", "").replace(":", "")
        folder = f"{payload_root}/snapshots/{capture['account']}/{started}-{capture['id']}"
        for column, name, mime in SNAPSHOT_FILES:
            digest = capture[column]
            source = store_file(storage_dir, digest) if digest else None
            if digest and source is None:
                log.warning("capture %s: its %s is not in the media store", capture["id"], name)
            if source is not None:
                advance(staging.add_copy(f"{folder}/{name}", source, mime, "snapshot").size)
        found.snapshots += 1


def write_register(staging: Staging, db: Database, payload_root: str, keys: Sequence[str]) -> None:
    """`register.json`: the accounts' register entries and the history of every field."""
    from storage.register import account_history, register_rows

    rows = register_rows(db)
    document = {
        "accounts": [rows[key] for key in keys if key in rows],
        "history": [row for key in keys for row in account_history(db, key)],
    }
    data = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    staging.write_bytes(f"{payload_root}/register.json", data.encode(), JSON, "log")


def write_runs(
    staging: Staging,
    db: Database,
    payload_root: str,
    keys: Sequence[str],
    since: str | None,
    until: str | None,
    found: Payload,
) -> None:
    """`runs.jsonl`: the accounts' runs started in the period, in the order they started."""
    cursor = db.conn.execute(
        "SELECT * FROM runs WHERE account IN (SELECT value FROM json_each(?))"
        " AND (? IS NULL OR started_at >= ?) AND (? IS NULL OR started_at < ?) ORDER BY id",
        [json.dumps(list(keys)), since, since, until, until],
    )
    columns = [d[0] for d in cursor.description]
    with staging.open(f"{payload_root}/runs.jsonl", JSONL, "log") as out:
        while chunk := cursor.fetchmany(500):
            lines = [_line(decode_reason(dict(zip(columns, row, strict=True)))) for row in chunk]
            out.write(b"".join(lines))
            found.runs += len(lines)


def write_events(
    staging: Staging,
    db: Database,
    payload_root: str,
    keys: Sequence[str],
    since: str | None,
    until: str | None,
    found: Payload,
) -> None:
    """`events.jsonl`: disposal, hold, registration and moderation events of the period, each
    with its audit-log entry (null for a moderation flag somed opened, which is not audited)."""
    from somed.bundle.events import period_events

    with staging.open(f"{payload_root}/events.jsonl", JSONL, "log") as out:
        for event in period_events(db, keys, since, until):
            out.write(_line(event))
            found.events += 1


def _line(row: Mapping[str, Any]) -> bytes:
    return (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
