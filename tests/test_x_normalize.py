"""X normalisation on recorded-shape fixtures: pure functions, no network."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.model import record_problem
from connectors.x.normalize import (
    flatten,
    normalize_message,
    normalize_profile,
    normalize_tweet,
    snowflake_at,
    snowflake_time,
)
from connectors.x.reread import gone_ids

FIXTURES = Path(__file__).parent / "fixtures" / "x"
CONTEXT = {"user_id": "2244994945"}


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def records(name: str) -> dict:
    return {r.id: r for r in (normalize_tweet(t, CONTEXT, "kommun-x") for t in flatten(load(name)))}


def test_every_fixture_tweet_is_a_valid_record():
    for name in ("timeline_page.json", "mentions_page.json", "lookup_with_errors.json"):
        for tweet in flatten(load(name)):
            record = normalize_tweet(tweet, CONTEXT, "kommun-x")
            assert record_problem(record) is None
            assert record.platform == "x" and record.account == "kommun-x"


def test_an_edited_post_is_archived_under_its_first_id_with_the_newest_text():
    post = records("timeline_page.json")["1861990000000000100"]
    assert post.text.endswith("(rättad tid)")
    assert post.marker == "1862000000000000500"  # re-reads ask for the newest version
    assert post.extra["current_id"] == "1862000000000000500"
    assert post.created_at == snowflake_time("1861990000000000100")  # first posted
    assert post.edited_at == datetime(2026, 11, 30, 9, 40, tzinfo=UTC)
    assert post.url == "https://x.com/testkommun/status/1861990000000000100"
    assert post.kind == "post" and post.direction == "own" and post.thread_id == post.id


def test_engagement_counts_are_not_content():
    post = records("timeline_page.json")["1861990000000000100"]
    again = dict(post.raw, public_metrics={"like_count": 999})
    assert normalize_tweet(again, CONTEXT, "kommun-x").content_sha256() == post.content_sha256()


def test_photos_and_the_best_mp4_variant_are_downloaded_not_the_playlist():
    post = records("timeline_page.json")["1861980000000000200"]
    urls = {m.key: (m.source_url, m.kind) for m in post.media}
    assert urls["x:3_1861980000000000001"] == ("https://pbs.twimg.com/media/Gabc.jpg", "photo")
    assert urls["x:7_1861980000000000002:video"][0].endswith("640x360/v.mp4")
    assert urls["x:7_1861980000000000002:preview"][1] == "video_thumbnail"
    assert not any(u.endswith(".m3u8") for u, _ in urls.values())
    assert [m["type"] for m in post.extra["media"]] == ["photo", "video"]


def test_replies_are_comments_or_replies_by_depth_and_direction_by_author():
    own = records("timeline_page.json")["1861970000000000300"]
    assert (own.kind, own.direction, own.parent_id) == ("reply", "own", "1861965000000000100")
    incoming = records("mentions_page.json")
    comment = incoming["1861965000000000100"]
    assert (comment.kind, comment.direction) == ("comment", "incoming")
    assert comment.parent_id == comment.thread_id == "1861960000000000100"
    assert comment.extra["withheld"]["country_codes"] == ["DE"]
    nested = incoming["1861966000000000100"]
    assert nested.kind == "reply" and nested.thread_id == "1861960000000000100"
    mention = incoming["1861964000000000100"]
    assert (mention.kind, mention.direction, mention.parent_id) == ("post", "incoming", None)


def test_an_author_missing_from_includes_keeps_only_the_id():
    mention = records("mentions_page.json")["1861964000000000100"]
    assert mention.author.id == "9000004" and mention.author.name is None
    assert mention.url == "https://x.com/i/web/status/1861964000000000100"


def test_a_long_post_keeps_its_full_text_from_note_tweet():
    post = records("timeline_page.json")["1861950000000000400"]
    assert post.text.endswith("i hela kommunen.") and post.extra["note_tweet"] is True


def test_a_post_from_before_edits_has_no_chain_and_keeps_its_time():
    post = records("timeline_page.json")["1400000000000000000"]
    assert post.created_at == datetime(2021, 6, 2, 10, tzinfo=UTC)
    assert post.edited_at is None and post.marker == post.id


def test_the_profile_keeps_facts_not_counts():
    profile = normalize_profile(load("user.json")["data"], CONTEXT, "kommun-x")
    assert record_problem(profile) is None
    assert profile.kind == "profile" and profile.url == "https://x.com/testkommun"
    assert profile.extra["verified_type"] == "government"
    assert "public_metrics" not in profile.extra
    assert profile.media[0].source_url.endswith("/logo.jpg")  # the original, not 48 px


def test_direct_messages_by_sender():
    events = {
        e["id"]: normalize_message(e, CONTEXT, "kommun-x") for e in flatten(load("dm_events.json"))
    }
    sent, received = events["1862000000000000900"], events["1862000000000000800"]
    assert sent.direction == "own" and received.direction == "incoming"
    assert received.author.name == "Anna Lind"
    assert received.thread_id == received.parent_id == "2244994945-9000000"
    assert received.media and received.kind == "message"


def test_only_not_found_errors_are_deletions():
    assert gone_ids(load("lookup_with_errors.json")) == {"1861970000000000999"}


def test_snowflake_times_round_trip():
    moment = datetime(2026, 11, 30, 9, 40, tzinfo=UTC)
    assert snowflake_time(str(snowflake_at(moment))) == moment
    assert snowflake_time("12345") is None  # pre-snowflake ids carry no time


@pytest.mark.parametrize(
    "broken", [{"id": None}, {"id": "1", "text": {"a": 1}}, {"id": "1", "referenced_tweets": "x"}]
)
def test_broken_shapes_raise_so_the_item_is_quarantined(broken):
    with pytest.raises((TypeError, ValueError)):
        normalize_tweet(broken, CONTEXT, "kommun-x")


def test_attachments_that_are_not_an_object_quarantine_the_tweet():
    tweet = flatten(load("timeline_page.json"))[1]
    with pytest.raises(TypeError):
        normalize_tweet({**tweet, "attachments": "photo.jpg"}, CONTEXT, "kommun-x")
