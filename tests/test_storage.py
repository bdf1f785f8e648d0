"""Storage layer tests against real SQLite files in tmp_path."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.model import RECORD_FIELDS, Author, MediaRef, Record, Tombstone, parse_utc
from storage import queries
from storage.db import connect, integrity_ok
from storage.media import MediaStore
from storage.migrations import MIGRATIONS
from storage.writer import ArchiveWriter, WriteStats

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "mora-fb"


class Clock:
    """A settable clock for the writer."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def post(item_id: str, text: str = "Välkommen till Mora", *, minutes: int = 0, **kw) -> Record:
    return Record(
        platform="facebook",
        account=kw.pop("account", ACCOUNT),
        kind=kw.pop("kind", "post"),
        id=item_id,
        parent_id=kw.pop("parent_id", None),
        thread_id=kw.pop("thread_id", item_id),
        direction=kw.pop("direction", "own"),
        author=Author("100200300", "Mora kommun"),
        text=text,
        created_at=kw.pop(
            "created_at", datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
        ),
        url=f"https://www.facebook.com/{item_id}",
        raw={"id": item_id, "message": text},
        **kw,
    )


def comment(item_id: str, thread: str, text: str = "Tack!", **kw) -> Record:
    kw.setdefault("minutes", 1)
    return post(
        item_id,
        text,
        kind="comment",
        parent_id=thread,
        thread_id=thread,
        direction="incoming",
        **kw,
    )


def gone(item_id: str, kind: str = "post") -> Tombstone:
    return Tombstone("facebook", ACCOUNT, kind, item_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path):
    database = connect(tmp_path / "state" / "somed.db")
    yield database
    database.close()


@pytest.fixture
def writer(db, clock: Clock) -> ArchiveWriter:
    return ArchiveWriter(db, clock)


def item(db, item_id: str) -> dict:
    return db["items"].get(("facebook", item_id))


def export_one(db, item_id: str) -> dict:
    return next(r for r in queries.export_items(db) if r["id"] == item_id)


# --- connect and migrations -------------------------------------------------------------------


def test_connect_sets_pragmas_and_records_migrations(tmp_path: Path) -> None:
    db = connect(tmp_path / "new" / "dir" / "somed.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    rows = list(db["_sqlite_migrations"].rows)
    names = [r["name"] for r in rows]
    assert {r["migration_set"] for r in rows} == {"somed"} and names[0] == "m001_initial"
    assert names == [m.name for m in MIGRATIONS._migrations]  # every one, in the file's order
    for table in (
        "items",
        "item_versions",
        "media",
        "item_media",
        "cursors",
        "runs",
        "stream_state",
        "account_health",
        "flags",
        "audit_log",
        "accounts",
    ):
        assert db[table].exists(), table
    assert integrity_ok(db)
    db.close()
    again = connect(tmp_path / "new" / "dir" / "somed.db")
    assert again["_sqlite_migrations"].count == len(rows)  # nothing applied twice
    again.close()


def _connect_in_child(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        db = connect(Path(path))
        results.put(("ok", db["_sqlite_migrations"].count))
        db.close()
    except Exception as exc:  # pragma: no cover - reported to the parent
        results.put(("error", repr(exc)))


def test_processes_connecting_at_once_to_a_fresh_file_all_succeed(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    path = str(tmp_path / "race.db")
    workers = 8
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=_connect_in_child, args=(path, barrier, results)) for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    applied = len(MIGRATIONS._migrations)
    assert outcomes == [("ok", applied)] * workers
    db = connect(Path(path))
    assert [r["name"] for r in db["_sqlite_migrations"].rows] == [
        m.name for m in MIGRATIONS._migrations
    ]  # each applied exactly once
    assert integrity_ok(db)
    db.close()


# --- write semantics ----------------------------------------------------------------------------


def test_new_unchanged_changed_deleted(db, writer: ArchiveWriter, clock: Clock) -> None:
    stats = writer.write_batch(ACCOUNT, [post("1"), post("2"), comment("3", "1")])
    assert stats == WriteStats(new=3)
    first = item(db, "1")
    assert first["first_seen_at"] == first["last_seen_at"] == "2024-03-01T12:00:00Z"
    assert first["version_count"] == 1 and first["deleted_at"] is None
    assert first["sha256"] == post("1").content_sha256()

    clock.advance(hours=1)
    stats = writer.write_batch(ACCOUNT, [post("1"), post("2", "Ny text"), gone("3", "comment")])
    assert stats == WriteStats(new=0, changed=1, deleted=1, unchanged=1)
    assert item(db, "1")["last_seen_at"] == "2024-03-01T13:00:00Z"
    assert item(db, "1")["version_count"] == 1
    second = item(db, "2")
    assert (second["text"], second["version_count"]) == ("Ny text", 2)
    assert second["first_seen_at"] == "2024-03-01T12:00:00Z"
    third = item(db, "3")
    assert third["deleted_at"] == "2024-03-01T13:00:00Z"
    assert third["text"] == "Tack!"  # everything else stays
    assert db["item_versions"].count == 4

    clock.advance(hours=1)
    stats = writer.write_batch(ACCOUNT, [gone("3", "comment"), gone("404")])
    assert stats == WriteStats()  # already deleted, unknown: both ignored
    assert item(db, "3")["deleted_at"] == "2024-03-01T13:00:00Z"
    assert not db["items"].count_where("id = ?", ["404"])
    assert (stats + WriteStats(1, 2, 3, 4)) == WriteStats(1, 2, 3, 4)


def test_versions_are_exported_oldest_first(db, writer: ArchiveWriter, clock: Clock) -> None:
    for text in ("v1", "v2", "v3"):
        writer.write_batch(ACCOUNT, [post("1", text)])
        clock.advance(minutes=10)
    record = export_one(db, "1")
    assert record["text"] == "v3"
    assert [v["text"] for v in record["versions"]] == ["v1", "v2"]
    assert [v["seen_at"] for v in record["versions"]] == [
        "2024-03-01T12:00:00Z",
        "2024-03-01T12:10:00Z",
    ]
    assert record["versions"][0]["sha256"] == post("1", "v1").content_sha256()
    assert record["sha256"] == post("1", "v3").content_sha256()


def test_same_record_twice_in_one_batch_and_gone_then_back(db, writer: ArchiveWriter) -> None:
    stats = writer.write_batch(ACCOUNT, [post("1", "a"), post("1", "b"), gone("1"), post("1", "b")])
    assert stats == WriteStats(new=1, changed=1, unchanged=1)
    row = item(db, "1")
    assert (row["text"], row["version_count"], row["deleted_at"]) == ("b", 2, None)


def test_reappearance_clears_deleted_at_and_is_audited(db, writer, clock: Clock) -> None:
    writer.write_batch(ACCOUNT, [post("1")])
    clock.advance(hours=1)
    writer.write_batch(ACCOUNT, [gone("1")])
    clock.advance(hours=1)
    stats = writer.write_batch(ACCOUNT, [post("1")])
    assert stats == WriteStats(changed=1)
    assert item(db, "1")["deleted_at"] is None
    assert item(db, "1")["version_count"] == 1
    audits = list(db["audit_log"].rows_where("action = 'reappeared'"))
    assert len(audits) == 1
    assert audits[0]["target"] == "item:facebook:1"
    assert '"deleted_at":"2024-03-01T13:00:00Z"' in audits[0]["details"]


def test_repeat_safe(db, writer: ArchiveWriter, clock: Clock) -> None:
    batch = [post("1", media=(MediaRef("m1", "https://cdn/1.jpg"),)), comment("2", "1"), gone("9")]
    writer.write_batch(ACCOUNT, batch, cursor=("posts", "c1"))

    def snapshot() -> dict:
        return {
            t: [
                {k: v for k, v in r.items() if k not in {"last_seen_at", "updated_at"}}
                for r in db[t].rows
            ]
            for t in ("items", "item_versions", "item_media", "audit_log", "cursors")
        }

    before = snapshot()
    clock.advance(hours=2)
    assert writer.write_batch(ACCOUNT, batch, cursor=("posts", "c1")) == WriteStats(unchanged=2)
    assert snapshot() == before
    assert item(db, "1")["last_seen_at"] == "2024-03-01T14:00:00Z"


def test_records_and_cursor_share_one_transaction(db, writer: ArchiveWriter, monkeypatch) -> None:
    with pytest.raises(TypeError):
        writer.write_batch(
            ACCOUNT,
            [post("1"), post("2"), "not a record"],  # type: ignore[list-item]
            cursor=("posts", "c1"),
        )
    with pytest.raises(ValueError):
        writer.write_batch(ACCOUNT, [post("1"), post("2", account="other")], cursor=("posts", "c1"))
    # a failure inside the transaction, after the records were written
    with pytest.raises(sqlite3.IntegrityError):
        writer.write_batch(ACCOUNT, [post("1"), post("2")], cursor=("posts", None))  # type: ignore[arg-type]
    assert db["items"].count == 0 and db["item_versions"].count == 0
    assert queries.get_cursor(db, ACCOUNT, "posts") is None

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ArchiveWriter, "_reuse_downloads", boom)
    with pytest.raises(RuntimeError):
        writer.write_batch(
            ACCOUNT, [post("1", media=(MediaRef("m", "https://cdn/m"),))], cursor=("posts", "c1")
        )
    assert db["items"].count == 0 and db["item_media"].count == 0
    monkeypatch.undo()
    writer.write_batch(ACCOUNT, [post("1")], cursor=("posts", "c1"))
    assert queries.get_cursor(db, ACCOUNT, "posts") == "c1"
    assert db["items"].count == 1


def test_append_only_tables_reject_update_and_delete(db, writer: ArchiveWriter) -> None:
    writer.write_batch(ACCOUNT, [post("1")])
    writer.runlog.audit("anna", "note", "account:mora-fb", reason="test", details={"a": 1})
    for sql in (
        "UPDATE item_versions SET text = 'rewritten'",
        "DELETE FROM item_versions",
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"), db.conn:
            db.execute(sql)
    assert db["item_versions"].count == 1 and db["audit_log"].count == 1
    assert next(db["item_versions"].rows)["text"] == "Välkommen till Mora"


def test_full_text_search_follows_edits(db, writer: ArchiveWriter) -> None:
    writer.write_batch(ACCOUNT, [post("1", "Snöröjning på Kyrkogatan"), post("2", "Badplatser")])

    def hits(term: str) -> list[str]:
        return [r["id"] for r in db["items"].search(term)]

    assert hits("Kyrkogatan") == ["1"]
    writer.write_batch(ACCOUNT, [post("1", "Sandning på Vasagatan")])
    assert hits("Kyrkogatan") == [] and hits("Vasagatan") == ["1"]
    writer.write_batch(ACCOUNT, [gone("2")])
    assert hits("Badplatser") == ["2"]  # deleted items stay searchable


# --- media --------------------------------------------------------------------------------------


def test_media_store_is_content_addressed_idempotent_and_atomic(
    tmp_path: Path, monkeypatch
) -> None:
    store = MediaStore(tmp_path)
    data = b"\x89PNG fake image bytes"
    first = store.put(data, "image/png")
    assert first.path.startswith(f"media/{first.sha256[:2]}/{first.sha256[2:4]}/")
    assert first.path.endswith(f"{first.sha256}.png") and first.size == len(data)
    full = store.path_of(first.path)
    assert full.read_bytes() == data
    inode, mtime = full.stat().st_ino, full.stat().st_mtime_ns
    again = store.put(data, None)
    assert again.path == first.path
    assert (full.stat().st_ino, full.stat().st_mtime_ns) == (inode, mtime)
    assert store.verify(first.path, first.sha256)
    assert not store.verify(first.path, "0" * 64)
    assert not store.verify("media/aa/bb/missing.png", first.sha256)
    with pytest.raises(ValueError):
        store.path_of("../outside")
    assert store.put(b"x", None).path.endswith(".bin")

    def failing_replace(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        store.put(b"other bytes", "image/jpeg")
    leftovers = [p.name for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert all(not n.startswith(".tmp-") for n in leftovers)
    assert not any(n.endswith(".jpg") for n in leftovers)


def test_media_links_and_downloads(db, writer: ArchiveWriter, tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    refs = (MediaRef("k1", "https://cdn/k1?sig=a"), MediaRef("k2", "https://cdn/k2?sig=a"))
    writer.write_batch(ACCOUNT, [post("1", media=refs)])
    assert queries.downloaded_media_keys(db, "facebook", ["k1", "k2"]) == set()
    stored = store.put(b"image one", "image/jpeg")
    writer.write_batch(ACCOUNT, [], media={"k1": stored})
    assert queries.downloaded_media_keys(db, "facebook", ["k1", "k2", "k9"]) == {"k1"}
    # a later fetch with a fresh signed URL keeps the file and updates the URL
    refs2 = (MediaRef("k1", "https://cdn/k1?sig=b"), MediaRef("k2", "https://cdn/k2?sig=b"))
    assert writer.write_batch(ACCOUNT, [post("1", media=refs2)]) == WriteStats(unchanged=1)
    link = db["item_media"].get(("facebook", "1", "k1"))
    assert link["sha256"] == stored.sha256 and link["source_url"] == "https://cdn/k1?sig=b"
    # another item with the same media key reuses the downloaded file
    writer.write_batch(ACCOUNT, [post("2", media=(MediaRef("k1", "https://cdn/k1?sig=c"),))])
    assert db["item_media"].get(("facebook", "2", "k1"))["sha256"] == stored.sha256
    media = export_one(db, "1")["media"]
    assert [m["key"] for m in media] == ["k1", "k2"]
    assert media[0] | {"source_url": None} == {
        "key": "k1",
        "kind": "image",
        "sha256": stored.sha256,
        "mime_type": "image/jpeg",
        "size": stored.size,
        "source_url": None,
        "path": stored.path,
    }
    assert media[1]["sha256"] is None
    assert db["media"].count == 1


# --- read side ----------------------------------------------------------------------------------


def test_export_filters_and_contract(db, writer: ArchiveWriter) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    writer.write_batch(
        ACCOUNT,
        [post(str(i), created_at=base + timedelta(days=i)) for i in range(5)]
        + [comment("c", "2", created_at=base + timedelta(days=2, hours=1))],
    )
    writer.write_batch("other", [post("x", account="other", created_at=base)])
    ids = [
        r["id"]
        for r in queries.export_items(
            db, account=ACCOUNT, since=base + timedelta(days=1), until=base + timedelta(days=3)
        )
    ]
    assert ids == ["1", "2", "c"]
    ids = [
        r["id"] for r in queries.export_items(db, since=base + timedelta(days=3, microseconds=1))
    ]
    assert ids == ["4"]
    assert [r["id"] for r in queries.export_items(db, kinds=["comment"])] == ["c"]
    assert [r["id"] for r in queries.export_items(db, until=base + timedelta(days=1))] == ["0", "x"]
    record = export_one(db, "c")
    contract = [*RECORD_FIELDS[:-1], "extra", "sha256"]
    assert list(record)[: len(contract)] == contract
    assert record["disposal"] is None  # records management (issue 8) adds its keys after these
    assert record["author"] == {"id": "100200300", "name": "Mora kommun"}
    # the exported fields are enough to recompute the content hash
    rebuilt = Record(
        platform=record["platform"],
        account=record["account"],
        kind=record["kind"],
        id=record["id"],
        parent_id=record["parent_id"],
        thread_id=record["thread_id"],
        direction=record["direction"],
        author=Author(**record["author"]),
        text=record["text"],
        created_at=parse_utc(record["created_at"]),
        edited_at=parse_utc(record["edited_at"]),
        url=record["url"],
        media=tuple(MediaRef(m["key"], "") for m in record["media"]),
        extra=record["extra"],
    )
    assert rebuilt.content_sha256() == record["sha256"]
    db["flags"].insert(
        {
            "platform": "facebook",
            "item_id": "c",
            "account": ACCOUNT,
            "flag": "personal_data",
            "reason": "personnummer",
            "created_at": "2024-03-02T00:00:00Z",
        }
    )
    assert export_one(db, "c")["flags"] == [
        {
            "flag": "personal_data",
            "reason": "personnummer",
            "created_at": "2024-03-02T00:00:00Z",
            "resolved_at": None,
            "resolution": None,  # resolved or dismissed once closed
        }
    ]


def test_export_streams_in_chunks(db, writer: ArchiveWriter, monkeypatch) -> None:
    writer.write_batch(ACCOUNT, [post(f"{i:04d}", minutes=i) for i in range(25)])
    monkeypatch.setattr(queries, "EXPORT_CHUNK", 4)
    rows = queries.export_items(db)
    assert next(rows)["id"] == "0000"
    assert [r["id"] for r in rows] == [f"{i:04d}" for i in range(1, 25)]


def test_refetch_refs(db, writer: ArchiveWriter) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    writer.write_batch(
        ACCOUNT,
        [
            post("old", created_at=base - timedelta(days=30)),
            comment("old-c", "old", created_at=base),
            post("new", created_at=base + timedelta(days=1)),
            comment("new-c", "new", created_at=base + timedelta(days=1, hours=1)),
            post(
                "new-r",
                kind="reply",
                parent_id="new-c",
                thread_id="new",
                direction="incoming",
                created_at=base + timedelta(days=1, hours=2),
            ),
            comment("new-gone", "new", created_at=base + timedelta(days=1, hours=3)),
            post("gone", created_at=base + timedelta(days=2)),
            post(
                "dm",
                kind="message",
                parent_id="conv",
                thread_id="conv",
                direction="incoming",
                created_at=base + timedelta(days=2),
            ),
        ],
    )
    writer.write_batch("other", [post("x", account="other", created_at=base + timedelta(days=1))])
    writer.write_batch(ACCOUNT, [gone("new-gone", "comment"), gone("gone")])
    refs = queries.refetch_refs(db, ACCOUNT, since=base)
    assert [(r.kind, r.id) for r in refs] == [
        ("post", "new"),
        ("comment", "new-c"),
        ("reply", "new-r"),
    ]
    assert refs[0].created_at == base + timedelta(days=1)
    assert refs[2].parent_id == "new-c" and refs[2].thread_id == "new"


# --- runs, health, accounts ---------------------------------------------------------------------


def test_runs_and_crash_recovery(db, writer: ArchiveWriter, clock: Clock) -> None:
    run_id = writer.runlog.start_run(ACCOUNT, "facebook", "manual")
    clock.advance(seconds=90)
    writer.runlog.finish_run(run_id, "ok", new=3, changed=1, deleted=0, requests=7)
    run = db["runs"].get(run_id)
    assert (run["status"], run["duration_seconds"], run["new"], run["requests"]) == (
        "ok",
        90.0,
        3,
        7,
    )
    assert run["finished_at"] == "2024-03-01T12:01:30Z" and run["pid"] == os.getpid()
    with pytest.raises(ValueError):
        writer.runlog.start_run(ACCOUNT, "facebook", "whenever")

    child = multiprocessing.get_context("fork").Process(target=os.getpid)
    child.start()
    child.join()
    stale = writer.runlog.start_run(ACCOUNT, "facebook", "scheduled")
    mine = writer.runlog.start_run(ACCOUNT, "facebook", "scheduled")
    db["runs"].update(stale, {"pid": child.pid})
    assert writer.runlog.mark_interrupted_runs(ACCOUNT) == 1
    assert db["runs"].get(stale)["status"] == "interrupted"
    assert db["runs"].get(mine)["status"] == "running"
    assert [r["id"] for r in queries.last_runs(db, ACCOUNT, limit=2)] == [mine, stale]


def test_health_stream_state_and_overview(db, writer: ArchiveWriter, clock: Clock) -> None:
    writer.runlog.sync_accounts(
        [
            {
                "key": ACCOUNT,
                "platform": "facebook",
                "platform_id": "100200300",
                "url": "https://www.facebook.com/morakommun",
                "owner": "KLK",
                "editor": "Anna",
                "substitute": "Erik",
                "config": {"streams": ["posts"]},
            }
        ]
    )
    assert writer.runlog.set_health(ACCOUNT, "ok") is None
    clock.advance(hours=1)
    assert writer.runlog.set_health(ACCOUNT, "ok") is None
    assert writer.runlog.set_health(ACCOUNT, "failing", "HTTP 500") == "ok"
    assert writer.runlog.set_health(ACCOUNT, "failing", "HTTP 502") is None
    writer.runlog.set_stream_state(ACCOUNT, "posts", "ok")
    clock.advance(hours=1)
    writer.runlog.set_stream_state(
        ACCOUNT, "messages", "permission_denied", "pages_messaging missing"
    )
    writer.runlog.set_stream_state(
        ACCOUNT, "posts", "failed", "timeout", reason="net.timeout", params={"after": 30}
    )
    run_id = writer.runlog.start_run(ACCOUNT, "facebook", "scheduled")
    parts = {"parts": [{"stream": "posts", "reason": "net.timeout", "params": {}}]}
    writer.runlog.finish_run(
        run_id,
        "partial",
        new=2,
        changed=0,
        deleted=0,
        requests=4,
        message="posts: timeout",
        reason="run.partial",
        params=parts,
    )
    assert writer.runlog.set_health(ACCOUNT, "ok", run_id=run_id) == "failing"
    writer.write_batch(ACCOUNT, [post("1", minutes=5), post("2", minutes=9), comment("3", "1")])
    writer.write_batch(ACCOUNT, [gone("3", "comment")])
    [view] = queries.account_overview(db)
    assert view["key"] == ACCOUNT and view["platform"] == "facebook" and view["owner"] == "KLK"
    assert view["health"] == {
        "status": "ok",
        "message": None,
        "since": "2024-03-01T14:00:00Z",
        "reason": None,
        "reason_params": {},
    }
    assert view["last_ok_at"] == "2024-03-01T14:00:00Z"
    assert view["last_run"]["id"] == run_id and view["last_run"]["status"] == "partial"
    assert view["items"] == {"comment": 1, "post": 2} and view["deleted"] == 1
    assert view["newest_own_post_at"] == "2024-01-01T00:09:00Z"
    streams = {s["stream"]: s for s in view["streams"]}
    assert streams["posts"]["status"] == "failed"
    assert (streams["posts"]["reason"], streams["posts"]["reason_params"]) == (
        "net.timeout",
        {"after": 30},
    )  # code and params come back as they were stored
    assert (view["last_run"]["reason"], view["last_run"]["reason_params"]) == ("run.partial", parts)
    assert streams["posts"]["last_ok_at"] == "2024-03-01T13:00:00Z"
    assert streams["messages"]["last_ok_at"] is None
    assert queries.item_count(db) == 3 and queries.item_count(db, "nobody") == 0


def test_first_health_that_is_not_ok_is_a_change(writer: ArchiveWriter) -> None:
    assert writer.runlog.set_health("new-acct", "auth_failed", "token expired") == "unknown"


def test_sync_accounts_audits_additions_and_changes(db, writer: ArchiveWriter, clock) -> None:
    row = {
        "key": ACCOUNT,
        "platform": "facebook",
        "platform_id": "1",
        "owner": "KLK",
        "editor": "Anna",
        "substitute": "Erik",
        "config": {},
    }
    writer.runlog.sync_accounts([row])
    writer.runlog.sync_accounts([row])
    clock.advance(days=1)
    writer.runlog.sync_accounts([row | {"editor": "Bo"}])
    actions = [(r["action"], r["target"]) for r in db["audit_log"].rows]
    assert actions == [("account_added", "account:mora-fb"), ("account_updated", "account:mora-fb")]
    stored = db["accounts"].get(ACCOUNT)
    assert stored["editor"] == "Bo" and stored["added_at"] == "2024-03-01T12:00:00Z"
    assert stored["updated_at"] == "2024-03-02T12:00:00Z"


# --- speed --------------------------------------------------------------------------------------


def test_write_throughput(db, writer: ArchiveWriter, capsys) -> None:
    records = [
        post(str(i), f"Inlägg nummer {i} från Mora kommun", minutes=i) for i in range(20_000)
    ]
    started = time.perf_counter()
    for start in range(0, len(records), 2_000):
        writer.write_batch(ACCOUNT, records[start : start + 2_000])
    new_rate = len(records) / (time.perf_counter() - started)
    started = time.perf_counter()
    for start in range(0, len(records), 2_000):
        writer.write_batch(ACCOUNT, records[start : start + 2_000])
    unchanged_rate = len(records) / (time.perf_counter() - started)
    with capsys.disabled():
        print(f"\nwrite_batch: {new_rate:,.0f} new records/s, {unchanged_rate:,.0f} unchanged/s")
    assert queries.item_count(db) == 20_000


def test_stale_temp_files_of_a_killed_write_are_removed_but_fresh_ones_kept(tmp_path):
    import os
    import time as _time

    store = MediaStore(tmp_path)
    stored = store.put(b"\x89PNG fake", "image/png")
    folder = store.path_of(stored.path).parent
    old = folder / ".tmp-old.part"
    fresh = folder / ".tmp-fresh.part"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    two_hours_ago = _time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert store.remove_stale_temp() == 1
    assert not old.exists() and fresh.exists() and store.path_of(stored.path).exists()
