"""Edits become versions and deletions tombstones, found by the re-read of stored YouTube items."""

from __future__ import annotations

from youtube_support import small_channel, yt_setup

__all__ = ["yt_setup"]


def test_edits_are_versions_and_deletions_tombstones(yt_setup):
    channel = small_channel(20)
    setup = yt_setup([channel])
    assert setup.archive().status == "ok"
    emulator = setup.emulator
    edited_video = channel.videos[2]
    gone = channel.videos[4]
    gone_video = gone.id
    untouched = channel.videos[1]
    first = channel.videos[0]
    edited_comment = first.threads[0]
    gone_comment = first.threads[1]  # its reply goes with it
    gone_reply = channel.videos[3].replies[channel.videos[3].threads[-1].id][1]  # 7 replies
    old_title = edited_video.title
    emulator.edit_video(edited_video.id, title="Rättad rubrik", description="Ny beskrivning.")
    emulator.edit_comment(edited_comment.id, "Tack! (redigerad)")
    emulator.delete_video(gone_video)
    emulator.delete_comment(gone_comment.id)
    emulator.delete_comment(gone_reply.id)
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    items = setup.items()
    video = items[edited_video.id]
    assert video["text"] == "Rättad rubrik\n\nNy beskrivning."
    assert [v["text"] for v in video["versions"]][0].startswith(old_title)
    comment = items[edited_comment.id]
    assert comment["text"] == "Tack! (redigerad)"
    assert comment["edited_at"] is not None
    assert comment["versions"] and comment["versions"][0]["text"] != comment["text"]
    for ident in (gone_video, gone_comment.id, gone_reply.id):
        assert items[ident]["deleted_at"] is not None, ident
    for reply in first.replies.get(gone_comment.id, []):
        assert items[reply.id]["deleted_at"] is not None
    # the comments of the deleted video are gone with it
    for top in gone.threads:
        assert items[top.id]["deleted_at"] is not None
    # nothing else was marked gone, nothing archived was lost
    assert items[untouched.id]["deleted_at"] is None
    assert all(items[t.id]["deleted_at"] is None for t in untouched.threads)
    assert outcome.deleted >= 3


def test_a_comment_only_shown_by_id_is_not_called_gone(yt_setup):
    channel = small_channel(6)
    setup = yt_setup([channel])
    assert setup.archive().status == "ok"
    held = channel.videos[0].threads[0]
    held.held = True  # e.g. held for review: the thread listing leaves it out
    assert setup.archive().status == "ok"
    assert setup.items()[held.id]["deleted_at"] is None


# --- the newest video: the uploads walk reads it (and its comments) again on every poll -----


def test_a_deleted_comment_under_the_newest_video_is_found_in_one_poll(yt_setup):
    channel = small_channel(6)
    setup = yt_setup([channel])
    assert setup.archive().status == "ok"
    newest = channel.videos[0]
    gone = newest.threads[1]
    setup.emulator.delete_comment(gone.id)
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    items = setup.items()
    assert items[gone.id]["deleted_at"] is not None
    assert all(items[t.id]["deleted_at"] is None for t in newest.threads)
    assert outcome.deleted >= 1


def test_a_deletion_and_new_comments_under_the_newest_video_are_found_in_one_poll(yt_setup):
    channel = small_channel(6)
    setup = yt_setup([channel])
    assert setup.archive().status == "ok"
    newest = channel.videos[0]
    gone = newest.threads[0]
    setup.emulator.delete_comment(gone.id)
    added = [setup.emulator.add_comment(newest.id, text)
             for text in ("Ny fråga om den senaste filmen.", "Och en till.")]  # fmt: skip
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    items = setup.items()
    assert items[gone.id]["deleted_at"] is not None
    assert all(items[a]["deleted_at"] is None for a in added)
    assert outcome.new == 2


def test_an_edited_comment_under_the_newest_video_is_found_in_one_poll(yt_setup):
    channel = small_channel(6)
    setup = yt_setup([channel])
    assert setup.archive().status == "ok"
    edited = channel.videos[0].threads[0]
    setup.emulator.edit_comment(edited.id, "Ändrad under den senaste filmen.")
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    item = setup.items()[edited.id]
    assert item["text"] == "Ändrad under den senaste filmen." and len(item["versions"]) == 1
