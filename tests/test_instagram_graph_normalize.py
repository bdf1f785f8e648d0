"""Instagram Graph JSON to records: pure functions on fixtures shaped like real responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import AccountSpec, PlatformSettings, Secret
from connectors.instagram.connector import InstagramConnector
from connectors.instagram.normalize import (
    change_marker,
    normalize_comment,
    normalize_media,
    normalize_message,
    normalize_profile,
)
from connectors.model import Quarantined, Record, record_problem

FIXTURES = Path(__file__).parent / "fixtures" / "instagram"
USER = "17841400000000042"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def test_a_carousel_keeps_every_child_file_under_keys_that_survive_resigning():
    record = normalize_media(fixture("media_carousel"), user_id=USER, account="mora-ig")
    assert (record.kind, record.direction, record.parent_id) == ("post", "own", None)
    assert record.thread_id == record.id == "17918195224117851"
    assert record.author.as_dict() == {"id": USER, "name": "morakommun"}
    assert record.created_at == datetime(2026, 11, 28, 9, 15, 2, tzinfo=UTC)
    assert record.edited_at is None  # Instagram gives no edited time
    assert record.url == "https://www.instagram.com/p/C0aBcDeFgHi/"
    assert [m.key for m in record.media] == [
        "ig:media:17896129348033190",
        "ig:media:17896129348033191",
        "ig:thumb:17896129348033191",
    ]
    assert [m.kind for m in record.media] == ["image", "video", "video_thumbnail"]
    assert record.extra == {
        "media_type": "CAROUSEL_ALBUM", "media_product_type": "FEED", "shortcode": "C0aBcDeFgHi",
        "children": [{"id": "17896129348033190", "media_type": "IMAGE"},
                     {"id": "17896129348033191", "media_type": "VIDEO"}]}  # fmt: skip
    assert "comments" not in record.raw  # comments are records of their own
    assert record_problem(record) is None


def test_counts_stay_out_of_the_content_so_a_like_makes_no_version():
    raw = fixture("media_carousel")
    before = normalize_media(raw, user_id=USER, account="a").content_sha256()
    raw.update(like_count=999, comments_count=40)
    assert normalize_media(raw, user_id=USER, account="a").content_sha256() == before


def test_a_reel_without_a_file_url_keeps_its_cover_and_says_so():
    record = normalize_media(fixture("media_reel_without_file"), user_id=USER, account="a")
    assert [m.key for m in record.media] == ["ig:thumb:18011223344556677"]
    assert record.extra["media_url_missing"] is True
    assert record.extra["comments_disabled"] is True
    assert record.extra["media_product_type"] == "REELS"


def test_a_post_without_a_caption_has_no_text():
    record = normalize_media(fixture("media_image_no_caption"), user_id=USER, account="a")
    assert record.text is None and [m.kind for m in record.media] == ["image"]


def test_a_hidden_comment_without_from_keeps_the_username():
    record = normalize_comment(fixture("comment_hidden_without_from"), media_id="1",
                               user_id=USER, username="morakommun", account="a")  # fmt: skip
    assert (record.kind, record.parent_id, record.thread_id) == ("comment", "1", "1")
    assert record.author.as_dict() == {"id": None, "name": "spam.konto.123"}
    assert record.direction == "incoming"
    assert record.extra == {"is_hidden": True, "author_hidden": True}


def test_the_accounts_own_reply_is_own_and_answers_its_comment():
    record = normalize_comment(fixture("reply_own"), media_id="1", user_id=USER,
                               username="morakommun", account="a")  # fmt: skip
    assert (record.kind, record.parent_id, record.direction) == ("reply", "18040000000000001",
                                                                 "own")  # fmt: skip


def test_the_profile_keeps_biography_and_picture_but_not_counts():
    record = normalize_profile(fixture("profile"), account="a")
    assert record.kind == "profile" and record.id == USER
    assert record.text.startswith("Välkommen till Mora kommun!")
    assert record.url == "https://www.instagram.com/morakommun/"
    assert record.extra == {"username": "morakommun", "name": "Mora kommun",
                            "website": "https://www.mora.se"}  # fmt: skip
    assert record.media[0].key == "ig:profile:/v/t51.2885-19/30001_n.jpg"


def test_a_direct_message_is_incoming_with_its_attachment():
    record = normalize_message(fixture("message_with_image"), conversation_id="c1",
                               user_id=USER, username="morakommun", account="a")  # fmt: skip
    assert (record.kind, record.parent_id, record.thread_id) == ("message", "c1", "c1")
    assert record.direction == "incoming"
    assert record.author.as_dict() == {"id": "6543210987654321", "name": "erik_l"}
    assert [m.kind for m in record.media] == ["image"]
    assert record.media[0].key.startswith("ig:dm:")


def test_the_listing_marker_equals_the_full_reads():
    raw = fixture("media_carousel")
    listed = {"id": raw["id"], "caption": raw["caption"], "comments_count": 3}
    firsts = raw["comments"]["data"]
    assert change_marker(listed, firsts) == change_marker(raw, firsts)
    raw["caption"] += " (redigerad)"
    assert change_marker(listed, firsts) != change_marker(raw, firsts)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("media_carousel", {"timestamp": "igår"}),
        ("media_carousel", {"caption": {"text": "x"}}),
        ("media_carousel", {"children": "bild.jpg"}),
        ("media_carousel", {"id": {"value": "1"}}),
        ("reply_own", {"from": "morakommun"}),
    ],
)
def test_a_damaged_item_is_quarantined_not_stored(name, damage):
    conn = InstagramConnector(
        AccountSpec("a", "instagram", USER, Secret("t")), PlatformSettings(), __import__(
            "requests").Session(), lambda: datetime.now(UTC))  # fmt: skip
    kind = "post" if name.startswith("media") else "comment"
    context = conn.context(media_id="1")
    result = conn.normalised("posts", kind, {**fixture(name), **damage}, context)
    assert isinstance(result, Quarantined) and not isinstance(result, Record)
    assert InstagramConnector.renormalise(
        Quarantined(**{**result.__dict__, "raw": fixture(name)})
    ).kind in ("post", "reply")
