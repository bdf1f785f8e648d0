"""The thread page and media downloads: a post with its whole conversation, as it was and changed.

The shared demo archive (`web_site`) has every platform; `changed_site` is this module's own
Facebook archive, read twice with changes between: a comment edited, one removed from the
platform, a planted `<script>` comment and a formula comment added, then a flag, a registry
number and a capture of a post's permalink recorded through the storage functions.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from connectors.facebook.emulator.demo import MORA
from connectors.facebook.emulator.demo import demo as facebook_demo
from somed.config import Config, load_config
from somed.daemon import prepare_archive
from somed.demo import demo_config
from somed.retention.apply import apply_plan
from somed.retention.plan import plan_from_archive
from somed.runner import Runner
from somed.users import add_local_user
from somed.web.app import create_app
from somed.web.thread_view import MAX_DEPTH, build_tree, flatten, version_history, word_diff
from storage.captures import record_capture
from storage.db import connect
from storage.flags import open_flag
from storage.media import MediaStore
from storage.registrations import register
from tests import web_support
from tests.conftest import small_page
from tests.public_pages_support import NOW
from tests.retention_support import NOW as RETENTION_NOW
from tests.retention_support import RULES, SECRET
from tests.retention_support import build_archive as build_retention_archive
from tests.web_support import (
    PASSWORD,
    SESSION_KEY,
    USERS,
    WEB_CONFIG,
    WEB_GROUP,
    sign_in,
    signed_in,
)

pytestmark = WEB_GROUP
web_site = web_support.web_site  # the shared fixture

SCRIPT = "<script>alert('inskjutet')</script> Hälsningar från en besökare"
FORMULA = '=HYPERLINK("http://angripare.example","klicka") badhuset'
EDITED = "När öppnar badhuset igen? Vi är många som undrar."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # enough for a download test


# --- the pure tree and diff functions -------------------------------------------------------


def rec(item_id: str, parent: str | None, created: str, **more: object) -> dict[str, object]:
    """A minimal record for the tree."""
    return {"id": item_id, "parent_id": parent, "created_at": created, **more}


def test_the_tree_nests_replies_oldest_first_and_loses_no_item() -> None:
    records = [
        rec("c2", "p", "2026-01-03T00:00:00Z"), rec("p", None, "2026-01-01T00:00:00Z"),
        rec("r1", "c1", "2026-01-04T00:00:00Z"), rec("c1", "p", "2026-01-02T00:00:00Z"),
        rec("orphan", "gone", "2026-01-05T00:00:00Z"),
        rec("a", "b", "2026-01-06T00:00:00Z"), rec("b", "a", "2026-01-07T00:00:00Z"),
    ]  # fmt: skip
    tree = build_tree(records)
    assert [n.record["id"] for n in tree] == ["p", "orphan", "a"]
    assert [n.record["id"] for n in tree[0].children] == ["c1", "c2"]
    assert [n.record["id"] for n in tree[0].children[0].children] == ["r1"]
    assert tree[0].children[0].children[0].depth == 2
    order = [n.record["id"] for n in flatten(tree)]
    assert sorted(order) == sorted(r["id"] for r in records)  # the cycle a<->b: each shown once
    assert order[:4] == ["p", "c1", "r1", "c2"]


def test_a_very_deep_reply_chain_hangs_at_the_deepest_level_without_recursion() -> None:
    records = [rec("n0", None, "2026-01-01T00:00:00Z")] + [
        rec(f"n{i}", f"n{i - 1}", f"2026-01-01T00:00:{i % 60:02d}Z") for i in range(1, 3000)
    ]
    nodes = flatten(build_tree(records))
    assert len(nodes) == 3000 and max(n.depth for n in nodes) == MAX_DEPTH


def test_word_diff_marks_inserted_and_deleted_words() -> None:
    pieces = word_diff("Badhuset öppnar måndag kl. 06.30", "Badhuset öppnar tisdag kl. 06.30 igen")
    assert ("del", "måndag") in pieces and ("ins", "tisdag") in pieces
    assert pieces[-1] == ("ins", " igen")
    assert "".join(t for op, t in pieces if op != "del") == "Badhuset öppnar tisdag kl. 06.30 igen"
    assert word_diff(None, "ny") == [("ins", "ny")]


def test_version_history_is_oldest_first_with_the_current_text_last() -> None:
    record = {"text": "tre", "edited_at": None, "media": [],
              "versions": [{"version": 2, "text": "två", "seen_at": "b", "edited_at": None},
                           {"version": 1, "text": "ett", "seen_at": "a", "edited_at": None}]}  # fmt: skip
    history = version_history(record, {3: "c"})
    assert [v["version"] for v in history] == [1, 2, 3]
    assert [v["seen_at"] for v in history] == ["a", "b", "c"]
    assert history[0]["diff"] == [("same", "ett")]
    assert history[2]["diff"] == [("del", "två"), ("ins", "tre")] and history[2]["current"]
    assert version_history({"text": "x", "versions": []}) == []


# --- an archive of our own, changed between two reads -----------------------------------------


@dataclass
class ChangedSite:
    """The archive, its config and the ids of the items the tests look at."""

    config: Config
    post: str
    edited: str
    deleted: str
    script: str
    formula: str
    message: str
    capture_png: str


def _item_id(db: sqlite3.Connection, text: str) -> str:
    row = db.execute("SELECT id FROM items WHERE text = ? ORDER BY created_at DESC", [text])
    return str(row.fetchone()[0])


def build_changed_site(folder: Path) -> ChangedSite:
    """Archive the Facebook demo, change it on the emulator, archive again, add the extras."""
    demo = facebook_demo(NOW)
    url = demo.emulator.start()
    try:
        os.environ.update(demo.tokens)
        path = folder / "somed.toml"
        text = demo_config([(demo, url)], storage=folder, lang="sv") + WEB_CONFIG
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
        prepare_archive(config)
        Runner(config).run_accounts(["mora-fb"], trigger="manual")
        first = sqlite3.connect(config.db_path)
        question = _item_id(first, "När öppnar badhuset igen?")
        post = first.execute("SELECT thread_id FROM items WHERE id = ?", [question]).fetchone()[0]
        # a comment under an older post (one under the newest post is found in the same poll
        # too: tests/test_facebook_reread.py, the newest post's deletion tests)
        swim = first.execute(
            "SELECT id FROM items WHERE kind = 'comment' AND thread_id != ?"
            " ORDER BY created_at DESC LIMIT 1",
            [post],
        ).fetchone()[0]
        message = first.execute("SELECT id FROM items WHERE kind = 'message' LIMIT 1").fetchone()
        first.close()
        newest = demo.emulator.newest_post_id(MORA)
        assert newest is not None
        demo.emulator.add_comment(newest, SCRIPT)
        demo.emulator.add_comment(newest, FORMULA)
        demo.emulator.edit_comment(question, EDITED)
        demo.emulator.delete_comment(swim)
        Runner(config).run_accounts(["mora-fb"], trigger="manual")
    finally:
        demo.emulator.stop()
    db = connect(config.db_path)
    try:
        for name, (role, full_name) in USERS.items():
            add_local_user(db, name, role, PASSWORD, full_name=full_name, by="test", now=NOW)
        script = _item_id(db.conn, SCRIPT)
        formula = _item_id(db.conn, FORMULA)
        open_flag(db, "mora-fb", "individual_case", reason="test", item=("facebook", question),
                  now=NOW)  # fmt: skip
        register(db, ("facebook", question), "KS 2026/123", by="test", now=NOW)
        png = MediaStore(config.storage_dir).put(PNG, "image/png")
        post_url = db.execute("SELECT url FROM items WHERE platform = 'facebook' AND id = ?",
                              [post]).fetchone()[0]  # fmt: skip
        record_capture(db, {"account": "mora-fb", "platform": "facebook", "kind": "post",
                            "url_asked": post_url, "trigger": "manual", "started_at": NOW,
                            "verdict": "valid", "png_sha256": png.sha256})  # fmt: skip
    finally:
        db.close()
    return ChangedSite(config, post, question, swim, script, formula, message[0], png.sha256)


@pytest.fixture(scope="session")
def changed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChangedSite]:
    """This module's own archive (built once per test process)."""
    saved = dict(os.environ)
    try:
        yield build_changed_site(tmp_path_factory.mktemp("web-records"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def browser_for(site: ChangedSite, name: str) -> TestClient:
    """A TestClient over `site`, signed in as `name`."""
    app = create_app(site.config, session_key=SESSION_KEY)
    browser = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    assert sign_in(browser, name).status_code == 303
    return browser


def audit_rows(config: Config, action: str) -> list[tuple[str, str, str | None]]:
    """(actor, target, details) of every audit entry of `action`, oldest first."""
    with sqlite3.connect(config.db_path) as db:
        return db.execute("SELECT actor, target, details FROM audit_log WHERE action = ?"
                          " ORDER BY id", [action]).fetchall()  # fmt: skip


def main_of(html: str) -> str:
    """The `<main>` of a page."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def article(html: str, item_id: str) -> str:
    """The `<article>` of one item on a thread page."""
    match = re.search(rf'<article [^>]*id="i-{re.escape(item_id)}".*?</article>', html, re.S)
    assert match, f"no article for {item_id}"
    return match.group(0)


# --- the thread page ------------------------------------------------------------------------------


def test_search_a_swedish_phrase_and_open_its_thread(web_site) -> None:
    browser = signed_in(web_site, "reader")
    page = browser.get("/search", params={"q": '"badhuset öppnar"'})
    assert page.status_code == 200
    links = re.findall(r'<a href="(/items/[^"#]+)#', page.text)
    assert links, page.text[-3000:]
    thread = browser.get(links[0])
    assert thread.status_code == 200
    assert "Badhuset öppnar igen om två veckor" in thread.text
    assert "När öppnar badhuset igen?" in thread.text  # the question it answers, same thread
    assert "Badhuset stänger för underhåll" in thread.text  # and the post on top
    assert "Upprättad" in thread.text and "Inkommen" in thread.text
    assert "content-security-policy" in thread.headers
    assert "script-src 'self'" in thread.headers["content-security-policy"]
    assert "web." not in re.sub(r"<[^>]+>", "", thread.text)  # no untranslated id


def test_a_removed_comment_is_marked_and_kept(changed_site) -> None:
    page = browser_for(changed_site, "reader").get(f"/items/facebook/{changed_site.deleted}")
    assert page.status_code == 200
    removed = article(page.text, changed_site.deleted)
    assert "Borttagen från plattformen" in removed and "is-deleted" in removed
    with sqlite3.connect(changed_site.config.db_path) as db:
        text, thread = db.execute("SELECT text, thread_id FROM items WHERE id = ?",
                                  [changed_site.deleted]).fetchone()  # fmt: skip
    assert text and text.split()[0] in removed  # the text is kept
    assert "Borttagen från plattformen" not in article(page.text, thread)


def test_an_edited_comment_shows_its_versions_with_the_difference(changed_site) -> None:
    page = browser_for(changed_site, "reader").get(f"/items/facebook/{changed_site.post}")
    edited = article(page.text, changed_site.edited)
    assert "Version 1" in edited and "Version 2" in edited
    assert "<ins>" in edited and "Vi är många som undrar." in edited
    assert re.search(r"<ins>[^<]*många[^<]*</ins>", edited)
    assert "KS 2026/123" in edited and "enskilt ärende" in edited  # registry number and flag


def test_a_planted_script_renders_as_text(changed_site) -> None:
    page = browser_for(changed_site, "reader").get(f"/items/facebook/{changed_site.script}")
    assert page.status_code == 200
    planted = article(page.text, changed_site.script)
    assert "&lt;script&gt;alert(&#39;inskjutet&#39;)&lt;/script&gt;" in planted
    assert "<script>alert" not in page.text
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]


def test_the_permalink_capture_and_the_raw_records_are_shown(changed_site) -> None:
    browser = browser_for(changed_site, "reader")
    page = browser.get(f"/items/facebook/{changed_site.post}")
    post = article(page.text, changed_site.post)
    assert f'href="/media/{changed_site.capture_png}"' in post and "giltig" in post
    assert "Rådata" not in page.text.split("<main", 1)[1].split("Visa rådata", 1)[1]
    raw = browser.get(f"/items/facebook/{changed_site.post}", params={"raw": "1"})
    edited = article(raw.text, changed_site.edited)
    assert "Rådata, version 1" in edited and "Rådata, version 2" in edited
    assert "&#34;message&#34;: &#34;När öppnar badhuset igen?&#34;" in edited
    assert "demo-token" not in raw.text  # no token in what the platform returned


def test_a_conversation_is_hidden_from_readers_and_editors(changed_site) -> None:
    before = len(audit_rows(changed_site.config, "view.message"))
    for name in ("reader", "editor"):
        page = browser_for(changed_site, name).get(f"/items/facebook/{changed_site.message}")
        assert page.status_code == 404
        missing = browser_for(changed_site, name).get("/items/facebook/m_nope")
        assert main_of(page.text) == main_of(missing.text)  # the same answer as for nothing
    assert len(audit_rows(changed_site.config, "view.message")) == before


def test_a_registrar_reads_a_conversation_and_the_view_is_audited(changed_site) -> None:
    page = browser_for(changed_site, "registrar").get(f"/items/facebook/{changed_site.message}")
    assert page.status_code == 200
    assert "Konversation" in page.text and "Meddelande" in page.text
    actor, target, _ = audit_rows(changed_site.config, "view.message")[-1]
    assert actor == "web:registrar" and target == f"facebook:{changed_site.message}"


def test_an_unknown_item_is_404(changed_site) -> None:
    browser = browser_for(changed_site, "admin")
    assert browser.get("/items/facebook/nothing-here").status_code == 404
    assert browser.get("/items/nowhere/1").status_code == 404


# --- media downloads ------------------------------------------------------------------------------


def _media_of(config: Config, kind_test: str) -> str:
    with sqlite3.connect(config.db_path) as db:
        row = db.execute(
            "SELECT l.sha256 FROM item_media AS l JOIN items AS i ON i.platform = l.platform"
            f" AND i.id = l.item_id WHERE l.sha256 IS NOT NULL AND {kind_test} LIMIT 1"
        ).fetchone()
    assert row, kind_test
    return str(row[0])


def test_an_image_of_a_public_item_is_served_inline_and_audited(web_site) -> None:
    sha = _media_of(web_site.config, "i.kind = 'comment'")
    browser = signed_in(web_site, "reader")
    response = browser.get(f"/media/{sha}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/")
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content[:4] == b"\x89PNG"
    actor, target, details = audit_rows(web_site.config, "download.media")[-1]
    assert (actor, target) == ("web:reader", sha) and "facebook:" in (details or "")


def test_media_of_a_private_message_only_for_registrars(web_site) -> None:
    sha = _media_of(web_site.config, "i.kind = 'message'")
    assert signed_in(web_site, "reader").get(f"/media/{sha}").status_code == 404
    assert signed_in(web_site, "editor").get(f"/media/{sha}").status_code == 404
    assert signed_in(web_site, "registrar").get(f"/media/{sha}").status_code == 200


def test_media_only_by_a_known_hash(web_site) -> None:
    browser = signed_in(web_site, "admin")
    assert browser.get("/media/" + "0" * 64).status_code == 404  # a hash of nothing here
    assert browser.get("/media/" + "A" * 64).status_code == 404  # not lowercase hex
    assert browser.get("/media/..%2F..%2Fsomed.toml").status_code == 404
    assert browser.get("/media/../somed.toml").status_code == 404
    assert signed_in(web_site, "reader").get("/media/" + "0" * 64).status_code == 404


def test_a_capture_file_is_served_to_readers(changed_site) -> None:
    response = browser_for(changed_site, "reader").get(f"/media/{changed_site.capture_png}")
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"


def test_media_need_sign_in(changed_site) -> None:
    app = create_app(changed_site.config, session_key=SESSION_KEY)
    anonymous = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    assert anonymous.get(f"/media/{changed_site.capture_png}").status_code == 303


def test_a_thread_page_of_the_demo_renders_fast(web_site) -> None:
    browser = signed_in(web_site, "reader")
    with sqlite3.connect(web_site.config.db_path) as db:
        post = db.execute("SELECT thread_id FROM items WHERE kind = 'comment' GROUP BY thread_id"
                          " ORDER BY count(*) DESC LIMIT 1").fetchone()[0]  # fmt: skip
    browser.get(f"/items/facebook/{post}")
    started = time.perf_counter()
    for _ in range(5):
        assert browser.get(f"/items/facebook/{post}").status_code == 200
    assert (time.perf_counter() - started) / 5 < 0.5


def test_a_thread_of_500_comments_and_replies_is_shown_whole_over_its_pages(fb_setup, monkeypatch) -> None:
    setup = fb_setup([small_page(posts=1, comments_per_post=250, replies_per_comment=1,
                                 conversations=0)], extra=WEB_CONFIG)  # fmt: skip
    monkeypatch.setenv("SOMED_TEST_SESSION_KEY", SESSION_KEY)
    prepare_archive(setup.config)
    assert Runner(setup.config).run_account("test-fb").status == "ok"
    db = connect(setup.config.db_path)
    try:
        add_local_user(db, "reader", "reader", PASSWORD, full_name=None, by="test", now=NOW)
        post, count = db.execute("SELECT thread_id, count(*) FROM items WHERE kind = 'comment'"
                                 " GROUP BY thread_id").fetchone()  # fmt: skip
        last_reply = db.execute("SELECT id, parent_id FROM items WHERE kind = 'reply'"
                                " ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()  # fmt: skip
    finally:
        db.close()
    assert count == 250
    app = create_app(setup.config, session_key=SESSION_KEY)
    browser = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    assert sign_in(browser, "reader").status_code == 303
    url, seen, pages = f"/items/facebook/{post}", [], 0
    while url:
        page = browser.get(url)
        assert page.status_code == 200
        pages += 1
        ids = re.findall(r'<article class="item[^"]*" id="i-([^"]+)"', page.text)
        assert ids[0] == post  # the post heads every page
        seen += ids[1:]
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = following.group(1).replace("&amp;", "&") if following else None
    assert pages > 1 and sorted(seen) == sorted(set(seen)) and len(seen) == 500
    # an item's own link opens the page it is on, with its comment beside it
    page = browser.get(f"/items/facebook/{last_reply[0]}").text
    assert f'id="i-{last_reply[0]}"' in page and f'id="i-{last_reply[1]}"' in page
    assert "rel=\"prev\"" in page


def test_a_disposed_item_shows_its_tombstone_and_its_files_are_gone(tmp_path, monkeypatch) -> None:
    path = build_retention_archive(tmp_path)
    with sqlite3.connect(path) as raw:
        alone = raw.execute("SELECT sha256 FROM item_media WHERE media_key = 'm-alone'").fetchone()
    db = connect(path)
    try:
        plan = plan_from_archive(db, RULES, RETENTION_NOW)
        apply_plan(db, RULES, plan.id, by="arkivarie", now=RETENTION_NOW, storage_root=tmp_path)
        add_local_user(db, "reader", "reader", PASSWORD, full_name=None, by="test", now=NOW)
    finally:
        db.close()
    (tmp_path / "somed.toml").write_text(f'[storage]\ndir = "{tmp_path}"\n{WEB_CONFIG}')
    monkeypatch.setenv("SOMED_TEST_SESSION_KEY", SESSION_KEY)
    config = load_config(tmp_path / "somed.toml")
    browser = TestClient(create_app(config, session_key=SESSION_KEY), base_url="http://127.0.0.1",
                         follow_redirects=False)  # fmt: skip
    assert sign_in(browser, "reader").status_code == 303
    page = browser.get("/items/facebook/c-old")
    assert page.status_code == 200
    gone = article(page.text, "c-old")
    assert "Gallrad" in gone and "regel kommentarer" in gone and "is-disposed" in gone
    assert SECRET not in page.text  # the content is gone, the tombstone stays
    assert "Välkommen till Mora" in article(page.text, "p1")
    assert "Gallrad" not in article(page.text, "p1")
    assert browser.get(f"/media/{alone[0]}").status_code == 404
