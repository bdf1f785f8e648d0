"""The shared record types every connector yields and storage consumes (standard library only)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

Kind = Literal["profile", "post", "comment", "reply", "message", "video"]
Direction = Literal["own", "incoming"]

RECORD_FIELDS: tuple[str, ...] = (
    "platform",
    "account",
    "kind",
    "id",
    "parent_id",
    "thread_id",
    "direction",
    "author",
    "text",
    "created_at",
    "edited_at",
    "url",
    "first_seen_at",
    "last_seen_at",
    "deleted_at",
    "versions",
    "media",
    "flags",
    "registry_numbers",
    "sha256",
)  # the record contract every export, bundle and API uses; fields may be added, never renamed
KINDS: tuple[str, ...] = ("profile", "post", "comment", "reply", "message", "video")
DIRECTIONS: tuple[str, ...] = ("own", "incoming")


def utc_iso(moment: datetime | None) -> str | None:
    """Format an aware datetime as UTC ISO 8601 with a trailing Z (seconds precision)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetime: somed only handles timezone-aware datetimes")
    u = moment.astimezone(UTC)  # %-formatting costs half of strftime; it runs for every item
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        u.year,
        u.month,
        u.day,
        u.hour,
        u.minute,
        u.second,
    )


def parse_utc(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp (Z, +0000 or +00:00 offsets) into an aware UTC datetime."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise TypeError(f"timestamp is {type(text).__name__} {text!r:.40}, not a string")
    if text.endswith("+0000"):  # Graph's form, on every item: read as it is (Python >= 3.11)
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) >= 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = f"{value[:-2]}:{value[-2:]}"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {text!r}")
    return moment.astimezone(UTC)


def _encoder(*, sort_keys: bool) -> Callable[[Any], str]:
    """Return a compact JSON serialiser (no spaces, UTF-8 text kept) built once, not per call.

    `JSONEncoder.encode` builds a new C encoder on every call and tracks containers for cycles;
    calling one C encoder directly gives the same text at about half the cost. Platform JSON is
    decoded JSON, so it has no cycles.
    """
    python = json.JSONEncoder(sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return python.encode
    fast = make(None, python.default, json.encoder.encode_basestring, None, ":", ",",
                sort_keys, False, True)  # fmt: skip

    text = json.encoder.encode_basestring  # what `python.encode` does for a str, minus a call

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return text(value)
        if value is None:
            return "null"
        return "".join(fast(value, 0))

    return encode


canonical_json = _encoder(sort_keys=True)
canonical_json.__doc__ = "Serialise a value as canonical JSON: sorted keys, no spaces, UTF-8 kept."
compact_json = _encoder(sort_keys=False)
compact_json.__doc__ = "Serialise a value compactly, keeping key order and UTF-8 text."


def payload_json(value: Any) -> str:
    """Serialise a decoded platform payload for storage: `compact_json`'s text, faster.

    orjson writes the same text as the standard library for what platform JSON holds
    (strings, integers, booleans, lists, objects) at a fraction of the cost; what it refuses
    (a lone surrogate, an integer beyond 64 bits, a key that is not a string) goes the standard
    way. A float may be written in another form of the same number (`1e16` for `1e+16`, NaN,
    which JSON lacks, as null), so this is for stored payloads only, never for what is hashed.
    """
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return compact_json(value)


@dataclass(frozen=True)
class Author:
    """Who wrote an item, as the platform names them."""

    id: str | None
    name: str | None

    def as_dict(self) -> dict[str, str | None]:
        """Return the record-contract form `{"id", "name"}`."""
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class MediaRef:
    """An attachment to download; `key` is stable across fetches, `source_url` may expire."""

    key: str
    source_url: str
    kind: str = "image"
    mime_type: str | None = None


@dataclass(frozen=True)
class Record:
    """One archived thing as the platform shows it now; `raw` keeps the platform JSON."""

    platform: str
    account: str
    kind: str
    id: str
    parent_id: str | None
    thread_id: str | None
    direction: str
    author: Author
    text: str | None
    created_at: datetime | None
    edited_at: datetime | None = None
    url: str | None = None
    media: tuple[MediaRef, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # the connector's cheap change signal for this item (e.g. a digest of what a listing shows);
    # stored beside the item and handed back in `ItemRef.marker`; never part of the content
    marker: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}")

    def content(self) -> dict[str, Any]:
        """Return what identifies this version's content (no fetch times, no signed URLs)."""
        return {
            "platform": self.platform,
            "kind": self.kind,
            "id": self.id,
            "parent_id": self.parent_id,
            "thread_id": self.thread_id,
            "direction": self.direction,
            "author": self.author.as_dict(),
            "text": self.text,
            "created_at": utc_iso(self.created_at),
            "edited_at": utc_iso(self.edited_at),
            "url": self.url,
            "media": sorted(m.key for m in self.media),
            "extra": self.extra,
        }

    def content_sha256(self) -> str:
        """Return the SHA-256 of the canonical JSON of `content()`."""
        return hashlib.sha256(canonical_content(self).encode("utf-8")).hexdigest()


def canonical_content(record: Record) -> str:
    """Return `canonical_json(record.content())`, assembled key by key in sorted order.

    The same text at about half the cost of building and sorting the dict, on every record
    stored. A test holds it equal to `canonical_json(record.content())`.
    """
    return canonical_content_of(
        record, utc_iso(record.created_at), utc_iso(record.edited_at), canonical_json(record.extra)
    )


def canonical_content_of(record: Record, created: str | None, edited: str | None,
                         extra_json: str) -> str:  # fmt: skip
    """`canonical_content` from parts the caller has made already (times, canonical `extra`)."""
    author = record.author
    return canonical_content_fields(
        record.platform, record.kind, record.id, record.parent_id, record.thread_id,
        record.direction, author.id, author.name, record.text, created, edited, record.url,
        sorted(m.key for m in record.media), extra_json,
    )  # fmt: skip


def canonical_content_fields(
    platform: str, kind: str, item_id: str, parent_id: str | None, thread_id: str | None,
    direction: str, author_id: str | None, author_name: str | None, text: str | None,
    created: str | None, edited: str | None, url: str | None, media_keys: Sequence[str],
    extra_json: str,
) -> str:  # fmt: skip
    """`canonical_content` from a record's fields (media keys sorted, `extra` as canonical
    JSON): what a writer that was sent the fields, not the record, hashes."""
    c = canonical_json
    return "".join((
        '{"author":{"id":', c(author_id), ',"name":', c(author_name),
        '},"created_at":', c(created), ',"direction":', c(direction),
        ',"edited_at":', c(edited), ',"extra":', extra_json,
        ',"id":', c(item_id), ',"kind":', c(kind),
        ',"media":', c(list(media_keys)) if media_keys else "[]",
        ',"parent_id":', c(parent_id), ',"platform":', c(platform),
        ',"text":', c(text), ',"thread_id":', c(thread_id),
        ',"url":', c(url), "}",
    ))  # fmt: skip


def content_digest(
    platform: str, kind: str, item_id: str, parent_id: str | None, thread_id: str | None,
    direction: str, author_id: str | None, author_name: str | None, text: str | None,
    created: str | None, edited: str | None, url: str | None, media_keys: Sequence[str],
    extra_json: str, *, errors: str = "strict",
) -> str:  # fmt: skip
    """The SHA-256 of `canonical_content_fields(...)` encoded as UTF-8 (`errors` as for
    `str.encode`: "strict" raises UnicodeEncodeError on a lone surrogate).

    orjson writes the same bytes as the stdlib's encoder for every character but lone
    surrogates (a test holds them equal), in one call instead of one per field; what orjson
    refuses (lone surrogates) goes the stdlib's way.
    """
    try:
        data = orjson.dumps(
            {
                "author": {"id": author_id, "name": author_name},
                "created_at": created,
                "direction": direction,
                "edited_at": edited,
                "extra": orjson.Fragment(extra_json),
                "id": item_id,
                "kind": kind,
                "media": list(media_keys),
                "parent_id": parent_id,
                "platform": platform,
                "text": text,
                "thread_id": thread_id,
                "url": url,
            }
        )  # keys in sorted order, as canonical JSON has them
    except orjson.JSONEncodeError:
        data = canonical_content_fields(
            platform, kind, item_id, parent_id, thread_id, direction, author_id, author_name,
            text, created, edited, url, media_keys, extra_json,
        ).encode("utf-8", errors)  # fmt: skip
    return hashlib.sha256(data).hexdigest()


def content_digest_of(record: Record, created: str | None, edited: str | None,
                      extra_json: str, *, errors: str = "strict") -> str:  # fmt: skip
    """`content_digest` from a record and the parts the caller has made already."""
    author = record.author
    return content_digest(
        record.platform, record.kind, record.id, record.parent_id, record.thread_id,
        record.direction, author.id, author.name, record.text, created, edited, record.url,
        sorted(m.key for m in record.media), extra_json, errors=errors,
    )  # fmt: skip


def content_hash(content: dict[str, Any]) -> str:
    """Return the SHA-256 of the canonical JSON of a record's `content()`."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tombstone:
    """The platform says this item is gone (deleted, or hidden from the token for good)."""

    platform: str
    account: str
    kind: str
    id: str


@dataclass(frozen=True)
class Quarantined:
    """An item that could not be normalised or stored: kept raw with the error, never lost.

    `kind` names the connector's normaliser that failed (see `Connector.normalisers`) and
    `context` what that normaliser needs besides the raw item (e.g. the post a comment is on),
    so `somed quarantine retry` can normalise it again later without the network. `id` is the
    platform's id where it could be read as a string, else None.
    """

    platform: str
    account: str
    stream: str
    kind: str | None
    id: str | None
    raw: Any
    error: str
    reason: str = "normalise.failed"
    context: dict[str, Any] = field(default_factory=dict)


Entry = Record | Tombstone | Quarantined


@dataclass(frozen=True)
class ItemRef:
    """A stored item the connector is asked to read again (for edits and deletions)."""

    kind: str
    id: str
    parent_id: str | None = None
    thread_id: str | None = None
    created_at: datetime | None = None
    marker: str | None = None  # what the connector said last time (`Record.marker`)


@dataclass(frozen=True)
class Span:
    """A range of creation times [start, end): the refs given with it are every stored item
    created in it, so a connector may list the range and read in full only what changed."""

    start: datetime
    end: datetime


@dataclass
class Batch:
    """What `fetch` and `refetch` yield: records, tombstones and quarantined items, a resume
    token, and on the last batch of a complete walk the new high-water mark (`final=True`)."""

    records: list[Record | Tombstone | Quarantined]
    resume: str | None = None
    high_water: str | None = None
    final: bool = False
    # ids the platform listed on this page that the connector passed over on purpose (e.g. the
    # page's own posts in a walk of visitors' posts): progress for the runner's loop guard
    passed_over: tuple[str, ...] = ()
    # the resume token stays valid across runs (e.g. a page token the platform keeps): the
    # runner stores it with the batch, so a walk a run could not finish (daily quota used up)
    # is taken up by the next run where it stopped
    durable_resume: bool = False


# --- validation and repair (shared by connectors and the writer) ----------------------------

REPAIRED_KEY = "repaired"  # `extra` key listing the fields whose text had to be repaired
_SURROGATE = re.compile("[\ud800-\udfff]")


def item_id(value: Any) -> str | None:
    """The platform id `value` as a string, or None when it is not a string or an integer."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if text and valid_utf8(text) else None


def valid_utf8(text: str) -> bool:
    """True when `text` encodes as UTF-8 (it holds no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def replace_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    return text if valid_utf8(text) else _SURROGATE.sub("\ufffd", text)


def _repair(value: Any) -> Any:
    """`value` with lone surrogates in its strings replaced by U+FFFD (at any depth)."""
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, dict):
        return {_repair(k): _repair(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_repair(v) for v in value]
    return value


def _has_bad_text(value: Any) -> bool:
    """True when a string in `value` (at any depth) is not valid UTF-8."""
    if isinstance(value, str):
        return not valid_utf8(value)
    if isinstance(value, dict):
        return any(_has_bad_text(k) or _has_bad_text(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_bad_text(v) for v in value)
    return False


def repair_text(record: Record) -> Record:
    """Return `record` with its texts valid UTF-8; what was replaced is listed in `extra`.

    Platforms can send JSON escapes of lone surrogates (`\\ud800`), which no UTF-8 database
    stores. The text fields get U+FFFD in their place and `extra["repaired"]` names the fields;
    the raw payload keeps the original escapes (the writer stores it ASCII-escaped then).
    """
    fixed: dict[str, Any] = {}
    names: list[str] = []
    for name in ("text", "url"):
        value = getattr(record, name)
        if isinstance(value, str) and not valid_utf8(value):
            fixed[name] = _repair(value)
            names.append(name)
    author = record.author
    if isinstance(author.name, str) and not valid_utf8(author.name):
        fixed["author"] = Author(author.id, _repair(author.name))
        names.append("author.name")
    extra = record.extra
    if _has_bad_text(extra):
        extra = _repair(extra)
        names.append("extra")
    if not names:
        return record
    fixed["extra"] = {**extra, REPAIRED_KEY: sorted(names)}
    return replace(record, **fixed)


def record_problem(record: Record) -> str | None:
    """Why `record` cannot be stored as it is (wrong types, naive times), or None when it can.

    Only the types are checked here, cheaply; what only encoding finds (text SQLite cannot
    store, `extra` that is not JSON) the writer finds while it encodes the record anyway.
    """
    if _plainly_storable(record):  # every record of a normal walk: one pass, no messages
        return None
    return _record_problem(record)


def _plainly_storable(record: Record) -> bool:
    """True when `record` passes every check of `record_problem` by exact types (a str
    subclass, or anything odd, goes to the full check, which names the problem)."""
    rid, platform, account = record.id, record.platform, record.account
    parent, thread, author = record.parent_id, record.thread_id, record.author
    created, edited = record.created_at, record.edited_at
    return (
        type(rid) is str and type(platform) is str and type(account) is str
        and bool(rid) and bool(platform) and bool(account)
        and (parent is None or type(parent) is str) and (thread is None or type(thread) is str)
        and (record.text is None or type(record.text) is str)
        and (record.url is None or type(record.url) is str)
        and type(author) is Author
        and (author.id is None or type(author.id) is str)
        and (author.name is None or type(author.name) is str)
        and (created is None or (type(created) is datetime and created.tzinfo is not None))
        and (edited is None or (type(edited) is datetime and edited.tzinfo is not None))
        and type(record.extra) is dict
        and (rid + platform + account + (parent or "") + (thread or "")).isascii()
        and (not record.media or all(
            type(ref) is MediaRef and type(ref.key) is str and type(ref.source_url) is str
            for ref in record.media))
    )  # fmt: skip


def _record_problem(record: Record) -> str | None:
    """`record_problem`, field by field, naming the first one that fails."""
    for name, value in (("id", record.id), ("platform", record.platform),
                        ("account", record.account)):  # fmt: skip
        if not isinstance(value, str) or not value or not valid_utf8(value):
            return f"{name} is {type(value).__name__} {value!r:.80}, not a non-empty string"
    for name, value in (("parent_id", record.parent_id), ("thread_id", record.thread_id)):
        if value is not None and (not isinstance(value, str) or not valid_utf8(value)):
            return f"{name} is {type(value).__name__}, not a string of valid UTF-8"
    for name, value in (("text", record.text), ("url", record.url)):
        if value is not None and not isinstance(value, str):
            return f"{name} is {type(value).__name__}, not a string"
    author = record.author
    if not isinstance(author, Author):
        return "author is not an Author"
    for name, value in (("author.id", author.id), ("author.name", author.name)):
        if value is not None and not isinstance(value, str):
            return f"{name} is {type(value).__name__}, not a string"
    for name, value in (("created_at", record.created_at), ("edited_at", record.edited_at)):
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            kind = "a naive datetime (no time zone)" if isinstance(value, datetime) else (
                f"{type(value).__name__}, not a datetime")  # fmt: skip
            return f"{name} is {kind}"
    if not isinstance(record.extra, dict):
        return "extra is not a dict"
    for ref in record.media:
        if not isinstance(ref, MediaRef) or not isinstance(ref.key, str):
            return "media holds something that is not a media reference"
        if not isinstance(ref.source_url, str):
            return "a media source_url is not a string"
    return None
