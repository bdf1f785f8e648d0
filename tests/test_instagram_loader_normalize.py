"""Instagram mode instaloader: the pure normalisers on fixtures of what instaloader reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.instagram.loader_normalize import (
    NORMALISERS,
    is_pinned,
    marker_of,
    normalize_comment,
    normalize_post,
    normalize_profile,
)
from connectors.model import record_problem

FIXTURES = Path(__file__).parent / "fixtures" / "instagram_loader"
USER = "5412345678"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_an_image_post_has_the_fields_and_extra_keys_of_graph_mode():
    raw = fixture("media_image.json")
    record = normalize_post(raw, account="sv-ig")
    assert record_problem(record) is None
    assert (record.kind, record.id, record.parent_id, record.thread_id) == (
        "post",
        raw["pk"],
        None,
        raw["pk"],
    )
    assert record.direction == "own"
    assert record.author.id == USER and record.author.name == "sundsvallskommun"
    assert record.text == raw["caption"]["text"]
    assert record.url == f"https://www.instagram.com/p/{raw['code']}/"
    assert (
        record.created_at.tzinfo is not None
        and int(record.created_at.timestamp()) == raw["taken_at"]
    )
    assert record.edited_at is None
    assert record.extra == {
        "media_type": "IMAGE",
        "media_product_type": "FEED",
        "shortcode": raw["code"],
    }
    assert [(m.key, m.kind) for m in record.media] == [(f"ig:media:{raw['pk']}", "image")]


def test_a_video_has_its_file_and_cover_and_one_without_a_file_url_says_so():
    video = normalize_post(fixture("media_video.json"), account="sv-ig")
    assert video.extra["media_type"] == "VIDEO" and video.extra["media_product_type"] == "REELS"
    assert [m.kind for m in video.media] == ["video", "video_thumbnail"]
    assert video.media[1].key.startswith("ig:thumb:")
    bare = normalize_post(fixture("media_video_without_url.json"), account="sv-ig")
    assert bare.extra["media_url_missing"] is True
    assert [m.kind for m in bare.media] == ["video_thumbnail"]


def test_a_carousel_keeps_every_child_with_its_own_media_key():
    raw = fixture("media_carousel.json")
    record = normalize_post(raw, account="sv-ig")
    children = record.extra["children"]
    assert [c["id"] for c in children] == [c["pk"] for c in raw["carousel_media"]]
    assert [c["media_type"] for c in children] == ["IMAGE", "VIDEO", "IMAGE"]
    keys = [m.key for m in record.media]
    assert len(keys) == len(set(keys)) == 4  # two images, a video and its cover
    assert all(k.split(":")[-1] in {c["id"] for c in children} for k in keys)


def test_pinned_posts_are_recognised_and_markers_follow_caption_and_comment_count():
    pinned, image = fixture("media_pinned.json"), fixture("media_image.json")
    assert is_pinned(pinned) and not is_pinned(image)
    edited = {**image, "caption": {**image["caption"], "text": "Ny text"}}
    more = {**image, "comment_count": image["comment_count"] + 1}
    assert len({marker_of(image), marker_of(edited), marker_of(more)}) == 3
    assert marker_of(image) == marker_of(json.loads(json.dumps(image)))


def test_comments_replies_and_direction():
    own, incoming, hidden = (
        fixture("comments.json")[1],
        fixture("comments.json")[0],
        fixture("comments.json")[2],
    )
    comment = normalize_comment(incoming, media_id="31", user_id=USER, account="sv-ig")
    assert (comment.kind, comment.parent_id, comment.thread_id, comment.direction) == (
        "comment",
        "31",
        "31",
        "incoming",
    )
    assert comment.author.name == "erik_j"
    reply = normalize_comment(
        own, media_id="31", user_id=USER, account="sv-ig", parent_id=incoming["id"]
    )
    assert (reply.kind, reply.parent_id, reply.direction) == ("reply", incoming["id"], "own")
    anonymous = normalize_comment(hidden, media_id="31", user_id=USER, account="sv-ig")
    assert anonymous.author.id is None and anonymous.extra == {"author_hidden": True}


def test_the_profile_record():
    record = normalize_profile(fixture("profile.json"), account="sv-ig")
    assert (record.kind, record.id, record.url) == (
        "profile",
        USER,
        "https://www.instagram.com/sundsvallskommun/",
    )
    assert record.extra == {
        "username": "sundsvallskommun",
        "name": "Sundsvalls kommun",
        "website": "https://sundsvall.se",
    }
    assert record.media[0].kind == "profile_picture" and record.media[0].key.startswith(
        "ig:profile:/v/"
    )
    assert "follower_count" not in record.extra  # counts move all the time: raw only


@pytest.mark.parametrize(
    "broken",
    [
        {"caption": {"text": {"nested": True}}},
        {"taken_at": "yesterday"},
        {"media_type": 99},
        {"pk": None, "id": None},
        {"carousel_media": "many"},
    ],
)
def test_malformed_items_raise_so_the_connector_quarantines_them(broken):
    raw = {**fixture("media_image.json"), **broken}
    with pytest.raises((TypeError, ValueError)):
        NORMALISERS["post"](raw, {"mode": "instaloader"}, "sv-ig")
