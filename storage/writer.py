"""The write side: records, versions, tombstones, media and cursors, one transaction per batch."""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlite_utils import Database

from connectors.model import (
    MediaRef,
    Quarantined,
    Record,
    Tombstone,
    canonical_json,
    compact_json,
    content_digest,
    content_digest_of,
    payload_json,
    repair_text,
    utc_iso,
    valid_utf8,
)
from connectors.model import item_id as usable_id
from storage import audit, quarantine
from storage.audit import audit_row
from storage.db import insert_rows, transaction
from storage.media import StoredMedia
from storage.quarantine import storable_json
from storage.runlog import SYSTEM_ACTOR, RunLog

Row = dict[str, Any]

# the item columns a new version rewrites, and all columns of a new item; the raw platform JSON
# is stored once, in the item's version row (m008), not again in `items`
_CONTENT_COLUMNS = (
    "kind", "parent_id", "thread_id", "direction", "author_id", "author_name", "text",
    "created_at", "edited_at", "url", "sha256", "extra",
)  # fmt: skip
_ITEM_COLUMNS = ("platform", "id", "account", *_CONTENT_COLUMNS, "first_seen_at", "last_seen_at",
                 "deleted_at", "version_count", "marker")  # fmt: skip
# a prepared record's content (`_prepare`): its values in this order, a plain tuple (cheaper to
# build, send to a writer process and read back than a dict)
PREPARED_KEYS = (*_CONTENT_COLUMNS, "raw", "media")
Content = tuple[Any, ...]
_KIND, _SHA256, _RAW = (PREPARED_KEYS.index(k) for k in ("kind", "sha256", "raw"))
_N_CONTENT = len(_CONTENT_COLUMNS)  # the item columns are the content's first values
_EXTRA = PREPARED_KEYS.index("extra")
# what `canonical_content_fields` takes between the platform and the media keys, in its order
# (the item id, which the content does not hold, goes after `kind`)
_HASHED_FIELDS = operator.itemgetter(*(PREPARED_KEYS.index(k) for k in (
    "kind", "parent_id", "thread_id", "direction", "author_id", "author_name", "text",
    "created_at", "edited_at", "url",
)))  # fmt: skip
_version_values = operator.itemgetter(
    *(PREPARED_KEYS.index(k) for k in ("sha256", "text", "edited_at", "media", "extra", "raw"))
)
_VERSION_COLUMNS = ("platform", "item_id", "version", "seen_at", "sha256", "text", "edited_at",
                    "media", "extra", "raw")  # fmt: skip


@dataclass
class WriteStats:
    """What one or more `write_batch` calls did, counted per entry."""

    new: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantined_keys: tuple[tuple[str, str], ...] = ()  # (stream, entry key) of each one

    def __add__(self, other: WriteStats) -> WriteStats:
        if not isinstance(other, WriteStats):
            return NotImplemented
        return WriteStats(
            self.new + other.new,
            self.changed + other.changed,
            self.deleted + other.deleted,
            self.unchanged + other.unchanged,
            self.quarantined + other.quarantined,
            self.quarantined_keys + other.quarantined_keys,
        )


@dataclass
class _State:
    """An item's stored state, tracked while a batch is classified."""

    sha256: str
    deleted_at: str | None
    version_count: int
    is_new: bool = False
    content: Content | None = None  # latest projection when the content changed
    seen: bool = False
    tombstoned: bool = False
    disposed: bool = False  # disposed of by a retention rule: never archived again
    marker: str | None = None  # a new item's change marker, stored with its row


# what sqlite3 raises for a value it cannot bind (a lone surrogate, a dict, a huge int)
_REFUSED_VALUES = (
    UnicodeEncodeError,
    OverflowError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
)

_json = compact_json  # compact, keeping key order (for raw payloads) and non-ASCII text


def _storable(value: Any) -> bool:
    """True for what SQLite stores as is: None, numbers, and text that is valid UTF-8."""
    if isinstance(value, str):
        return valid_utf8(value)
    return value is None or isinstance(value, int | float)


def _columns(
    record: Record, *, strict: bool = False, hashed: bool = True
) -> tuple[Content | None, str | None]:
    """The item columns of `record`, with invalid text repaired; or None and why it cannot be
    stored (a naive datetime, an id that is not text, a value SQLite cannot bind).

    Encoding the record checks most of it on the way (hashing encodes the content as UTF-8);
    only with `strict` is every column checked for what SQLite can bind. The writer asks for
    that only when SQLite refused a batch, so valid batches pay nothing for the check.
    """
    rid = record.id
    if not (type(rid) is str and rid and rid.isascii()) and usable_id(rid) != rid:
        return None, f"id is {type(record.id).__name__} {record.id!r:.60}, not a string"
    try:
        content = _prepare(record, hashed=hashed)
    except UnicodeEncodeError as exc:  # lone surrogates in a text: repair them once
        repaired = repair_text(record)
        if repaired is not record:
            return _columns(repaired, strict=strict, hashed=hashed)
        return None, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - whatever fails here quarantines this record only
        return None, f"{type(exc).__name__}: {exc}"
    if not strict:
        return content, None
    bad = _unstorable_columns(content)
    if "raw" in bad and isinstance(content[_RAW], str):
        content = _with_raw(content, storable_json(record.raw))  # lone surrogates as escapes
        bad.remove("raw")
    if bad:
        repaired = repair_text(record)
        if repaired is not record:
            return _columns(repaired, strict=strict, hashed=hashed)
        return None, f"cannot store {', '.join(bad)}: not text, a number or empty"
    return content, None


def _unstorable_columns(content: Content) -> list[str]:
    """The names of the columns whose values SQLite cannot store as they are."""
    return [name for name, value in zip(PREPARED_KEYS, content, strict=True)
            if not _storable(value)]  # fmt: skip


def _with_raw(content: Content, raw: str) -> Content:
    """`content` with another raw JSON text."""
    return (*content[:_RAW], raw, *content[_RAW + 1 :])


def _unstorable(record: Record, stream: str, problem: str) -> Quarantined:
    """A record the connector made but the archive cannot store, kept raw for a retry."""
    return Quarantined(
        platform=str(record.platform), account=record.account, stream=stream or record.kind,
        kind=record.kind, id=usable_id(record.id), raw=record.raw, error=problem,
        reason="storage.invalid",
    )  # fmt: skip


def _prepare(record: Record, *, hashed: bool = True) -> Content:
    """Return the item's content columns for `record`, in `PREPARED_KEYS` order (pure; raises
    on naive datetimes, and UnicodeEncodeError on text that is not valid UTF-8).

    Without `hashed` the sha256 is left None for the writer process to fill in
    (`LeanBatch.prepared`), so that hashing runs on the writer's core; the text is checked
    for what hashing would have refused all the same.
    """
    created, edited = utc_iso(record.created_at), utc_iso(record.edited_at)
    extra = canonical_json(record.extra) if record.extra else "{}"
    author = record.author
    if hashed:  # = record.content_sha256(); raises UnicodeEncodeError on lone surrogates
        sha256: str | None = content_digest_of(record, created, edited, extra)
    else:
        _encodable(author.id, author.name, record.text, record.url, extra, record.media)
        sha256 = None
    return (
        record.kind, record.parent_id, record.thread_id, record.direction, author.id,
        author.name, record.text, created, edited, record.url, sha256, extra,
        payload_json(record.raw), _json([m.key for m in record.media]) if record.media else "[]",
    )  # fmt: skip


def _encodable(
    author_id: str | None, author_name: str | None, text: str | None, url: str | None,
    extra: str, media: Sequence[MediaRef],
) -> None:  # fmt: skip
    """Raise UnicodeEncodeError where hashing the record's content would (ids are checked by
    `record_problem` already)."""
    parts = [author_id, author_name, text, url, extra, *(m.key for m in media)]
    "".join(filter(None, parts)).encode("utf-8")


def _hashed(platform: str, item_id: str, media: Sequence[MediaRef], c: Content) -> Content:
    """`c` with its sha256 filled in (a batch prepared without hashes, see `_prepare`).

    The sender checked the text; should a lone surrogate still be here, it is hashed as is
    and SQLite's refusal of it quarantines the record (`_checked_stored`)."""
    kind, *fields = _HASHED_FIELDS(c)
    digest = content_digest(
        platform, kind, item_id, *fields, sorted(m.key for m in media), c[_EXTRA],
        errors="surrogatepass",
    )  # fmt: skip
    return (*c[:_SHA256], digest, *c[_SHA256 + 1 :])


@dataclass(frozen=True)
class PreparedBatch:
    """Entries checked and turned into their stored columns, ready for `write_batch`."""

    account: str
    entries: list[tuple[Record | Tombstone, Content | None]]
    held: list[Quarantined] = field(default_factory=list)  # to store in the quarantine
    stream: str = ""
    strict: bool = False  # every column checked for what SQLite can bind
    hashed: bool = True  # False: the sha256 of each record is left for the writer to fill in
    # a walk's batch (`Connector.fetch`): a walk never tombstones what it does not list, so its
    # change markers are stored only for the items it stores first (see `_store_markers`)
    walk: bool = False

    def lean(self) -> LeanBatch:
        """The batch as plain tuples of text, cheap to send to a writer process."""
        entries = [
            (entry.platform, entry.id, None, (), None) if content is None
            else (entry.platform, entry.id, getattr(entry, "marker", None),
                  tuple(cast(Record, entry).media), content)
            for entry, content in self.entries
        ]  # fmt: skip
        return LeanBatch(self.account, entries, self.held, self.stream, self.walk)

    def with_hashes(self) -> PreparedBatch:
        """The batch with every record's sha256 filled in (see `prepare_batch(hashed=False)`)."""
        if self.hashed:
            return self
        entries = [
            (entry, content if content is None or content[_SHA256] is not None
             else _hashed(entry.platform, entry.id, cast(Record, entry).media, content))
            for entry, content in self.entries
        ]  # fmt: skip
        return replace(self, entries=entries, hashed=True)

    def checked(self) -> PreparedBatch:
        """The same entries with every column checked (what SQLite cannot bind quarantined)."""
        original = [entry for entry, _ in self.entries]
        if any(isinstance(entry, StoredEntry) for entry in original):
            return _checked_stored(self)
        checked = prepare_batch(self.account, [*original, *self.held], self.stream, strict=True)
        return replace(checked, walk=self.walk)


@dataclass(frozen=True)
class LeanBatch:
    """A prepared batch as plain tuples: (platform, id, marker, media, content values or None
    for a tombstone), the content in `PREPARED_KEYS` order. A writer process stores it."""

    account: str
    entries: list[tuple[str, str, str | None, tuple[MediaRef, ...], Content | None]]
    held: list[Quarantined]
    stream: str
    walk: bool = False  # see `PreparedBatch.walk`

    def prepared(self) -> PreparedBatch:
        """The batch as the writer stores it (entries carry only what the writer reads)."""
        entries: list[tuple[Record | Tombstone, Content | None]] = [
            (cast(Record, StoredEntry(platform, item_id, marker, media)),
             _hashed(platform, item_id, media, values)
             if values is not None and values[_SHA256] is None else values)
            for platform, item_id, marker, media, values in self.entries
        ]  # fmt: skip
        return PreparedBatch(self.account, entries, self.held, self.stream, walk=self.walk)


class StoredEntry(NamedTuple):
    """What the writer reads of a record it was sent prepared: identity, marker, media."""

    platform: str
    id: str
    marker: str | None
    media: tuple[MediaRef, ...]


def _checked_stored(batch: PreparedBatch) -> PreparedBatch:
    """`PreparedBatch.checked` for entries sent prepared (a writer process has no records):
    raw JSON with lone surrogates is stored escaped, any other column SQLite cannot bind
    quarantines its record, kept with the raw JSON it came with."""
    entries: list[tuple[Record | Tombstone, Content | None]] = []
    held = list(batch.held)
    for entry, content in batch.entries:
        if content is None:
            entries.append((entry, content))
            continue
        bad = _unstorable_columns(content)
        if bad == ["raw"] and isinstance(content[_RAW], str):
            entries.append((entry, _with_raw(content, storable_json(json.loads(content[_RAW])))))
        elif bad:
            problem = f"cannot store {', '.join(bad)}: not text, a number or empty"
            held.append(Quarantined(
                platform=entry.platform, account=batch.account, stream=batch.stream,
                kind=str(content[_KIND]), id=entry.id, raw=_raw_of(content), error=problem,
                reason="storage.invalid",
            ))  # fmt: skip
        else:
            entries.append((entry, content))
    return PreparedBatch(batch.account, entries, held, batch.stream, strict=True, walk=batch.walk)


def _raw_of(content: Content) -> Any:
    """The raw platform JSON a prepared record came with, decoded (as text if it is not JSON)."""
    try:
        return json.loads(content[_RAW])
    except (TypeError, ValueError):
        return str(content[_RAW])


def prepare_batch(
    account: str,
    entries: Sequence[Record | Tombstone | Quarantined],
    stream: str = "",
    *,
    strict: bool = False,
    hashed: bool = True,
) -> PreparedBatch:
    """Check a batch's entries and compute their columns (hash, JSON): pure, for any thread.

    The runner calls it in the thread that fetches, so that hashing and encoding one page
    overlaps with SQLite storing the previous one (SQLite releases the GIL). A record whose
    columns SQLite could not store is turned into a quarantined entry of `stream` here.
    Without `hashed` the hashes are left to the writer (a writer process has a core of its
    own; `LeanBatch.prepared` and `write_batch` fill them in).
    """
    prepared: list[tuple[Record | Tombstone, Content | None]] = []
    held: list[Quarantined] = []
    for entry in entries:
        if not isinstance(entry, Record | Tombstone | Quarantined):
            raise TypeError(f"not a Record, Tombstone or Quarantined: {type(entry).__name__}")
        if entry.account != account:
            raise ValueError(f"{entry.id!r} belongs to {entry.account!r}, not {account!r}")
        if isinstance(entry, Quarantined):
            held.append(entry)
        elif isinstance(entry, Tombstone):
            prepared.append((entry, None))
        else:
            content, problem = _columns(entry, strict=strict, hashed=hashed)
            if content is None:
                held.append(_unstorable(entry, stream, problem or "cannot be stored"))
            else:
                prepared.append((entry, content))
    return PreparedBatch(account, prepared, held, stream, strict, hashed)


class ArchiveWriter:
    """Writes what connectors found, and the bookkeeping around it, to the somed database."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self.runlog = RunLog(db, clock)
        # retention (m020): whether items can be disposed of in this archive, asked once
        self._disposed_at = "disposed_at" if "disposed_at" in db["items"].columns_dict else "NULL"

    def _now(self) -> str:
        """Return the clock's time as stored (UTC ISO 8601 with Z)."""
        now = utc_iso(self.clock())
        assert now is not None
        return now

    # --- records ---------------------------------------------------------------------------

    def write_batch(
        self,
        account: str,
        entries: Sequence[Record | Tombstone | Quarantined] | PreparedBatch,
        *,
        media: Mapping[str, StoredMedia] | None = None,
        cursor: tuple[str, str] | None = None,
        stream: str = "",
        now: str | None = None,
        resume: tuple[str, str | None] | None = None,
    ) -> WriteStats:
        """Store records, tombstones, quarantined items, downloaded media and the cursor in one
        transaction. A record that cannot be stored is quarantined instead of failing the batch.

        `entries` may come as a `PreparedBatch` (see `prepare_batch`), computed beforehand;
        `now` is the time stored (default: the writer's clock). `resume` is (name, token)
        of a walk's resume point kept across runs, stored in the cursors table with the
        batch; a None token removes it (the walk is complete).
        """
        now = now or self._now()
        if not isinstance(entries, PreparedBatch):
            entries = prepare_batch(account, entries, stream)
        elif entries.account != account:
            raise ValueError(f"a batch prepared for {entries.account!r}, not {account!r}")
        else:
            entries = entries.with_hashes()
        try:
            return self._write(account, entries, media, cursor, now, resume)
        except _REFUSED_VALUES:
            if entries.strict:
                raise
        # SQLite refused a value no cheap check had seen: check every column, quarantine what
        # cannot be bound, and store the batch again (the failed attempt was rolled back)
        return self._write(account, entries.checked(), media, cursor, now, resume)

    def _write(
        self,
        account: str,
        entries: PreparedBatch,
        media: Mapping[str, StoredMedia] | None,
        cursor: tuple[str, str] | None,
        now: str,
        resume: tuple[str, str | None] | None = None,
    ) -> WriteStats:
        """Store a prepared batch, its media, its cursor and resume point in one transaction."""
        prepared, held = entries.entries, entries.held
        with transaction(self.db):
            states = self._load_states(prepared)
            known = set(states) if entries.walk else None  # stored before this batch
            if any(state.disposed for state in states.values()):
                prepared = _without_disposed(prepared, states)
            stats, versions, links, audits = _classify(account, prepared, states, now)
            self._apply(account, states, versions, now)
            self._store_markers(prepared, states, known)
            if held:
                held = self._without_disposed_held(held)
            if held:
                quarantine.store(self.db, held, now)
                stats.quarantined = len(held)
                stats.quarantined_keys = tuple((e.stream, quarantine.entry_key(e)) for e in held)
            if prepared:
                self._resolve_quarantined(account, prepared, now)
            if links:
                self.db["item_media"].upsert_all(
                    list(links.values()), pk=("platform", "item_id", "media_key")
                )
                self._reuse_downloads(links)
            if media:
                self._link_media(account, media, now)
            if audits:
                audit.append(self.db, audits)
            if cursor is not None:
                self.db["cursors"].upsert(
                    {"account": account, "stream": cursor[0], "value": cursor[1],
                     "updated_at": now},
                    pk=("account", "stream"),
                )  # fmt: skip
            if resume is not None:
                self._store_resume(account, resume, now)
        return stats

    def _without_disposed_held(self, held: list[Quarantined]) -> list[Quarantined]:
        """Quarantined entries, without those of items a retention rule disposed of (their
        raw JSON is content the disposal removed; rare, so asked only when some are held)."""
        keys = [[e.platform, e.id] for e in held if isinstance(e.id, str)]
        if not keys or self._disposed_at == "NULL":
            return held
        gone = {tuple(row) for row in self.db.execute(
            "SELECT platform, id FROM items WHERE disposed_at IS NOT NULL AND (platform, id) IN"
            " (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')"
            " FROM json_each(?))", [_json(keys)])}  # fmt: skip
        return [e for e in held if (e.platform, e.id) not in gone] if gone else held

    def _store_resume(self, account: str, resume: tuple[str, str | None], now: str) -> None:
        """Keep (or, with a None token, forget) a walk's resume point across runs."""
        name, token = resume
        if token is None:
            self.db.execute("DELETE FROM cursors WHERE account = ? AND stream = ?", [account, name])
            return
        self.db["cursors"].upsert(
            {"account": account, "stream": name, "value": token, "updated_at": now},
            pk=("account", "stream"),
        )

    def _resolve_quarantined(
        self,
        account: str,
        prepared: Sequence[tuple[Record | Tombstone, Content | None]],
        now: str,
    ) -> None:
        """Resolve open quarantine entries of the records this batch stored."""
        by_platform: dict[str, list[str]] = {}
        for entry, content in prepared:
            if content is not None:
                by_platform.setdefault(entry.platform, []).append(entry.id)
        for platform, ids in by_platform.items():
            quarantine.resolve_archived(self.db, account, platform, ids, now)

    def _load_states(
        self, prepared: Sequence[tuple[Record | Tombstone, Any]]
    ) -> dict[tuple[str, str], _State]:
        """Read the stored sha256, deleted_at and version_count of the batch's items at once."""
        ids: dict[str, set[str]] = {}
        for entry, _ in prepared:
            ids.setdefault(entry.platform, set()).add(entry.id)
        states: dict[tuple[str, str], _State] = {}
        for platform, platform_ids in ids.items():
            rows = self.db.execute(
                f"SELECT id, sha256, deleted_at, version_count, {self._disposed_at} FROM items"
                " WHERE platform = ? AND id IN (SELECT value FROM json_each(?))",
                [platform, _json(sorted(platform_ids))],
            )
            for item_id, sha, deleted_at, count, disposed_at in rows:
                states[(platform, item_id)] = _State(
                    sha, deleted_at, count, disposed=disposed_at is not None
                )
        return states

    def _apply(
        self,
        account: str,
        states: Mapping[tuple[str, str], _State],
        versions: list[tuple[Any, ...]],
        now: str,
    ) -> None:
        """Turn the classified batch into a few executemany statements."""
        inserts: list[tuple[Any, ...]] = []
        content_updates: list[tuple[Any, ...]] = []
        seen_updates: list[tuple[Any, ...]] = []
        deleted_updates: list[tuple[Any, ...]] = []
        for (platform, item_id), state in states.items():
            if state.is_new:
                inserts.append((platform, item_id, account, *state.content[:_N_CONTENT],
                                now, now, state.deleted_at, state.version_count,
                                state.marker))  # fmt: skip
            elif state.content is not None:
                values = state.content[:_N_CONTENT]
                content_updates.append(
                    (*values, state.version_count, now, state.deleted_at, platform, item_id)
                )
            elif state.seen:
                seen_updates.append((now, state.deleted_at, platform, item_id))
            elif state.tombstoned:
                deleted_updates.append((state.deleted_at, platform, item_id))
        run = self.db.conn.executemany
        insert_rows(self.db, "items", _ITEM_COLUMNS, inserts)
        if content_updates:
            assignments = ", ".join(f"{c} = ?" for c in _CONTENT_COLUMNS)
            run(
                f"UPDATE items SET {assignments}, version_count = ?, last_seen_at = ?,"
                " deleted_at = ? WHERE platform = ? AND id = ?",
                content_updates,
            )
        if seen_updates:
            run(
                "UPDATE items SET last_seen_at = ?, deleted_at = ? WHERE platform = ? AND id = ?",
                seen_updates,
            )
        if deleted_updates:
            run("UPDATE items SET deleted_at = ? WHERE platform = ? AND id = ?", deleted_updates)
        insert_rows(self.db, "item_versions", _VERSION_COLUMNS, versions)

    def _store_markers(
        self,
        prepared: Sequence[tuple[Record | Tombstone, Content | None]],
        states: Mapping[tuple[str, str], _State],
        stored: Collection[tuple[str, str]] | None = None,
    ) -> None:
        """Keep each record's change marker (not content: it never makes a version); an item
        this batch stores first got its marker with its row (`_apply`).

        A marker says the archive matched the platform when the connector computed it, and
        the window's re-read reads in full only the items whose marker moved. A re-read can
        say so: it tombstones what is gone. A walk cannot (it stores what it lists and never
        looks for what is missing), so for a walk's batch (`stored`: the items already in the
        archive before it) only the items it stores first take its marker: an item already
        stored keeps the marker of its last full read, and when the platform moved since
        (a comment deleted under the newest post, which every walk lists again) the re-read
        still sees the change and reads it in full.
        """
        rows = [
            (cast(Record, entry).marker, entry.platform, entry.id)
            for entry, content in prepared
            if content is not None
            and getattr(entry, "marker", None) is not None
            and (stored is None or (entry.platform, entry.id) not in stored)
            and not _is_new(states, entry.platform, entry.id)
        ]
        if rows:
            self.db.conn.executemany(
                "UPDATE items SET marker = ? WHERE platform = ? AND id = ? AND marker IS NOT ?",
                [(*row, row[0]) for row in rows],
            )

    def _reuse_downloads(self, links: Mapping[tuple[str, ...], Any]) -> None:
        """Give new links the file already downloaded for the same media key on that platform."""
        self.db.execute(
            "UPDATE item_media SET sha256 = (SELECT m.sha256 FROM item_media AS m"
            "  WHERE m.platform = item_media.platform AND m.media_key = item_media.media_key"
            "  AND m.sha256 IS NOT NULL LIMIT 1)"
            " WHERE sha256 IS NULL AND (platform, item_id, media_key) IN (SELECT"
            "  json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
            "  json_extract(value, '$[2]') FROM json_each(?))"
            " AND EXISTS (SELECT 1 FROM item_media AS m WHERE m.platform = item_media.platform"
            "  AND m.media_key = item_media.media_key AND m.sha256 IS NOT NULL)",
            [_json([list(k) for k in links])],
        )

    def _link_media(self, account: str, media: Mapping[str, StoredMedia], now: str) -> None:
        """Record downloaded files and attach them to this account's items that lack a file."""
        rows = {
            m.sha256: {"sha256": m.sha256, "mime_type": m.mime_type, "size": m.size,
                       "path": m.path, "first_seen_at": now}
            for m in media.values()
        }  # fmt: skip
        self.db["media"].insert_all(list(rows.values()), ignore=True)
        self.db.conn.executemany(
            "UPDATE item_media SET sha256 = ?, last_error = NULL"
            " WHERE media_key = ? AND sha256 IS NULL AND EXISTS (SELECT 1 FROM items"
            " WHERE items.platform = item_media.platform AND items.id = item_media.item_id"
            " AND items.account = ?)",
            [(stored.sha256, key, account) for key, stored in media.items()],
        )


def _is_new(states: Mapping[tuple[str, str], _State], platform: str, item_id: str) -> bool:
    """True when the batch stores the item first (its row, marker included, is inserted)."""
    state = states.get((platform, item_id))
    return state is not None and state.is_new


def _without_disposed(
    prepared: Sequence[tuple[Record | Tombstone, Content | None]],
    states: dict[tuple[str, str], _State],
) -> list[tuple[Record | Tombstone, Content | None]]:
    """The batch without the items a retention rule disposed of (dropped from `states` too):
    a disposed item is never archived, versioned, linked or revived again."""
    disposed = {key for key, state in states.items() if state.disposed}
    for key in disposed:
        del states[key]
    return [(e, c) for e, c in prepared if (e.platform, e.id) not in disposed]


def _classify(
    account: str,
    prepared: Sequence[tuple[Record | Tombstone, Content | None]],
    states: dict[tuple[str, str], _State],
    now: str,
) -> tuple[WriteStats, list[tuple[Any, ...]], dict[tuple[str, ...], dict[str, Any]], list[Row]]:
    """Decide, entry by entry, what is new, changed, unchanged or deleted (updates `states`)."""
    stats = WriteStats()
    versions: list[tuple[Any, ...]] = []
    links: dict[tuple[str, ...], Row] = {}
    audits: list[Row] = []
    for entry, content in prepared:
        key = (entry.platform, entry.id)
        state = states.get(key)
        if content is None:  # a tombstone
            if state is not None and state.deleted_at is None:
                state.deleted_at, state.tombstoned = now, True
                stats.deleted += 1
            continue
        if state is not None and state.tombstoned:  # gone and back in one batch: latest wins
            state.deleted_at, state.tombstoned = None, False
            stats.deleted -= 1
        if state is None:
            state = states[key] = _State(content[_SHA256], None, 1, is_new=True)
            state.content = content
            state.marker = getattr(entry, "marker", None)
            versions.append(_version_row(key, 1, content, now))
            stats.new += 1
        else:
            reappeared = state.deleted_at is not None
            if reappeared:
                details = {"deleted_at": state.deleted_at}
                audits.append(audit_row(now, SYSTEM_ACTOR, "reappeared", _item_target(*key),
                                         None, details))  # fmt: skip
                state.deleted_at = None
            if state.sha256 == content[_SHA256]:
                stats.changed += reappeared
                stats.unchanged += not reappeared
            else:
                state.sha256 = content[_SHA256]
                state.version_count += 1
                state.content = content
                versions.append(_version_row(key, state.version_count, content, now))
                stats.changed += 1
            if state.is_new:  # twice in the batch that stores it first: the later read wins
                state.marker = getattr(entry, "marker", None)
        state.seen = True
        for position, ref in enumerate(cast(Record, entry).media):
            links[(*key, ref.key)] = {
                "platform": key[0], "item_id": key[1], "media_key": ref.key,
                "source_url": ref.source_url, "kind": ref.kind, "position": position,
            }  # fmt: skip
    return stats, versions, links, audits


def _version_row(key: tuple[str, str], number: int, content: Content, now: str) -> tuple[Any, ...]:
    """Return an item_versions row (in `_VERSION_COLUMNS` order) for one content version."""
    return (*key, number, now, *_version_values(content))


def _item_target(platform: str, item_id: str) -> str:
    """Return the audit-log target naming an item."""
    return f"item:{platform}:{item_id}"
