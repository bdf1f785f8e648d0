"""The write path: raw JSON stored once (m008), a stable content hash, batches prepared ahead."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from connectors.model import (
    Author,
    MediaRef,
    Record,
    canonical_content,
    canonical_json,
    compact_json,
    content_digest_of,
    content_hash,
    payload_json,
    utc_iso,
)
from storage import queries
from storage.db import connect
from storage.migrations import MIGRATIONS
from storage.writer import ArchiveWriter, prepare_batch

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def post(item_id: str, text: str, **raw_extra: object) -> Record:
    return Record(
        platform="facebook", account="mora-fb", kind="post", id=item_id, parent_id=None,
        thread_id=item_id, direction="own", author=Author("100200300", "Mora kommun"),
        text=text, created_at=datetime(2024, 1, 1, tzinfo=UTC), url=f"https://fb.test/{item_id}",
        raw={"id": item_id, "message": text, **raw_extra},
    )  # fmt: skip


def columns(db: sqlite_utils.Database, table: str) -> list[str]:
    return [c.name for c in db[table].columns]


def test_each_version_keeps_its_raw_json_once_and_items_none(tmp_path: Path) -> None:
    now = [T0]
    db = connect(tmp_path / "somed.db")
    writer = ArchiveWriter(db, lambda: now[0])
    writer.write_batch("mora-fb", [post("1", "Hej", story="x")])
    now[0] += timedelta(hours=1)
    writer.write_batch("mora-fb", [post("1", "Hej igen", story="y")])

    assert "raw" not in columns(db, "items")
    raws = [json.loads(r[0]) for r in db.execute(
        "SELECT raw FROM item_versions WHERE item_id = '1' ORDER BY version")]  # fmt: skip
    assert raws == [{"id": "1", "message": "Hej", "story": "x"},
                    {"id": "1", "message": "Hej igen", "story": "y"}]  # fmt: skip
    exported = next(queries.export_items(db))
    assert exported["text"] == "Hej igen" and [v["text"] for v in exported["versions"]] == ["Hej"]
    db.close()


def test_migration_drops_the_copy_and_keeps_any_raw_that_differs(tmp_path: Path) -> None:
    path = tmp_path / "somed.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before="m008_storage_raw_once")
    assert "raw" in columns(old, "items")
    seen = "2024-03-01T12:00:00Z"
    item = {"platform": "facebook", "account": "mora-fb", "kind": "post", "direction": "own",
            "first_seen_at": seen, "last_seen_at": seen}  # fmt: skip
    # as the old writer left them: items.raw equal to the newest version's raw ...
    old["items"].insert_all([
        {**item, "id": "1", "text": "v2", "sha256": "b", "version_count": 2, "raw": '{"v":2}'},
        {**item, "id": "2", "text": "x", "sha256": "c", "version_count": 1, "raw": '{"x":1}'},
        # ... and one that differs (no writer made that; it must still not be lost)
        {**item, "id": "3", "text": "y", "sha256": "d", "version_count": 1, "raw": '{"y":"new"}'},
    ])  # fmt: skip
    old["item_versions"].insert_all([
        {"platform": "facebook", "item_id": "1", "version": 1, "seen_at": seen, "sha256": "a",
         "text": "v1", "raw": '{"v":1}'},
        {"platform": "facebook", "item_id": "1", "version": 2, "seen_at": seen, "sha256": "b",
         "text": "v2", "raw": '{"v":2}'},
        {"platform": "facebook", "item_id": "2", "version": 1, "seen_at": seen, "sha256": "c",
         "text": "x", "raw": '{"x":1}'},
        {"platform": "facebook", "item_id": "3", "version": 1, "seen_at": seen, "sha256": "d",
         "text": "y", "raw": '{"y":"old"}'},
    ])  # fmt: skip
    versions_before = list(old["item_versions"].rows)
    items_before = [{k: v for k, v in r.items() if k != "raw"} for r in old["items"].rows]
    old.close()

    db = connect(path)  # applies m008 and whatever follows it
    assert "raw" not in columns(db, "items")
    assert list(db["item_versions"].rows) == versions_before
    assert [{k: r[k] for k in items_before[0]} for r in db["items"].rows] == items_before
    legacy = [(r["item_id"], r["raw"]) for r in db["item_raw_legacy"].rows]
    assert legacy == [("3", '{"y":"new"}')]
    assert [e["id"] for e in queries.export_items(db)] == ["1", "2", "3"]
    db.close()


def test_content_hash_and_json_text_are_those_archives_already_hold() -> None:
    # archived items are compared by this hash on every poll: if it changed, every stored item
    # would look edited and get a spurious version; the literal was made by the original code
    record = Record(
        platform="facebook", account="mora-fb", kind="comment", id="1_2", parent_id="1",
        thread_id="1", direction="incoming", author=Author("42", "Åsa Öberg"),
        text='Hej "där"\n– tack 👍',
        created_at=datetime(2024, 5, 6, 9, 8, 7, 123456, tzinfo=timezone(timedelta(hours=2))),
        edited_at=datetime(2024, 5, 6, 10, 0, tzinfo=UTC), url="https://fb.test/1_2",
        media=(MediaRef("b", "https://cdn/b"), MediaRef("a", "https://cdn/a")),
        extra={"z": [1, 2.5, None, 1e16], "a": {"ö": True}},
    )  # fmt: skip
    assert record.content()["created_at"] == "2024-05-06T07:08:07Z"
    assert record.content_sha256() == (
        "d90998af64899d1bde3f69185e2cd0329235bc1a56e496cf6f6b871d7863e063"
    )
    tricky = {"b": [1.5, 1e16, float("nan"), None, True, 'å\n\x01"\\\u2028'], "a": {}, "c": []}
    stdlib = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
    assert canonical_json(tricky) == json.dumps(tricky, **stdlib)
    assert compact_json(tricky) == json.dumps(tricky, **{**stdlib, "sort_keys": False})


def test_a_stored_payload_reads_back_as_the_payload_decoded():
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    graph = {"id": "1_2", "message": 'Hej "där"\n– tack 👍 \u2028', "n": -(2**63),
             "likes": {"summary": {"total_count": 3}}, "ok": True, "none": None, "e": []}  # fmt: skip
    assert payload_json(graph) == json.dumps(graph, **compact)  # what platforms send: same text
    odd = {"text": "\ud800 alone", "big": 2**70, 7: "int key", "f": 1e16}
    assert json.loads(payload_json(odd)) == json.loads(json.dumps(odd, **compact))


def test_a_batch_prepared_ahead_is_stored_like_one_given_as_records(tmp_path: Path) -> None:
    db = connect(tmp_path / "somed.db")
    writer = ArchiveWriter(db, lambda: T0)
    ready = prepare_batch("mora-fb", [post("1", "Hej"), post("2", "Hallå")])  # no database
    assert writer.write_batch("mora-fb", ready).new == 2
    assert writer.write_batch("mora-fb", [post("1", "Hej"), post("2", "Hallå")]).unchanged == 2
    with pytest.raises(ValueError, match="prepared for 'mora-fb'"):
        writer.write_batch("other-fb", ready)
    db.close()


def test_canonical_content_is_the_canonical_json_of_content() -> None:
    base = post("1", "Hej")
    records = [
        base,
        Record(platform="facebook", account="a", kind="reply", id="9", parent_id=None,
               thread_id=None, direction="incoming", author=Author(None, None), text=None,
               created_at=None),
        Record(platform="facebook", account="a", kind="comment", id="1_2", parent_id="1",
               thread_id="1", direction="incoming", author=Author("7", 'Å "x" \\ \n'),
               text="ö\u2028\x00", created_at=datetime(2024, 1, 1, 1, 2, 3, tzinfo=UTC),
               edited_at=datetime(2024, 1, 2, tzinfo=timezone(timedelta(hours=-5))),
               url="https://fb.test/?a=1&b=å", extra={"b": {"y": [1, 2.5], "x": None}, "a": True},
               media=(MediaRef("z", "u"), MediaRef("a", "v"), MediaRef("m", "w"))),
    ]  # fmt: skip
    for record in records:
        assert canonical_content(record) == canonical_json(record.content())
        assert record.content_sha256() == content_hash(record.content())


def _digest_of(record: Record, errors: str = "strict") -> str:
    """The writer's content hash of `record` (one orjson call, the stdlib's where it refuses)."""
    extra = canonical_json(record.extra) if record.extra else "{}"
    return content_digest_of(record, utc_iso(record.created_at), utc_iso(record.edited_at),
                             extra, errors=errors)  # fmt: skip


def test_the_writers_content_hash_is_the_hash_of_the_canonical_json_for_every_character() -> None:
    """Stored hashes decide what is a new version: a faster encoder must give the same bytes
    as the canonical JSON for every character a platform can send, or every item of an
    archive would get a spurious version on its next read."""
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(every), 2048):
        text = "".join(every[start : start + 2048])
        record = Record(platform="facebook", account="a", kind="comment", id="1_2",
                        parent_id="1", thread_id="1", direction="incoming",
                        author=Author("7", text[:40]), text=text, created_at=None,
                        url=f"https://fb.test/{text[:8]}", extra={"t": text[-40:]},
                        media=(MediaRef(text[:5], "u"),))  # fmt: skip
        assert _digest_of(record) == content_hash(record.content()), hex(start)


def test_a_lone_surrogate_is_hashed_the_stdlib_way_or_refused() -> None:
    record = post("1", "a\ud800b")
    with pytest.raises(UnicodeEncodeError):
        _digest_of(record)
    passed = _digest_of(record, errors="surrogatepass")
    text = canonical_json(record.content()).encode("utf-8", "surrogatepass")
    assert passed == hashlib.sha256(text).hexdigest()

