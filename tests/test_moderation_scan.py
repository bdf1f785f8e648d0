"""Moderation on a real emulator archive: flags, evidence copies, capture requests, re-checks."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from somed.daemon import prepare_archive
from somed.duties.moderation import ModerationDuty
from somed.moderation import scan
from somed.runner import Runner
from storage import moderated
from storage.db import connect
from storage.flags import dismiss_flag, flag_history
from storage.media import MediaStore

ACCOUNT = "test-fb"


def archive(setup):
    """One run of the test account (the runner's hook checks the new items at its end)."""
    prepare_archive(setup.config)
    return Runner(setup.config).run_account(ACCOUNT)


def query(setup, sql, params=()):
    db = connect(setup.config.db_path)
    try:
        return [dict(r) for r in db.query(sql, params)]
    finally:
        db.close()


def moderation_flags(setup):
    """Every item-level flag of the archive, by (item id, flag name)."""
    db = connect(setup.config.db_path)
    try:
        return {(f["item_id"], f["flag"]): f for f in flag_history(db) if f["item_id"]}
    finally:
        db.close()


def first_post(setup):
    rows = query(setup, "SELECT id FROM items WHERE kind = 'post' ORDER BY created_at DESC")
    return [r["id"] for r in rows]


def comment_after_first_run(setup, text, **kwargs):
    """Archive, comment on the newest post, archive again; the comment's id and the post's."""
    archive(setup)
    post = first_post(setup)[0]
    comment = setup.emulator.add_comment(post, text, **kwargs)
    assert archive(setup).status == "ok"
    return comment, post


def test_every_incoming_item_is_checked_once_and_the_generated_page_raises_no_flag(fb_setup):
    setup = fb_setup()
    assert archive(setup).status == "ok"
    incoming = query(setup, "SELECT count(*) AS n FROM items WHERE direction = 'incoming'")[0]["n"]
    checked = query(setup, "SELECT count(*) AS n FROM moderated")[0]["n"]
    assert checked == incoming > 0
    assert moderation_flags(setup) == {}  # the emulator's ordinary comments are innocent
    archive(setup)
    assert query(setup, "SELECT count(*) AS n FROM moderated")[0]["n"] == checked  # not again


def test_a_flagged_comment_gets_its_flags_evidence_and_a_capture_request(fb_setup):
    setup = fb_setup()
    text = "Jag ska döda dig, din jävla idiot. Ring 070-123 45 67."
    comment, post = comment_after_first_run(setup, text, author=("9001", "Arg Medborgare"))

    flags = moderation_flags(setup)
    assert {f for (i, f) in flags if i == comment} == {
        "threat", "profanity", "hate", "personal_data"
    }  # fmt: skip
    threat = flags[(comment, "threat")]
    assert threat["reason"] == "moderation.threat" and threat["created_by"] == "moderation"
    item = query(setup, "SELECT sha256, url FROM items WHERE id = ?", [comment])[0]
    params = threat["params"]
    assert params["sha256"] == item["sha256"] and params["detector"] == "words"
    assert [text[a:b] for a, b in params["spans"]] == ["döda dig"]
    assert "070-123" not in json.dumps(flags[(comment, "personal_data")]["params"])

    [evidence] = query(setup, "SELECT * FROM moderation_evidence WHERE item_id = ?", [comment])
    assert json.loads(evidence["categories"]) == ["hate", "personal_data", "profanity", "threat"]
    stored = MediaStore(setup.config.storage_dir)
    assert stored.verify(evidence["path"], evidence["evidence_sha256"])
    document = json.loads(stored.path_of(evidence["path"]).read_text(encoding="utf-8"))
    assert document["item"] == f"facebook:{comment}" and document["sha256"] == item["sha256"]
    assert document["record"]["text"] == text
    assert post in {r["id"] for r in document["thread"]}  # the thread's root post is kept too

    [request] = query(setup, "SELECT * FROM run_requests WHERE id = ?",
                      [evidence["capture_request_id"]])  # fmt: skip
    assert (request["kind"], request["url"], request["requested_by"], request["account"]) == (
        "capture", item["url"], "moderation", ACCOUNT
    )  # fmt: skip


def test_commercial_is_flagged_but_not_preserved(fb_setup):
    setup = fb_setup()
    spam, _ = comment_after_first_run(setup, "Köp nu! Rabattkod MORA20 på www.amazon.se")
    assert (spam, "commercial") in moderation_flags(setup)
    assert query(setup, "SELECT * FROM moderation_evidence") == []
    assert query(setup, "SELECT * FROM run_requests WHERE kind = 'capture'") == []


def test_the_same_text_from_one_author_across_threads_is_spam(fb_setup):
    setup = fb_setup()
    archive(setup)
    posts = first_post(setup)[:3]
    text = "Hej allihopa! Titta in på min profil, där finns något helt fantastiskt för er alla."
    copies = [setup.emulator.add_comment(p, text, author=("777", "Spam Konto")) for p in posts]
    archive(setup)
    flags = moderation_flags(setup)
    for copy in copies:
        flag = flags[(copy, "commercial")]
        assert flag["params"]["detector"] == "repeat" and flag["params"]["copies"] == 3


def test_copies_that_come_one_run_at_a_time_are_spam_once_the_last_comes(fb_setup):
    setup = fb_setup()
    archive(setup)
    posts = first_post(setup)[:3]
    text = "Hej allihopa! Titta in på min profil, där finns något helt fantastiskt för er alla."
    copies = []
    for number, post in enumerate(posts, 1):
        copies.append(setup.emulator.add_comment(post, text, author=("777", "Spam Konto")))
        setup.emulator.add_comment(post, "Tack för informationen, bra att veta!")  # repeats too
        archive(setup)
        flags = moderation_flags(setup)
        repeat = {item for item, flag in flags if flag == "commercial"}
        assert repeat == (set(copies) if number == 3 else set())
    assert flags[(copies[0], "commercial")]["params"]["copies"] == 3


def test_a_selling_text_is_spam_across_scan_batches(fb_setup):
    """Copies of one selling text met in different batches of one scan are all flagged once."""
    setup = fb_setup()
    archive(setup)
    posts = first_post(setup)[:3]
    text = "Fina erbjudanden varje dag på www.exempel-butik.se"
    copies = [setup.emulator.add_comment(p, text) for p in posts]
    db = connect(setup.config.db_path)
    try:
        before = moderated.pending_count(db)
    finally:
        db.close()
    assert before == 0
    original = scan.BATCH
    scan.BATCH = 1  # every item a batch of its own
    try:
        archive(setup)
    finally:
        scan.BATCH = original
    rows = query(setup, "SELECT item_id FROM flags WHERE flag = 'commercial'")
    assert sorted(r["item_id"] for r in rows) == sorted(copies)


def test_an_edited_item_is_checked_again_and_an_unchanged_one_is_not(fb_setup):
    setup = fb_setup()
    comment, _ = comment_after_first_run(setup, "Bra initiativ, tack!")
    assert moderation_flags(setup) == {}
    checks = query(setup, "SELECT sha256 FROM moderated WHERE item_id = ?", [comment])
    assert len(checks) == 1

    setup.emulator.edit_comment(comment, "Ni är en samling fittor")
    assert archive(setup).changed >= 1
    checks = query(setup, "SELECT sha256 FROM moderated WHERE item_id = ?", [comment])
    assert len(checks) == 2  # the new version was checked at its own sha256
    assert (comment, "profanity") in moderation_flags(setup)

    before = query(setup, "SELECT count(*) AS n FROM moderated")[0]["n"]
    archive(setup)
    assert query(setup, "SELECT count(*) AS n FROM moderated")[0]["n"] == before


def test_a_dismissed_flag_does_not_come_back_after_an_edit_with_the_same_words(fb_setup):
    setup = fb_setup()
    comment, _ = comment_after_first_run(setup, "Vilka idioter ni är")
    flag = moderation_flags(setup)[(comment, "hate")]
    db = connect(setup.config.db_path)
    try:
        dismiss_flag(db, flag["id"], by="redaktör", reason="ironi", now=datetime.now(UTC))
    finally:
        db.close()
    setup.emulator.edit_comment(comment, "Vilka idioter ni är!!")  # same words, new sha256
    archive(setup)
    rows = query(setup, "SELECT resolution FROM flags WHERE item_id = ?", [comment])
    assert [r["resolution"] for r in rows] == ["dismissed"]
    setup.emulator.edit_comment(comment, "Vilka idioter och folkförrädare ni är")
    archive(setup)
    reopened = moderation_flags(setup)[(comment, "hate")]
    assert reopened["id"] != flag["id"] and "=folkförrädare" in reopened["params"]["terms"]


def test_a_broken_word_file_never_fails_the_run_and_the_duty_catches_up(fb_setup, caplog):
    broken = fb_setup(extra='[moderation]\nword_files = {profanity = ["saknas.txt"]}')
    with caplog.at_level(logging.WARNING, logger="somed.moderation"):
        assert archive(broken).status == "ok"
    assert "moderation could not check" in caplog.text
    db = connect(broken.config.db_path)
    try:
        assert moderated.pending_count(db) > 0
    finally:
        db.close()

    fixed = fb_setup()  # same archive folder, the word file no longer asked for
    post = first_post(fixed)[0]
    assert post
    duty = ModerationDuty(fixed.config, clock=lambda: datetime.now(UTC))
    [task] = duty.due(datetime.now(UTC))
    duty.run(task)
    db = connect(fixed.config.db_path)
    try:
        assert moderated.pending_count(db) == 0
    finally:
        db.close()
    assert duty.due(datetime.now(UTC)) == []  # asked again too soon: nothing


def test_moderation_can_be_switched_off(fb_setup):
    setup = fb_setup(extra="[moderation]\nenabled = false")
    archive(setup)
    assert query(setup, "SELECT count(*) AS n FROM moderated")[0]["n"] == 0
    assert ModerationDuty(setup.config, clock=lambda: datetime.now(UTC)).due(
        datetime.now(UTC)) == []  # fmt: skip
