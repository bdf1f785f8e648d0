"""Registry numbers and flag dismissals in storage: append-only, kept with who and why, audited."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import audit
from storage.db import connect
from storage.flags import dismiss_flag, flag_history, flagged_items, open_flag, resolve_flag
from storage.registrations import is_registered, register, registry_numbers
from storage.writer import ArchiveWriter
from tests.test_storage import ACCOUNT, comment, post

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path):
    database = connect(tmp_path / "somed.db")
    ArchiveWriter(database, lambda: NOW).write_batch(
        ACCOUNT, [post("1"), comment("2", "1", "Du är en idiot"), comment("3", "1")]
    )
    yield database
    database.close()


def test_an_item_may_carry_several_numbers_each_audited(db) -> None:
    assert register(db, ("facebook", "2"), "KS 2026/123", by="anna", now=NOW)
    assert register(db, ("facebook", "2"), " KS 2026/200 ", by="anna", now=NOW)
    assert not register(db, ("facebook", "2"), "KS 2026/123", by="bo", now=NOW)  # already there
    found = registry_numbers(db, [("facebook", "2"), ("facebook", "3")])
    assert found == {("facebook", "2"): ["KS 2026/123", "KS 2026/200"], ("facebook", "3"): []}
    assert is_registered(db, ("facebook", "2")) and not is_registered(db, ("facebook", "3"))
    logged = audit.entries(db, target="facebook:2", actions=["registered"])
    assert [(e["actor"], e["details"]["number"]) for e in logged] == [
        ("anna", "KS 2026/123"), ("anna", "KS 2026/200"),
    ]  # fmt: skip
    assert audit.verify(db)[1] == []


def test_register_refuses_an_empty_number_and_an_unknown_item(db) -> None:
    with pytest.raises(ValueError):
        register(db, ("facebook", "2"), "  ", by="anna", now=NOW)
    with pytest.raises(LookupError):
        register(db, ("facebook", "404"), "KS 2026/1", by="anna", now=NOW)
    assert registry_numbers(db, [("facebook", "2")]) == {("facebook", "2"): []}


def test_registrations_cannot_be_rewritten(db) -> None:
    register(db, ("facebook", "2"), "KS 2026/123", by="anna", now=NOW)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM registrations")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE registrations SET number = 'x'")


def test_a_dismissed_flag_is_kept_with_who_and_why_and_no_longer_holds(db) -> None:
    item = ("facebook", "2")
    flag_id = open_flag(db, ACCOUNT, "profanity", reason="moderation.profanity", item=item, now=NOW)
    other = open_flag(
        db, ACCOUNT, "hate", reason="moderation.hate", item=("facebook", "3"), now=NOW
    )
    resolve_flag(db, ACCOUNT, "hate", item=("facebook", "3"), now=NOW)
    assert flagged_items(db, ["profanity", "hate"]) == {item, ("facebook", "3")}
    dismiss_flag(db, flag_id, by="eva", reason="Citat ur en bok, inte ett påhopp", now=NOW)
    kept = {f["id"]: f for f in flag_history(db)}
    assert kept[flag_id]["resolution"] == "dismissed"
    assert kept[flag_id]["dismissed_by"] == "eva"
    assert kept[flag_id]["resolution_reason"] == "Citat ur en bok, inte ett påhopp"
    assert kept[flag_id]["resolved_at"] is not None  # no longer open
    assert kept[other]["resolution"] == "resolved"
    assert flagged_items(db, ["profanity", "hate"]) == {("facebook", "3")}
    (entry,) = audit.entries(db, actions=["flag_dismissed"])
    assert (entry["actor"], entry["target"], entry["reason"]) == (
        "eva", "facebook:2", "Citat ur en bok, inte ett påhopp",
    )  # fmt: skip
    with pytest.raises(ValueError):
        dismiss_flag(db, flag_id, by="eva", reason="igen", now=NOW)
    with pytest.raises(LookupError):
        dismiss_flag(db, 999, by="eva", reason="finns inte", now=NOW)
    with pytest.raises(ValueError):
        dismiss_flag(db, other, by="eva", reason=" ", now=NOW)
