"""Instagram edits and deletions, found by the re-read of the recent window and the deep sweep.

Instagram edits captions without an edited time: an edit is found as changed text and kept as
a new version; a deleted post, comment or reply becomes a tombstone, its history kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from instagram_graph_setup import KEY, archived_items, ig_setup  # noqa: F401

from connectors.instagram.emulator import generate_account
from connectors.instagram.emulator.data import Comment, next_id
from somed.daemon import prepare_archive
from somed.runner import Runner


def archive(setup, clock=None):
    prepare_archive(setup.config)
    runner = Runner(setup.config, clock=clock) if clock else Runner(setup.config)
    outcome = runner.run_account(KEY)
    assert outcome.status == "ok", outcome.message
    return outcome


items = archived_items


def test_edits_become_versions_and_deletions_tombstones(ig_setup):  # noqa: F811
    account = generate_account(posts=20, comments_per_post=3, replies_per_comment=1)
    setup = ig_setup(account)
    archive(setup)
    edited, gone_post = account.media[2], account.media[5]
    comment, reply = account.media[3].comments[0], account.media[4].comments[1].replies[0]
    old_caption = edited.caption
    edited.caption = "Rättelse: mötet börjar kl. 19."
    account.media[3].comments[1].text = "Ändrad kommentar"
    comment.deleted = True
    reply.deleted = True
    gone_post.deleted = True
    hidden = account.media[6].comments[0]
    hidden.hidden = True
    outcome = archive(setup)
    assert outcome.changed >= 3 and outcome.deleted >= 1 + 1 + 1 + 3 + 3
    now = items(setup)
    post = now[edited.id]
    assert post["text"] == "Rättelse: mötet börjar kl. 19." and post["edited_at"] is None
    assert [v["text"] for v in post["versions"]] == [old_caption]
    assert now[account.media[3].comments[1].id]["versions"][0]["text"] == "Kommentar 1 på inlägg 3"
    for ident in (comment.id, reply.id, gone_post.id, *(c.id for c in gone_post.comments)):
        assert now[ident]["deleted_at"] is not None, ident
    assert now[gone_post.id]["text"] == gone_post.caption  # the history is kept
    assert now[hidden.id]["extra"]["is_hidden"] is True and now[hidden.id]["deleted_at"] is None
    untouched = account.media[0]
    assert now[untouched.id]["deleted_at"] is None and not now[untouched.id]["versions"]


def test_an_idle_reread_lists_the_window_and_reads_nothing_in_full(ig_setup):  # noqa: F811
    setup = ig_setup(generate_account(posts=80, spacing=timedelta(hours=12)))
    archive(setup)
    setup.emulator.reset_log()
    archive(setup)
    batches = [r for r in setup.emulator.request_log if r.method == "POST"]
    assert batches == []  # nothing changed: no post is read in full
    listings = setup.emulator.request_log.matching(r"/v\d+\.\d+/\d+/media")
    assert 1 <= len(listings) <= 3  # the window's cheap listing (and the new-post poll)


def test_the_deep_sweep_finds_an_old_deletion_and_edit(ig_setup):  # noqa: F811
    account = generate_account(posts=40, spacing=timedelta(days=5))  # 200 days
    setup = ig_setup(account, extra="refetch_window_days = 30\ndeep_sweep_days = 1")
    archive(setup)
    old, older = account.media[30], account.media[35]  # 150 and 175 days old
    old.deleted = True
    older.caption = "Ny bildtext, långt senare"
    later = datetime.now(UTC) + timedelta(days=2)
    for _ in range(4):  # the sweep goes in slices, newest first
        archive(setup, clock=lambda: later)
    now = items(setup)
    assert now[old.id]["deleted_at"] is not None
    assert now[older.id]["text"] == "Ny bildtext, långt senare"
    assert now[account.media[0].id]["deleted_at"] is None


def test_expired_media_urls_are_fetched_again_from_a_fresh_read(ig_setup):  # noqa: F811
    account = generate_account(posts=5)
    setup = ig_setup(account)
    setup.emulator.url_generation = 2
    setup.emulator.signed = lambda: "oh=g1&oe=6753A1F0"  # hands out URLs already expired
    archive(setup)
    assert not any(m["sha256"] for m in items(setup)[account.media[0].id]["media"])
    del setup.emulator.signed  # fresh reads hand out valid URLs again
    account.media[0].caption = "Ny text"  # the re-read reads the post in full
    archive(setup)
    media = items(setup)[account.media[0].id]["media"]
    assert media and all(m["sha256"] for m in media)


# --- the newest post: the media walk lists it again on every poll ---------------------------


def test_a_deleted_comment_under_the_newest_post_is_found_in_one_poll(ig_setup):  # noqa: F811
    account = generate_account(posts=10, comments_per_post=3, replies_per_comment=1)
    setup = ig_setup(account)
    archive(setup)
    newest = account.media[0]
    gone = newest.comments[1]
    gone.deleted = True
    outcome = archive(setup)
    now = items(setup)
    assert now[gone.id]["deleted_at"] is not None
    assert outcome.deleted >= 1
    assert all(now[c.id]["deleted_at"] is None for c in newest.comments if c is not gone)


def test_a_deletion_and_new_comments_under_the_newest_post_are_found_in_one_poll(ig_setup):  # noqa: F811
    account = generate_account(posts=10, comments_per_post=3, replies_per_comment=1)
    setup = ig_setup(account)
    archive(setup)
    newest = account.media[0]
    gone = newest.comments[0]
    gone.deleted = True
    added = [
        Comment(next_id(), text, datetime.now(UTC).replace(microsecond=0), "invanare", "90009")
        for text in ("Ny fråga om det senaste inlägget.", "Och en till.")
    ]
    newest.comments.extend(added)
    outcome = archive(setup)
    now = items(setup)
    assert now[gone.id]["deleted_at"] is not None
    assert all(now[c.id]["deleted_at"] is None for c in added)
    assert outcome.new == 2
    setup.emulator.reset_log()
    again = archive(setup)  # and the next poll is idle: nothing is read in full
    assert (again.new, again.changed, again.deleted) == (0, 0, 0)
    assert [r for r in setup.emulator.request_log if r.method == "POST"] == []


def test_an_edited_comment_under_the_newest_post_is_found_in_one_poll(ig_setup):  # noqa: F811
    account = generate_account(posts=10, comments_per_post=3, replies_per_comment=1)
    setup = ig_setup(account)
    archive(setup)
    edited = account.media[0].comments[2]
    edited.text = "Ändrad under det senaste inlägget."
    outcome = archive(setup)
    now = items(setup)
    assert now[edited.id]["text"] == "Ändrad under det senaste inlägget."
    assert len(now[edited.id]["versions"]) == 1 and outcome.changed >= 1
