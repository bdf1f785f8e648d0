"""Instagram mode instaloader end to end: instaloader unmocked over real HTTP to its emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from instagram_loader_setup import KEY, archive, expected_ids, il_setup, items  # noqa: F401

from connectors.emulation import FaultPlan
from connectors.instagram.emulator.web_data import USER_PK, seeded
from storage import queries
from storage.db import connect


def test_full_archive_of_500_posts_with_comments_and_replies(il_setup):  # noqa: F811
    account = seeded(510, comments=3, replies=1, busy_every=50, commented_every=5)
    setup = il_setup(account)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    archived = items(setup)
    want = expected_ids(account)
    assert len(want) > 800
    assert want <= set(archived)
    kinds = {i["kind"] for i in archived.values()}
    assert kinds == {"profile", "post", "comment", "reply"}
    replies = [i for i in archived.values() if i["kind"] == "reply"]
    assert replies and all(archived[r["parent_id"]]["kind"] == "comment" for r in replies)
    assert {i["direction"] for i in replies} == {"own"}
    assert all(i["platform"] == "instagram" for i in archived.values())
    assert archived[str(USER_PK)]["kind"] == "profile"
    with_media = [i for i in archived.values() if i["media"]]
    assert with_media and all(m["sha256"] for i in with_media for m in i["media"] if m.get("path"))
    db = connect(setup.config.db_path)
    assert queries.get_cursor(db, KEY, "posts") is not None
    db.close()


def test_edits_become_versions_and_deletions_tombstones(il_setup):  # noqa: F811
    account = seeded(40)
    setup = il_setup(account)
    assert archive(setup).status == "ok"
    live = account.timeline()
    edited, deleted = live[3], live[5]
    commented = next(p for p in live[6:] if p.live_comments())
    gone_comment = commented.live_comments()[0]
    account.edit(edited.pk, "Rättelse: simhallen öppnar på lördag.")
    account.delete(deleted.pk)
    account.delete_comment(commented, gone_comment.pk)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    archived = items(setup)
    post = archived[str(edited.pk)]
    assert post["text"] == "Rättelse: simhallen öppnar på lördag."
    assert post["versions"] and post["versions"][0]["text"] != post["text"]
    assert archived[str(deleted.pk)]["deleted_at"] is not None
    assert archived[str(deleted.pk)]["text"] is not None  # nothing archived is lost
    assert all(archived[str(c.pk)]["deleted_at"] for c in deleted.comments)
    assert archived[str(gone_comment.pk)]["deleted_at"] is not None
    assert archived[str(commented.pk)]["deleted_at"] is None


def test_a_fifth_of_requests_throttled_or_failing_still_archives_everything(il_setup):  # noqa: F811
    account = seeded(90)
    plan = FaultPlan(rate=0.2, kinds=("throttle", "please_wait", "server_error"), seed=7)
    setup = il_setup(account, faults=plan)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    assert expected_ids(account) <= set(items(setup))
    faulted = [r for r in setup.emulator.request_log if r.fault]
    assert len(faulted) > 20


def test_pinned_posts_do_not_end_an_incremental_walk(il_setup):  # noqa: F811
    account = seeded(30, pinned=2)
    setup = il_setup(account, options={"refetch_window_days": 0})
    assert archive(setup).status == "ok"
    newest = account.timeline()[2]
    fresh = [
        account.add_post(newest_time(newest) + timedelta(hours=h), f"Nytt inlägg {h}")
        for h in range(1, 15)
    ]  # more than a page, below two old pinned posts
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    archived = items(setup)
    assert all(str(p.pk) in archived for p in fresh)
    timeline_requests = [
        r for r in setup.emulator.request_log if r.query.get("doc_id") == "29104886249145907"
    ]
    assert len(timeline_requests) == 3 + 2  # first archive: 3 pages; this walk: 2, not 1


def newest_time(post):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(post.taken_at, UTC)


def test_the_demo_profile_archives_with_its_edit_and_without_its_deleted_post(il_setup):  # noqa: F811
    from datetime import UTC, datetime

    from connectors.instagram.emulator.web_data import demo_profile

    account = demo_profile(datetime.now(UTC))
    setup = il_setup(account)
    assert archive(setup).status == "ok"
    archived = items(setup)
    assert expected_ids(account) <= set(archived)
    assert any("(uppdaterat)" in (i["text"] or "") for i in archived.values())
    assert not {str(p.pk) for p in account.posts.values() if p.deleted} & set(archived)


def newest_commented(account):
    """The newest post of the timeline (pinned ones aside), which has comments."""
    post = max((p for p in account.timeline() if not p.pinned), key=lambda p: p.taken_at)
    assert post.live_comments()
    return post


def test_a_deleted_comment_under_the_newest_post_is_found_in_one_poll(il_setup):  # noqa: F811
    account = seeded(12)
    setup = il_setup(account)
    assert archive(setup).status == "ok"
    newest = newest_commented(account)
    gone = newest.live_comments()[0]
    account.delete_comment(newest, gone.pk)
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    archived = items(setup)
    assert archived[str(gone.pk)]["deleted_at"] is not None
    assert all(archived[str(c.pk)]["deleted_at"] is None for c in newest.live_comments())


def deletion_and_new_comments(il_setup, added_count):  # noqa: F811
    """Archive, delete a comment (with its reply) under the newest post and add comments
    there; archive again: (the deleted comment's item, the added ones' items, the outcome)."""
    account = seeded(12)
    setup = il_setup(account)
    assert archive(setup).status == "ok"
    newest = newest_commented(account)
    gone = newest.live_comments()[0]
    assert newest.replies(gone)  # the comment count drops by two
    account.delete_comment(newest, gone.pk)
    when = datetime.now(UTC).replace(microsecond=0)
    added = [account.add_comment(newest, f"Ny fråga {n} om det senaste inlägget.", when)
             for n in range(added_count)]  # fmt: skip
    outcome = archive(setup)
    assert outcome.status == "ok", outcome.message
    archived = items(setup)
    return archived[str(gone.pk)], [archived.get(str(c.pk)) for c in added], outcome


def test_a_deletion_and_new_comments_under_the_newest_post_are_found_in_one_poll(il_setup):  # noqa: F811
    gone, added, outcome = deletion_and_new_comments(il_setup, 3)
    assert gone["deleted_at"] is not None
    assert all(a is not None and a["deleted_at"] is None for a in added)
    assert outcome.new == 3


@pytest.mark.xfail(
    strict=True,
    reason="known limit of mode instaloader: the timeline shows only a post's caption and "
    "comment count, so a deletion balanced by as many new comments in one interval moves no "
    "marker; found on the post's next full read (deep sweep, or any change of the count)",
)
def test_a_deletion_balanced_by_new_comments_under_the_newest_post_is_found(il_setup):  # noqa: F811
    gone, added, _ = deletion_and_new_comments(il_setup, 2)
    assert gone["deleted_at"] is not None
    assert all(a is not None for a in added)
