"""Re-reads that cost what changed: the window's cheap listing, and the slow deep sweep.

Requests are counted in the emulator's log: real HTTP requests and the sub-requests inside
Graph batches (each of which counts against Graph's rate limits).
"""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import NOW, PAGE_ID, archived, small_page

from connectors.facebook.emulator.demo import MORA
from connectors.facebook.emulator.demo import demo as facebook_demo
from somed import runner as runner_module
from somed.config import load_config
from somed.daemon import prepare_archive
from somed.demo import demo_config
from somed.runner import Runner
from storage import queries
from storage.db import connect

ACCOUNT = {"key": "test-fb", "id": PAGE_ID, "token_env": "SOMED_TEST_FB_TOKEN"}


def archive(setup, clock=None):
    prepare_archive(setup.config)
    runner = Runner(setup.config, clock=clock) if clock else Runner(setup.config)
    return runner.run_account("test-fb")


def items(setup):
    return archived(setup)


def costs(emulator):
    """(HTTP requests, batch sub-requests) logged since the last reset, media left out."""
    log = [r for r in emulator.request_log if not r.path.startswith("/media/")]
    return len([r for r in log if not r.batch]), len([r for r in log if r.batch])


def first_archive(setup):
    """Archive once and return the posts (oldest first) and comments archived, by thread."""
    assert archive(setup).status == "ok"
    archived = items(setup).values()
    posts = sorted((i for i in archived if i["kind"] == "post"), key=lambda i: i["created_at"])
    comments: dict[str, list[dict]] = {}
    for item in archived:
        if item["kind"] == "comment":
            comments.setdefault(item["thread_id"], []).append(item)
    return [p["id"] for p in posts], comments


def poll(setup, clock=None):
    """Archive again with a fresh request log: the outcome and what it cost."""
    setup.emulator.reset_log()
    outcome = archive(setup, clock)
    assert outcome.status == "ok", outcome.message
    return outcome, costs(setup.emulator)


def test_an_idle_poll_lists_the_window_and_reads_nothing_in_full(fb_setup):
    setup = fb_setup([small_page(posts=150, spacing=timedelta(hours=12))])  # 75 days: all inside
    first_archive(setup)
    outcome, (http, sub) = poll(setup)
    assert outcome.new == outcome.changed == outcome.deleted == 0
    assert http <= 4 + 2  # four streams, plus one listing request per 100 posts in the window
    assert sub == 0


def test_an_edited_post_in_the_window_is_read_alone(fb_setup):
    setup = fb_setup()
    posts, _ = first_archive(setup)
    setup.emulator.edit_post(posts[3], "Ny text.")
    outcome, (http, sub) = poll(setup)
    assert items(setup)[posts[3]]["text"] == "Ny text."
    assert outcome.changed == 1 and sub == 1 and http <= 6


def test_a_deleted_post_is_confirmed_by_a_direct_read(fb_setup):
    setup = fb_setup()
    posts, _ = first_archive(setup)
    setup.emulator.delete_post(posts[5])
    outcome, (_, sub) = poll(setup)
    after = items(setup)
    assert after[posts[5]]["deleted_at"] is not None
    assert all(i["deleted_at"] for i in after.values() if i["thread_id"] == posts[5])
    assert sub == 1  # only the missing post is read
    assert sum(1 for i in after.values() if i["deleted_at"]) == outcome.deleted


def test_new_deleted_and_edited_comments_are_found_in_one_poll(fb_setup):
    setup = fb_setup()
    posts, comments = first_archive(setup)
    setup.emulator.add_comment(posts[1], "Ny fråga om detta.")
    gone, edited = comments[posts[2]][0]["id"], comments[posts[3]][0]["id"]
    setup.emulator.delete_comment(gone)
    setup.emulator.edit_comment(edited, "Ändrad kommentar.")
    outcome, (_, sub) = poll(setup)
    after = items(setup)
    assert outcome.new == 1
    assert after[gone]["deleted_at"] is not None
    assert after[edited]["text"] == "Ändrad kommentar."
    assert sub == 3 + 2  # three changed posts read in full; the gone comment and its reply


def test_an_archive_from_before_markers_is_read_in_full_once(fb_setup):
    setup = fb_setup()
    first_archive(setup)
    db = connect(setup.config.db_path)
    db.execute("UPDATE items SET marker = NULL")
    db.conn.commit()
    setup.emulator.reset_log()
    assert archive(setup).status == "ok"
    assert costs(setup.emulator)[1] >= 29  # all but the newest, which the walk itself read
    setup.emulator.reset_log()
    assert archive(setup).status == "ok"
    assert costs(setup.emulator)[1] == 0


def deep_setup(fb_setup, **extra):
    page = small_page(posts=40, spacing=timedelta(days=1))
    return fb_setup([page], accounts=[{**ACCOUNT, "refetch_window_days": 10, **extra}])


def test_the_deep_sweep_finds_edits_and_deletions_older_than_the_window(fb_setup):
    setup = deep_setup(fb_setup)
    posts, _ = first_archive(setup)
    edited, deleted = posts[2], posts[5]
    setup.emulator.edit_post(edited, "Ändrat långt efteråt.")
    setup.emulator.delete_post(deleted)
    setup.emulator.add_comment(posts[8], "Sen kommentar.")
    assert archive(setup).changed == 0  # outside the window, and the deep sweep is not due
    later = NOW + timedelta(days=8)
    setup.emulator.reset_log()
    outcome = archive(setup, clock=lambda: later)
    assert outcome.status == "ok", outcome.message
    after = items(setup)
    assert after[edited]["text"] == "Ändrat långt efteråt."
    assert after[deleted]["deleted_at"] is not None
    assert outcome.new == 1
    http, sub = costs(setup.emulator)
    assert sub == 3 and http <= 4 + 1 + 2 + 1  # streams, window, deep listings, one batch
    # (the deleted post missing from /published_posts is looked for in /feed too)
    db = connect(setup.config.db_path)
    state = json.loads(queries.get_cursor(db, "test-fb", "deep_sweep"))
    assert state["position"] is None and state["completed_at"]
    setup.emulator.reset_log()
    assert archive(setup, clock=lambda: later).status == "ok"  # done: not due for a week
    assert costs(setup.emulator) == (5, 0)


def test_the_deep_sweep_is_spread_over_runs_in_slices(fb_setup, monkeypatch):
    monkeypatch.setattr(runner_module, "DEEP_SWEEP_SLICE_POSTS", 10)
    setup = deep_setup(fb_setup)
    posts, _ = first_archive(setup)
    setup.emulator.edit_post(posts[0], "Den äldsta, ändrad.")
    later = NOW + timedelta(days=8)
    positions = []
    db = connect(setup.config.db_path)
    for _ in range(5):  # 38 posts older than the window's edge (8 days later), 10 a run
        assert archive(setup, clock=lambda: later).status == "ok"
        positions.append(json.loads(queries.get_cursor(db, "test-fb", "deep_sweep"))["position"])
    assert positions[0] > positions[1] > positions[2]
    assert positions[3] is None and positions[4] is None
    assert items(setup)[posts[0]]["text"] == "Den äldsta, ändrad."


def test_the_deep_sweep_can_be_turned_off(fb_setup):
    setup = deep_setup(fb_setup, deep_sweep_days=0)
    first_archive(setup)
    _, (http, sub) = poll(setup, clock=lambda: NOW + timedelta(days=30))
    assert (http, sub) == (5, 0)
    db = connect(setup.config.db_path)
    assert queries.get_cursor(db, "test-fb", "deep_sweep") is None


# --- the newest post: the posts walk reads it again every poll (its `since` is inclusive) ---


def newest_post(setup, posts):
    """The id of the newest post, as the emulator and the first archive agree."""
    newest = setup.emulator.newest_post_id(PAGE_ID)
    assert newest == posts[-1]
    return newest


def test_a_deleted_comment_under_the_newest_post_is_found_in_one_poll(fb_setup):
    setup = fb_setup()
    posts, comments = first_archive(setup)
    newest = newest_post(setup, posts)
    gone = comments[newest][0]["id"]
    setup.emulator.delete_comment(gone)
    outcome, _ = poll(setup)
    after = items(setup)
    assert after[gone]["deleted_at"] is not None
    assert outcome.deleted >= 1
    kept = [c["id"] for c in comments[newest] if c["id"] != gone]
    assert all(after[c]["deleted_at"] is None for c in kept)


def test_a_deletion_and_new_comments_under_the_newest_post_are_found_in_one_poll(fb_setup):
    setup = fb_setup()
    posts, comments = first_archive(setup)
    newest = newest_post(setup, posts)
    gone = comments[newest][1]["id"]
    first = setup.emulator.add_comment(newest, "Ny fråga om det senaste inlägget.")
    second = setup.emulator.add_comment(newest, "Och en till.")
    setup.emulator.delete_comment(gone)
    outcome, _ = poll(setup)
    after = items(setup)
    assert after[gone]["deleted_at"] is not None
    assert after[first]["deleted_at"] is None and after[second]["deleted_at"] is None
    assert outcome.new == 2
    # and the next, idle, poll reads nothing in full
    again, (_, sub) = poll(setup)
    assert (again.new, again.changed, again.deleted) == (0, 0, 0) and sub == 0


def test_an_edited_comment_under_the_newest_post_is_found_in_one_poll(fb_setup):
    setup = fb_setup()
    posts, comments = first_archive(setup)
    newest = newest_post(setup, posts)
    edited = comments[newest][0]["id"]
    setup.emulator.edit_comment(edited, "Ändrad under det senaste inlägget.")
    outcome, _ = poll(setup)
    after = items(setup)
    assert after[edited]["text"] == "Ändrad under det senaste inlägget."
    assert len(after[edited]["versions"]) == 1
    assert outcome.changed >= 1


def test_the_demo_finds_a_deletion_under_its_newest_post_in_the_next_archive(tmp_path, monkeypatch):
    # the report: archive the demo, add comments to its newest post and delete one there,
    # archive again (and a third time): the deleted comment was never marked deleted
    demo = facebook_demo(NOW)
    url = demo.emulator.start()
    try:
        for name, value in demo.tokens.items():
            monkeypatch.setenv(name, value)
        path = tmp_path / "somed.toml"
        path.write_text(demo_config([(demo, url)], storage=tmp_path, lang="sv"), encoding="utf-8")
        config = load_config(path)
        prepare_archive(config)
        assert Runner(config).run_accounts(["mora-fb"], trigger="manual")
        newest = demo.emulator.newest_post_id(MORA)
        db = connect(config.db_path)
        under = [r[0] for r in db.execute(
            "SELECT id FROM items WHERE thread_id = ? AND kind = 'comment' ORDER BY created_at",
            [newest])]  # fmt: skip
        db.close()
        assert under, "the demo's newest post has comments"
        gone = under[0]
        added = demo.emulator.add_comment(newest, "Får man ta med hund till badet?")
        demo.emulator.delete_comment(gone)
        Runner(config).run_accounts(["mora-fb"], trigger="manual")
        db = connect(config.db_path)
        found = dict(db.execute("SELECT id, deleted_at FROM items WHERE id IN (?, ?)",
                                [gone, added]).fetchall())  # fmt: skip
        db.close()
        assert found[gone] is not None  # the very next archive, not a later one
        assert added in found and found[added] is None
    finally:
        demo.emulator.stop()
