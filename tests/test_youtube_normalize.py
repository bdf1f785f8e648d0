"""YouTube's normalisation on recorded-shape fixtures: pure functions, no network."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.model import record_problem
from connectors.youtube.normalize import NORMALISERS, best_thumbnail, plain_text

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
CHANNEL = "UCmorakommun0000000000xA"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_channel_profile():
    record = NORMALISERS["profile"](load("channel.json"), {}, "mora-yt")
    assert record_problem(record) is None
    assert (record.kind, record.id, record.direction) == ("profile", CHANNEL, "own")
    assert record.text == "Officiell kanal för Mora kommun."
    assert record.extra["handle"] == "@morakommun"
    assert record.extra["uploads_playlist"] == "UUmorakommun0000000000xA"
    assert [m.kind for m in record.media] == ["profile_picture", "cover_photo"]
    assert "statistics" not in json.dumps(record.extra)  # counts make no versions


def test_video_with_every_field():
    raw = load("video.json")
    record = NORMALISERS["video"](raw, {"channel_id": CHANNEL}, "mora-yt")
    assert record_problem(record) is None
    assert record.kind == "video" and record.thread_id == record.id == "Ks-_Mh1QhMc"
    assert record.text.startswith("Kommunfullmäktige 24 november\n\nDirektsändning")
    assert record.created_at == datetime(2026, 11, 24, 17, 0, 3, 512000, tzinfo=UTC)
    assert record.direction == "own"
    assert record.media[0].source_url.endswith("maxresdefault.jpg")
    assert record.extra["duration"] == "PT2H13M5S"
    assert record.extra["has_captions"] is True
    assert record.extra["tags"] == ["fullmäktige", "Mora"]
    assert record.url == "https://www.youtube.com/watch?v=Ks-_Mh1QhMc"


def test_views_and_likes_are_not_content():
    raw = load("video.json")
    more = json.loads(json.dumps(raw))
    more["statistics"]["viewCount"] = "9999"
    norm = NORMALISERS["video"]
    assert norm(raw, {}, "a").content_sha256() == norm(more, {}, "a").content_sha256()


def test_a_video_missing_optional_fields():
    record = NORMALISERS["video"](load("video_sparse.json"), {"channel_id": CHANNEL}, "mora-yt")
    assert record_problem(record) is None
    assert record.text == "Snöröjning"
    assert record.extra["upload_status"] == "uploaded"  # still processing
    assert record.extra["privacy"] == "unlisted"
    assert "duration" not in record.extra and "tags" not in record.extra
    assert record.media[0].source_url.endswith("/default.jpg")


def test_video_file_and_captions_from_context():
    context = {
        "video_url": "https://media.example.se/{id}.mp4",
        "captions": [{"id": "c1", "language": "sv"}],
    }
    record = NORMALISERS["video"](load("video.json"), context, "mora-yt")
    assert record.media[-1].kind == "video"
    assert record.media[-1].source_url == "https://media.example.se/Ks-_Mh1QhMc.mp4"
    assert record.extra["captions"] == [{"id": "c1", "language": "sv"}]


def test_thread_comment_and_reply():
    thread = load("thread.json")
    context = {"channel_id": CHANNEL, "video_id": "Ks-_Mh1QhMc"}
    top = NORMALISERS["comment"](thread["snippet"]["topLevelComment"], context, "mora-yt")
    reply = NORMALISERS["comment"](thread["replies"]["comments"][0], context, "mora-yt")
    assert (top.kind, top.parent_id, top.thread_id) == ("comment", "Ks-_Mh1QhMc", "Ks-_Mh1QhMc")
    assert top.text == 'När tas beslutet om "Skolan"?\nSe https://www.mora.se/ & mer'
    assert top.direction == "incoming" and top.author.id == "UCannaberg000000000000xQ"
    assert top.edited_at == datetime(2026, 11, 24, 18, 40, tzinfo=UTC)
    assert (reply.kind, reply.parent_id) == ("reply", top.id)
    assert reply.direction == "own" and reply.edited_at is None
    assert reply.url.endswith("&lc=UgzKq1w2e3r4t5y6u7i8o9p.9xYzAbCdEfG")


def test_a_comment_without_author_or_plain_text():
    raw = load("comment_hidden_author.json")
    record = NORMALISERS["comment"](raw, {"channel_id": CHANNEL}, "mora-yt")
    assert record_problem(record) is None
    assert record.author.id is None and record.author.name is None
    assert record.text == "Bra! 'Tack'"  # from textDisplay's HTML
    assert record.extra["moderation_status"] == "heldForReview"
    assert record.created_at == datetime(2026, 11, 26, 10, 0, 0, 250000, tzinfo=UTC)


@pytest.mark.parametrize("html, text", [
    ("a<br />b", "a\nb"),
    ('<a href="https://x.se">x.se</a> &amp; &quot;y&quot;', 'x.se & "y"'),
    ("&lt;script&gt;", "<script>"),
])  # fmt: skip
def test_plain_text_of_text_display(html, text):
    assert plain_text(html) == text


def test_best_thumbnail_prefers_the_largest():
    sizes = {"default": {"url": "d"}, "high": {"url": "h"}, "standard": {"url": "s"}}
    assert best_thumbnail(sizes) == "s"
    assert best_thumbnail({}) is None and best_thumbnail(None) is None


def test_a_comment_of_no_video_fails_so_the_walk_can_quarantine_it():
    raw = load("comment_hidden_author.json")
    del raw["snippet"]["videoId"]
    with pytest.raises(ValueError):
        NORMALISERS["comment"](raw, {}, "mora-yt")
