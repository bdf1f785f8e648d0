"""The YouTube connector end to end: google-api-python-client over real HTTP to the emulator."""

from __future__ import annotations

from youtube_support import CHANNEL_ID, expected_ids, small_channel, yt_setup

from connectors.model import RECORD_FIELDS

__all__ = ["yt_setup"]


def test_small_archive(yt_setup):
    channel = small_channel(12)
    setup = yt_setup([channel])
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    items = setup.items()
    assert expected_ids(channel) <= set(items)
    assert items[CHANNEL_ID]["kind"] == "profile"
    assert set(RECORD_FIELDS) <= set(items[CHANNEL_ID])


def test_full_archive_of_a_large_channel(yt_setup):
    channel = small_channel(500, threads_per_video=2)
    setup = yt_setup([channel])
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    items = setup.items()
    want = expected_ids(channel)
    assert len([v for v in channel.videos if v.privacy == "public"]) >= 480
    assert want <= set(items)
    # threads with more replies than YouTube inlines (five) were paged with comments.list
    long_threads = [t for v in channel.videos for t in v.threads if len(v.replies[t.id]) > 5]
    assert long_threads
    for top in long_threads:
        assert {r.id for r in channel.video(top.video_id).replies[top.id]} <= set(items)
    assert setup.emulator.request_log.matching(r"/comments$")
    # a thread whose totalReplyCount says 0 still has its reply archived
    zero = next(v for v in channel.videos if v.zero_reply_count)
    assert {r.id for t in zero.threads for r in zero.replies[t.id]} <= set(items)
    # private videos are listed in the playlist but not readable: not archived, not an error
    private = [v.id for v in channel.videos if v.privacy == "private"]
    assert private and not set(private) & set(items)
    kinds = {i["kind"] for i in items.values()}
    assert kinds == {"profile", "video", "comment", "reply"}
    video = items[channel.videos[0].id]
    assert video["text"].startswith(channel.videos[0].title)
    assert video["url"] == f"https://www.youtube.com/watch?v={channel.videos[0].id}"
    assert video["media"] and video["media"][0]["sha256"], "the thumbnail was downloaded"
    top = channel.videos[0].threads[0]
    reply = channel.videos[0].replies[top.id][0]
    assert items[top.id]["parent_id"] == channel.videos[0].id
    assert items[reply.id]["parent_id"] == top.id
    assert items[reply.id]["thread_id"] == channel.videos[0].id
    assert items[reply.id]["direction"] == "own"  # the channel answered its visitor
    assert items[top.id]["direction"] == "incoming"
    disabled = next(v for v in channel.videos if v.comments_disabled)
    assert disabled.id in items
    # quota: every call counted, the same as the emulator charged, and search.list never used
    assert not setup.emulator.request_log.matching(r"/search$")
    run = setup.runs()[0]
    assert run["cost_units"] == setup.emulator.units_spent() > 0
    per_thousand = run["cost_units"] * 1000 / len(items)
    assert per_thousand < 500, per_thousand


def test_idle_poll_costs_one_request_per_stream(yt_setup):
    setup = yt_setup([small_channel(30)], account="refetch_window_days = 0")
    assert setup.archive().status == "ok"
    setup.emulator.reset_log()
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    assert outcome.new == 0 and outcome.changed == 0
    assert setup.emulator.api_requests() <= 2  # profile: channels.list; posts: one playlist page
    assert setup.runs()[0]["cost_units"] <= 2


def test_a_new_video_is_found_by_the_next_run(yt_setup):
    from datetime import timedelta

    from youtube_support import NOW

    from connectors.youtube.emulator import Video

    channel = small_channel(8)
    setup = yt_setup([channel], account="refetch_window_days = 0")
    assert setup.archive().status == "ok"
    setup.emulator.add_video(channel.id, Video("newVideo001", "Ny film om badplatserna", None,
                                               NOW - timedelta(minutes=5)))  # fmt: skip
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    assert outcome.new == 1
    assert "newVideo001" in setup.items()


def test_an_account_given_by_handle(yt_setup, tmp_path):
    setup = yt_setup([small_channel(4)])
    text = setup.config_path.read_text().replace(f'id = "{CHANNEL_ID}"', 'id = "@testkommun"')
    setup.config_path.write_text(text)
    from somed.config import load_config

    setup.config = load_config(setup.config_path)
    outcome = setup.archive()
    assert outcome.status == "ok", outcome.message
    assert setup.emulator.request_log.matching(r"/channels$")[0].query.get("forHandle")
    assert CHANNEL_ID in setup.items()
