"""Retention: rules checked at start, a deterministic plan, and a disposal that removes the
content everywhere (database file, FTS index, media store) and leaves its tombstone."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from retention_support import NOW, RULES, SECRET, build_archive, record

from connectors.model import Quarantined
from somed.config import ConfigError, load_config
from somed.retention.apply import PlanChanged, apply_plan
from somed.retention.plan import plan_from_archive
from storage import queries
from storage.db import connect
from storage.holds import add_hold, release_hold
from storage.writer import ArchiveWriter

BASE = '[storage]\ndir = "/var/lib/somed"\n[retention]\n'


def config_error(tmp_path: Path, rules: str) -> str:
    path = tmp_path / "c.toml"
    path.write_text(BASE + rules, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message


RULE = '[[retention.rules]]\nname = "{name}"\ndecision = "KS 1"\n{body}\n'


@pytest.mark.parametrize(("rules", "words"), [
    (RULE.format(name="a", body='kind = "comment"\nkeep = true')
     + RULE.format(name="b", body='direction = "incoming"\ndispose_after = "2y"'),
     ["retention.rules", "'a' and 'b'", "priority"]),
    (RULE.format(name="a", body='flags = ["hate"]\nkeep = true')
     + RULE.format(name="b", body='older_than = "1y"\ndispose_when_not_current = true'),
     ["'a' and 'b'"]),
    (RULE.format(name="a", body='keep = true\ndispose_after = "1y"'), ["2 actions"]),
    (RULE.format(name="a", body='kind = "comment"'), ["no action"]),
    (RULE.format(name="a", body='dispose_after = "2 years"'), ["dispose_after", "not a period"]),
    (RULE.format(name="a", body='keep = true\nkinds = "post"'), ["kinds"]),
    (RULE.format(name="a", body='kind = "story"\nkeep = true'), ["unknown value 'story'"]),
    ('not_current_after = "soon"\n', ["not_current_after", "not a period"]),
])  # fmt: skip
def test_rule_conflicts_and_mistakes_are_one_line_config_errors(tmp_path, rules, words):
    message = config_error(tmp_path, rules)
    for word in words:
        assert word in message, message


def test_rules_that_cannot_select_the_same_item_or_differ_in_priority_load(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(BASE + (
        RULE.format(name="own", body='direction = "own"\nkeep = true')
        + RULE.format(name="in", body='direction = "incoming"\ndispose_after = "2y"')
        + RULE.format(name="gone", body='deleted = true\npriority = 5\ndispose_after = "30d"')
        + RULE.format(name="same", body='kind = "post"\ndirection = "own"\nkeep = true')
    ), encoding="utf-8")  # fmt: skip
    assert [r.name for r in load_config(path, {}).retention.by_priority()][0] == "gone"


def test_the_plan_is_deterministic_for_a_fixed_clock_and_holds_win(tmp_path):
    build_archive(tmp_path)
    with closing(connect(tmp_path / "somed.db")) as db:
        first = plan_from_archive(db, RULES, NOW)
        again = plan_from_archive(db, RULES, NOW)
        assert first == again and len(first.id) == 20
        assert [d.item_id for d in first.disposals] == ["c-old", "c-old2"]
        totals = {t.name: t for t in first.rules}
        assert totals["kommentarer"].matched == 3 and totals["kommentarer"].due == 2
        assert totals["flaggade"].matched == 1 and totals["egna"].matched == 1
        assert totals["kommentarer"].bytes > len(SECRET) * 2
        assert first.unmatched == 0 and first.examined == 5
        later = plan_from_archive(db, RULES, NOW + timedelta(days=400))
        assert later.id != first.id and len(later.disposals) == 3  # c-new is old enough now
        hold = add_hold(db, reason="Tvist 2026", by="registrator", now=NOW, query=SECRET)
        held = plan_from_archive(db, RULES, NOW)
        assert held.disposals == () and held.held == 2 and held.id != first.id
        release_hold(db, hold, reason="Tvisten avgjord", by="registrator", now=NOW)
        assert plan_from_archive(db, RULES, NOW).id == first.id
        actions = [r["action"] for r in db.query("SELECT action FROM audit_log ORDER BY id")]
        assert actions == ["hold_added", "hold_released"]


def test_apply_removes_the_content_everywhere_and_leaves_the_tombstone(tmp_path):
    path = build_archive(tmp_path)
    files_before = {p.name for p in (tmp_path / "media").rglob("*.png")}
    with closing(connect(path)) as db:
        add_hold(db, reason="Tvist", by="registrator", now=NOW, query="Hatisk")
        plan = plan_from_archive(db, RULES, NOW)
        done = apply_plan(db, RULES, plan.id, by="arkivarie", now=NOW, storage_root=tmp_path)
        assert done.disposed == 2 and done.files_removed == 1
        items = {i["id"]: i for i in queries.export_items(db)}
        gone = items["c-old"]
        assert gone["text"] is None and gone["author"] == {"id": None, "name": None}
        assert gone["versions"] == [] and gone["media"] == [] and gone["url"] is None
        assert gone["disposal"] == {
            "rule": "kommentarer",
            "decision": "KS 2023/1285 §5",
            "disposed_at": "2026-06-15T10:00:00Z",
            "disposed_by": "arkivarie",
            "sha256": gone["sha256"],
        }
        assert items["p1"]["disposal"] is None and items["p1"]["media"][0]["sha256"]
        assert items["c-hate"]["text"] == "Hatisk kommentar"
        assert (
            db.execute(
                "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", [SECRET]
            ).fetchone()[0]
            == 0
        )
        assert db.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'Välkommen'"
                          ).fetchone()[0] == 1  # fmt: skip
        entry = db.execute("SELECT actor, action, target FROM audit_log ORDER BY id DESC"
                           " LIMIT 1").fetchone()  # fmt: skip
        assert tuple(entry) == ("arkivarie", "disposal_applied", f"plan:{plan.id}")
        db.execute("VACUUM")
    raw = path.read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("somed.db-*") if p.is_file()
    )
    assert SECRET.encode() not in raw and SECRET.lower().encode() not in raw
    files_after = {p.name for p in (tmp_path / "media").rglob("*.png")}
    assert len(files_before - files_after) == 1 and len(files_after) == 1  # the shared one stays
    for file in (tmp_path / "media").rglob("*"):
        assert not file.is_file() or SECRET.encode() not in file.read_bytes()


def test_a_changed_archive_makes_apply_refuse_the_old_plan(tmp_path):
    path = build_archive(tmp_path)
    with closing(connect(path)) as db:
        plan = plan_from_archive(db, RULES, NOW)
        ArchiveWriter(db, lambda: NOW).write_batch(
            "mora-fb", [record("c-old2", kind="reply", parent="c-old", text="Ändrad kommentar")]
        )
        with pytest.raises(PlanChanged) as info:
            apply_plan(db, RULES, plan.id, by="arkivarie", now=NOW, storage_root=tmp_path)
        assert info.value.current != plan.id
        assert db.execute("SELECT count(*) FROM disposals").fetchone()[0] == 0


def test_history_stays_append_only_outside_the_disposal_path(tmp_path):
    path = build_archive(tmp_path)
    with closing(connect(path)) as db:
        for sql in ("DELETE FROM item_versions WHERE item_id = 'c-old'",
                    "UPDATE item_versions SET text = 'x' WHERE item_id = 'c-old'"):  # fmt: skip
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(sql)
        plan = plan_from_archive(db, RULES, NOW)
        apply_plan(db, RULES, plan.id, by="arkivarie", now=NOW, storage_root=tmp_path)
        for sql in ("DELETE FROM disposals", "UPDATE disposals SET rule = 'x'",
                    "DELETE FROM item_versions WHERE item_id = 'p1'",
                    "UPDATE items SET text = 'tillbaka' WHERE id = 'c-old'"):  # fmt: skip
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(sql)


def test_the_writer_never_brings_a_disposed_item_back(tmp_path):
    path = build_archive(tmp_path)
    with closing(connect(path)) as db:
        plan = plan_from_archive(db, RULES, NOW)
        apply_plan(db, RULES, plan.id, by="arkivarie", now=NOW, storage_root=tmp_path)
        odd = Quarantined(
            platform="facebook",
            account="mora-fb",
            stream="comments",
            kind="comment",
            id="c-old2",
            raw={"message": SECRET},
            error="odd",
        )
        stats = ArchiveWriter(db, lambda: NOW).write_batch(
            "mora-fb",
            [record("c-old", text=f"Gammal kommentar {SECRET} redigerad"), record("c-x"), odd],
        )
        assert stats.new == 1 and stats.changed == 0 and stats.quarantined == 0
        assert db.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
        row = db.execute("SELECT text, version_count, disposed_at FROM items WHERE id = 'c-old'"
                         ).fetchone()  # fmt: skip
        assert row[0] is None and row[2] is not None
        assert db.execute("SELECT count(*) FROM item_versions WHERE item_id = 'c-old'"
                          ).fetchone()[0] == 0  # fmt: skip


def test_apply_removes_exactly_what_the_plan_showed_and_nothing_under_hold(tmp_path):
    path = build_archive(tmp_path)
    with closing(connect(path)) as db:
        add_hold(
            db,
            reason="Begäran om allmän handling",
            by="registrator",
            now=NOW,
            query="till",
            account="mora-fb",
        )  # covers c-old2 only
        plan = plan_from_archive(db, RULES, NOW)
        assert [d.item_id for d in plan.disposals] == ["c-old"] and plan.held == 1
        before = {i["id"]: i for i in queries.export_items(db)}
        apply_plan(db, RULES, plan.id, by="arkivarie", now=NOW, storage_root=tmp_path)
        after = {i["id"]: i for i in queries.export_items(db)}
        assert [tuple(r) for r in db.execute("SELECT item_id, plan_id FROM disposals")] == [
            ("c-old", plan.id)
        ]
        for key in set(before) - {"c-old"}:
            assert after[key] == before[key], key
        assert after["c-old2"]["text"].startswith("En till")


def test_a_registered_item_is_kept_and_a_dismissed_flag_no_longer_keeps_one(tmp_path):
    from somed.config_retention import RetentionConfig
    from storage.flags import dismiss_flag
    from storage.registrations import register

    rules = RetentionConfig.model_validate({"rules": [
        *(r.model_dump(exclude_none=True) for r in RULES.rules),
        {"name": "diarieforda", "decision": "KS 2023/1285 §8", "priority": 10,
         "registered": True, "keep": True},
    ]})  # fmt: skip
    build_archive(tmp_path)
    with closing(connect(tmp_path / "somed.db")) as db:
        register(db, ("facebook", "c-old"), "KS 2026/123", by="registrator", now=NOW)
        flag_id = db.execute("SELECT id FROM flags WHERE item_id = 'c-hate'").fetchone()[0]
        dismiss_flag(db, flag_id, by="redaktör", reason="Inte hat: ironi", now=NOW)
        plan = plan_from_archive(db, rules, NOW)
        assert [d.item_id for d in plan.disposals] == ["c-hate", "c-old2"]
        assert {t.name: t.matched for t in plan.rules}["diarieforda"] == 1


def test_a_disposed_items_moderation_evidence_goes_with_it(tmp_path):
    """The evidence copy of a flagged item holds its text: disposing the item removes it, while
    the evidence of a kept flagged item stays."""
    from storage.media import MediaStore
    from storage.moderated import add_evidence

    path = build_archive(tmp_path)
    store = MediaStore(tmp_path)
    with closing(connect(path)) as db:
        for item_id, text in (("c-old", f"Gammal kommentar {SECRET}"), ("c-hate", "Hatisk")):
            stored = store.put(f'{{"record": {{"text": "{text}"}}}}'.encode(), "application/json")
            sha = db.execute("SELECT sha256 FROM items WHERE id = ?", [item_id]).fetchone()[0]
            with db.conn:
                add_evidence(db, {"platform": "facebook", "id": item_id, "sha256": sha},
                             categories=["hate"], stored=stored, capture_request_id=None,
                             now=NOW)  # fmt: skip
        kept = store.path_of(stored.path)
        plan = plan_from_archive(db, RULES, NOW)
        apply_plan(db, RULES, plan.id, by="arkivarie", now=NOW, storage_root=tmp_path)
        left = [r[0] for r in db.execute("SELECT item_id FROM moderation_evidence")]
        assert left == ["c-hate"] and kept.is_file()
    for file in tmp_path.rglob("*"):
        if file.is_file() and not file.name.startswith("somed.db"):
            assert SECRET.encode() not in file.read_bytes(), file
