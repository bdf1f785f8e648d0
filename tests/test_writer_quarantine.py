"""The writer never fails a batch for one record: what SQLite cannot store is quarantined in
the same transaction, invalid text is repaired and noted, and entries resolve when archived."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from test_storage import ACCOUNT, Clock, post

from connectors.model import Author, Quarantined
from storage import quarantine, queries
from storage.db import connect
from storage.writer import ArchiveWriter


def held(writer: ArchiveWriter) -> list[dict]:
    return quarantine.entries(writer.db)


def test_records_the_database_cannot_store_are_quarantined_beside_the_rest(tmp_path: Path):
    writer = ArchiveWriter(connect(tmp_path / "somed.db"), Clock())
    naive = post("p-naive", created_at=datetime(2024, 1, 1, 12))  # noqa: DTZ001 - on purpose
    object_author = replace(post("p-author"), author=Author({"id": 1}, "x"))  # type: ignore[arg-type]
    object_id = replace(post("p-id"), id={"id": "p-id"})  # type: ignore[arg-type]
    broken = post("p-text", "Hej \ud800 där")
    # found only when SQLite refuses to bind them: the batch is checked again and stored
    dict_text = replace(post("p-dict"), text={"sv": "Hej"})  # type: ignore[arg-type]
    raw_surrogate = replace(post("p-raw"), raw={"id": "p-raw", "message": "ok \udc00"})
    from_connector = Quarantined("facebook", ACCOUNT, "posts", "post", "p-bad", {"id": "p-bad"},
                                 "TypeError: message is dict, not text")  # fmt: skip
    stats = writer.write_batch(
        ACCOUNT,
        [
            post("p-good"),
            naive,
            object_author,
            object_id,
            broken,
            from_connector,
            dict_text,
            raw_surrogate,
        ],
        cursor=("posts", "2024-01-01T00:00:00Z"),
        stream="posts",
    )
    assert (stats.new, stats.quarantined) == (3, 5)
    stored = {i["id"]: i for i in queries.export_items(writer.db)}
    assert set(stored) == {"p-good", "p-text", "p-raw"}
    assert stored["p-text"]["text"] == "Hej \ufffd där"
    extra, raw = writer.db.execute(
        "SELECT extra, raw FROM item_versions WHERE item_id = 'p-text'"
    ).fetchone()
    assert (
        json.loads(extra)["repaired"] == ["text"] and json.loads(raw)["message"] == "Hej \ud800 där"
    )
    entries = {(e["item_id"], e["reason"]) for e in held(writer)}
    assert entries == {("p-naive", "storage.invalid"), ("p-author", "storage.invalid"),
                       (None, "storage.invalid"), ("p-bad", "normalise.failed"),
                       ("p-dict", "storage.invalid")}  # fmt: skip
    naive_entry = next(e for e in held(writer) if e["item_id"] == "p-naive")
    assert "naive" in naive_entry["error"] and naive_entry["raw"] == naive.raw
    assert queries.get_cursor(writer.db, ACCOUNT, "posts") == "2024-01-01T00:00:00Z"


def test_an_item_met_again_is_one_entry_and_resolves_once_archived(tmp_path: Path):
    clock = Clock()
    writer = ArchiveWriter(connect(tmp_path / "somed.db"), clock)
    bad = Quarantined("facebook", ACCOUNT, "posts", "post", "p-1", {"id": "p-1"}, "ValueError")
    writer.write_batch(ACCOUNT, [bad], stream="posts")
    clock.advance(minutes=15)
    writer.write_batch(ACCOUNT, [bad], stream="posts")
    [entry] = held(writer)
    assert entry["seen_count"] == 2 and entry["first_seen_at"] != entry["last_seen_at"]
    assert quarantine.open_counts(writer.db) == {ACCOUNT: 1}
    writer.write_batch(ACCOUNT, [post("p-1")], stream="posts")  # the platform fixed it
    assert held(writer) == [] and quarantine.open_counts(writer.db) == {}
    [row] = quarantine.entries(writer.db, include_resolved=True)
    assert row["resolution"] == "archived" and row["resolved_at"]
    writer.write_batch(ACCOUNT, [bad], stream="posts")  # broken again: the entry reopens
    assert [e["resolved_at"] for e in held(writer)] == [None]


def test_a_run_row_counts_what_it_quarantined(tmp_path: Path):
    writer = ArchiveWriter(connect(tmp_path / "somed.db"), Clock())
    run_id = writer.runlog.start_run(ACCOUNT, "facebook", "manual")
    writer.runlog.finish_run(run_id, "ok", new=1, changed=0, deleted=0, requests=3, quarantined=2)
    assert queries.last_runs(writer.db, ACCOUNT, limit=1)[0]["quarantined"] == 2
