"""Shared by the retention tests: a small real archive with the writer, and rules to load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.model import Author, MediaRef, Record
from somed.config_retention import RetentionConfig
from storage.db import connect
from storage.media import MediaStore
from storage.writer import ArchiveWriter

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
SECRET = "Hemligtordetta"  # a word only disposed items carry

RULES = RetentionConfig.model_validate({
    "not_current_after": "1y",
    "rules": [
        {"name": "egna", "decision": "KS 2023/1285 §4", "direction": "own", "keep": True},
        {"name": "kommentarer", "decision": "KS 2023/1285 §5", "direction": "incoming",
         "kind": ["comment", "reply"], "dispose_when_not_current": True},
        {"name": "flaggade", "decision": "KS 2023/1285 §6", "priority": 10,
         "flags": ["hate", "threat"], "keep": True},
        {"name": "reklam", "decision": "KS 2023/1285 §7", "priority": 20, "flags": ["commercial"],
         "deleted": True, "dispose_after": "30d"},
    ],
})  # fmt: skip


def record(item_id: str, *, kind: str = "comment", direction: str = "incoming",
           text: str = "Tack för informationen", age_days: int = 400,
           media: tuple[MediaRef, ...] = (), account: str = "mora-fb",
           parent: str | None = "p1") -> Record:  # fmt: skip
    """A Facebook record of the test archive, created `age_days` before NOW."""
    return Record(
        platform="facebook", account=account, kind=kind, id=item_id, parent_id=parent,
        thread_id="p1", direction=direction, author=Author("u-" + item_id, "Anna Åberg"),
        text=text, created_at=NOW - timedelta(days=age_days), url=f"https://fb.test/{item_id}",
        media=media, extra={"likes": 3}, raw={"id": item_id, "message": text},
    )  # fmt: skip


def build_archive(root: Path) -> Path:
    """An archive with own posts, old and new comments, a flagged one, shared and own media."""
    db = connect(root / "somed.db")
    store = MediaStore(root)
    shared = store.put(b"shared-image-bytes", "image/png")
    alone = store.put(b"only-the-old-comment-" + SECRET.encode(), "image/png")
    writer = ArchiveWriter(db, lambda: NOW)
    writer.write_batch("mora-fb", [
        record("p1", kind="post", direction="own", text="Välkommen till Mora", parent=None,
               media=(MediaRef("m-shared", "https://cdn.test/s.png"),)),
        record("c-old", text=f"Gammal kommentar {SECRET}",
               media=(MediaRef("m-shared", "https://cdn.test/s.png"),
                      MediaRef("m-alone", "https://cdn.test/a.png"))),
        record("c-old2", text=f"En till {SECRET} kommentar", kind="reply", parent="c-old"),
        record("c-new", text="Ny kommentar", age_days=10),
        record("c-hate", text="Hatisk kommentar"),
    ], media={"m-shared": shared, "m-alone": alone})  # fmt: skip
    db.execute("INSERT INTO flags (platform, item_id, account, flag, reason, details, created_at)"
               " VALUES ('facebook', 'c-hate', 'mora-fb', 'hate', 'moderation.hate', '{}',"
               " '2026-01-01T00:00:00Z')")  # fmt: skip
    db.conn.commit()
    db.close()
    return root / "somed.db"
