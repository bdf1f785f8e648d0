"""The payload of a bundle: records, media, snapshots, register, run log and events, streamed.

Every piece reads the archive (read-only) a chunk at a time and writes through `Staging`, which
hashes while writing; nothing is held whole except the map of media files the records name
(sha256 -> where the file lies), which the media step and the renditions need.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from somed.bundle.model import PackedFile
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
    also: Callable[[dict[str, Any], str], None] | None = None,
) -> None:
    """`records.jsonl`: exactly the lines `somed export --account K...` writes for the period.

    `also(item, line)` is told every record with its line (the rendition's spill), so the
    archive is read once.
    """
    with staging.open(f"{payload_root}/records.jsonl", JSONL, "records") as out:
        pending: list[bytes] = []
        size = 0
        for item in selected_items(db, list(keys), since, until):
            text = record_line(item)
            if also is not None:
                also(item, text)
            line = text.encode("utf-8")
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


@dataclass(frozen=True)
class MediaCopy:
    """One media file to copy: its digest, where it lies in the store and in the payload."""

    digest: str
    source: Path
    rel: str  # relative to the payload root
    mime_type: str


def plan_media(storage_dir: Path, found: Payload) -> list[MediaCopy]:
    """Every file the records name that the store holds, by digest; the others are noted missing.

    Fills `found.media_paths` and `found.media_missing` before anything is copied, so the
    rendition can be made while the files are copied (it draws the images from the store).
    """
    copies = []
    for digest in sorted(found.media):
        file = found.media[digest]
        source = storage_dir / file.path
        if not source.is_file():
            log.warning("media file %s named by the records is not in the media store", digest)
            found.media_missing.append(digest)
            continue
        rel = f"media/{digest}{extension_for(file.mime_type)}"
        copies.append(MediaCopy(digest, source, rel, file.mime_type or "application/octet-stream"))
        found.media_paths[digest] = rel
    return copies


class MediaCopier:
    """Copies the planned media into the payload in a thread, while the builder goes on.

    Copying is reading, writing and hashing, which let go of the GIL, so it runs beside the
    rendition. The files are recorded in the package in the order planned, at the place the
    builder was when the copying began, so the package lists its files in the same order
    whatever the timing. Use as a context manager: leaving the block waits for the copying
    (or stops it when the block failed) and raises what went wrong in the thread.
    """

    def __init__(
        self, staging: Staging, payload_root: str, copies: list[MediaCopy], advance: Advance
    ) -> None:
        self._staging, self._root, self._copies, self._advance = (
            staging, payload_root, copies, advance)  # fmt: skip
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._files: list[PackedFile] = []
        self._index = len(staging.files)
        self._thread = threading.Thread(target=self._run, name="somed-media", daemon=True)

    def __enter__(self) -> MediaCopier:
        self._thread.start()
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if error is not None:  # the builder failed: stop after the current file
            self._stop.set()
            self._thread.join()
            return
        self._thread.join()
        if self._error is not None:
            raise self._error
        self._staging.files[self._index : self._index] = self._files

    def _run(self) -> None:
        try:
            for copy in self._copies:
                if self._stop.is_set():
                    return
                packed = self._staging.add_copy(f"{self._root}/{copy.rel}", copy.source,
                                                copy.mime_type, "media", record=False)  # fmt: skip
                if packed.sha256 != copy.digest:
                    raise BundleError(
                        f"{copy.source}: the media file's content no longer matches its name"
                        f" (sha256 {packed.sha256}): the archive is damaged; restore it from a"
                        " backup"
                    )
                self._files.append(packed)
                self._advance(packed.size)
        except BaseException as exc:  # raised again in the builder's thread
            self._error = exc


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
