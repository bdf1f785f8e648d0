"""Pure normalisation of Graph API JSON, on fixtures shaped like real responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import AuthError, PermissionDenied, RateLimited, TransientError
from connectors.facebook.client import (
    ObjectMissing,
    Page,
    TooMuchData,
    classify,
    failure_from_envelope,
    parse_usage,
)
from connectors.facebook.normalize import (
    normalize_comment,
    normalize_message,
    normalize_post,
    normalize_profile,
)

FIXTURES = Path(__file__).parent / "fixtures" / "facebook"
PAGE = "100200300"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_post_is_own_with_utc_time_and_album_photos():
    post = normalize_post(load("post_with_comments.json"), page_id=PAGE, account="mora-fb")
    assert post.kind == "post" and post.direction == "own"
    assert post.created_at == datetime(2025, 2, 27, 9, 15, tzinfo=UTC)
    assert post.thread_id == post.id and post.parent_id is None
    assert [m.key for m in post.media] == ["fb:9001", "fb:9002"]
    assert "comments" not in post.raw


def test_comments_replies_directions_and_hidden_flag():
    raw = load("post_with_comments.json")
    records = [
        normalize_comment(c, post_id=raw["id"], page_id=PAGE, account="mora-fb")
        for c in raw["comments"]["data"]
    ]
    question, answer, hidden = records
    assert (question.kind, question.direction, question.parent_id) == (
        "comment",
        "incoming",
        raw["id"],
    )
    assert (answer.kind, answer.direction, answer.parent_id) == ("reply", "own", "5551_801")
    assert answer.thread_id == raw["id"]
    assert hidden.extra["is_hidden"] is True and "author_hidden" not in hidden.extra
    assert hidden.media[0].key == "fb:9100"


def test_content_hash_ignores_resigned_media_urls_but_sees_text_edits():
    raw = load("post_with_comments.json")
    first = normalize_post(raw, page_id=PAGE, account="mora-fb")
    resigned = json.loads(json.dumps(raw).replace("oh=aa", "oh=zz"))
    assert (
        normalize_post(resigned, page_id=PAGE, account="mora-fb").content_sha256()
        == first.content_sha256()
    )
    edited = {**raw, "message": raw["message"] + " (ändrat)"}
    assert (
        normalize_post(edited, page_id=PAGE, account="mora-fb").content_sha256()
        != first.content_sha256()
    )


def test_profile_keeps_sender_fields_and_pictures():
    profile = normalize_profile(load("page_profile.json"), account="mora-fb")
    assert profile.kind == "profile" and profile.id == PAGE and profile.direction == "own"
    assert profile.extra["website"] == "https://www.mora.se"
    assert "Kommunledningskontoret" in profile.text
    assert {m.kind for m in profile.media} == {"profile_picture", "cover_photo"}
    assert all(m.key.startswith("fb:path:/v/") for m in profile.media)


def test_messages_direction_thread_and_attachment():
    conversation = load("conversation.json")
    own, incoming = (
        normalize_message(m, conversation=conversation, page_id=PAGE, account="mora-fb")
        for m in conversation["messages"]["data"]
    )
    assert own.direction == "own" and incoming.direction == "incoming"
    assert own.thread_id == own.parent_id == "t_1234567"
    assert incoming.media[0].key == "fb:att_1"
    assert incoming.url == "https://www.facebook.com/morakommun/inbox/1234567/"


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"error": {"code": 190, "error_subcode": 463, "message": "Session has expired"}},
            400,
            AuthError,
        ),
        (
            {"error": {"code": 4, "message": "(#4) Application request limit reached"}},
            403,
            RateLimited,
        ),
        ({"error": {"code": 80001, "message": "too many calls"}}, 400, RateLimited),
        (
            {"error": {"code": 1, "message": "Please reduce the amount of data you're asking for"}},
            500,
            TooMuchData,
        ),
        (
            {"error": {"code": 200, "message": "(#200) Requires pages_messaging permission"}},
            403,
            PermissionDenied,
        ),
        (
            {"error": {"code": 100, "error_subcode": 33, "message": "Object does not exist"}},
            400,
            ObjectMissing,
        ),
        (
            {"error": {"code": 2, "message": "unexpected", "is_transient": True}},
            500,
            TransientError,
        ),
        ("Maintype was not text, image, or querystring", 502, TransientError),
    ],
)
def test_graph_errors_map_to_typed_errors(body, status, expected):
    assert isinstance(classify(failure_from_envelope(body, status)), expected)


def test_expired_token_message_says_what_to_do():
    error = classify(
        failure_from_envelope({"error": {"code": 190, "error_subcode": 463, "message": "x"}}, 400)
    )
    assert "expired" in str(error) and "renew" in str(error)  # the English log line
    assert (error.reason, error.params) == ("auth.token_expired", {"code": 190, "subcode": 463})


def test_usage_headers_give_percent_and_regain_time():
    usage = parse_usage(
        {
            "X-App-Usage": '{"call_count":41,"total_cputime":12,"total_time":30}',
            "X-Business-Use-Case-Usage": '{"100200300":[{"type":"pages","call_count":96,"total_cputime":5,"total_time":5,'
            '"estimated_time_to_regain_access":2}]}',
        }
    )
    assert usage.percent == 96 and usage.regain_seconds == 120


def test_page_next_params_keep_only_the_paging_position():
    page = Page.from_body(
        {
            "data": [{"id": "1"}],
            "paging": {
                "cursors": {"after": "QUZ"},
                "next": "https://graph.facebook.com/v21.0/1/published_posts?access_token=SECRET&limit=100&fields=id&after=QUZ",
            },
        }
    )
    assert page.next_params == {"after": "QUZ"}
    assert Page.from_body({"data": [], "paging": {"cursors": {"after": "x"}}}).next_params is None


SHAPES = load("post_shapes.json")
CONVERSATION = {"id": "t_1", "link": "/morakommun/inbox/1/"}


def test_a_video_post_keeps_its_file_and_thumbnail_not_only_the_thumbnail():
    post = normalize_post(SHAPES["video_post"], page_id=PAGE, account="mora-fb")
    media = {m.kind: m for m in post.media}
    assert media["video"].source_url.startswith("https://video.xx.fbcdn.net/")
    assert media["video"].key == "fb:7001:video" and media["video_thumbnail"].key == "fb:7001"
    assert post.extra["attachments"][0]["title"] == "Invigningen av nya förskolan"
    assert post.extra["story"] and post.extra["status_type"] == "added_video"


def test_a_link_share_keeps_its_target_title_and_description_and_tags():
    post = normalize_post(SHAPES["link_post"], page_id=PAGE, account="mora-fb")
    link = post.extra["attachments"][0]
    assert link["url"] == "https://www.mora.se/oversiktsplan"
    assert (link["title"], link["description"]) == (
        "Översiktsplan 2040",
        "Tyck till senast 31 maj.",
    )
    assert post.extra["message_tags"][0]["name"] == "Fritidsgården Mora"
    assert [m.kind for m in post.media] == ["thumbnail"]


def test_a_comment_without_from_is_kept_with_its_author_marked_hidden():
    comment = normalize_comment(
        SHAPES["hidden_author_comment"], post_id="100200300_6002", page_id=PAGE, account="mora-fb"
    )
    assert comment.author.id is None and comment.extra["author_hidden"] is True
    assert comment.direction == "incoming"
    assert comment.media[0].kind == "sticker" and comment.extra["attachment"]["type"] == "sticker"


def test_a_video_message_is_its_video_not_an_empty_record():
    message = normalize_message(
        SHAPES["video_message"], conversation=CONVERSATION, page_id=PAGE, account="mora-fb"
    )
    media = {m.kind: m for m in message.media}
    assert media["video"].mime_type == "video/mp4" and media["video"].key == "fb:att_v1"
    assert media["video_thumbnail"].key == "fb:att_v1:preview"
    assert message.extra["attachments"][0]["name"] == "video-1.mp4"


def test_a_message_keeps_files_stickers_and_shared_links():
    message = normalize_message(
        SHAPES["file_message"], conversation=CONVERSATION, page_id=PAGE, account="mora-fb"
    )
    assert {m.kind for m in message.media} == {"file", "sticker"}
    assert message.extra["sticker"] is True
    assert message.extra["shares"] == [{"link": "https://www.mora.se/blankett", "name": "Blankett"}]


@pytest.mark.parametrize(
    ("code", "message", "permission"),
    [
        (
            100,
            "(#100) The page requires the 'pages_read_engagement' permission",
            "pages_read_engagement",
        ),
        (
            10,
            "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
            "'Page Public Content Access' feature.",
            "pages_read_engagement",
        ),
        (200, "(#200) Requires pages_messaging permission to manage the object", "pages_messaging"),
        (283, "(#283) Requires extended permission: read_insights", "read_insights"),
        (
            190 + 20,
            "(#210) pages_read_user_content permission(s) must be granted",
            "pages_read_user_content",
        ),
    ],
)
def test_permission_errors_in_any_wording_name_the_missing_permission(code, message, permission):
    error = classify(failure_from_envelope({"error": {"code": code, "message": message}}, 403))
    assert isinstance(error, PermissionDenied)
    assert error.reason == "permission.missing" and error.params["permission"] == permission


def test_a_permission_error_without_a_name_is_still_a_permission_error():
    body = {"error": {"code": 200, "message": "(#200) Permissions error"}}
    error = classify(failure_from_envelope(body, 403))
    assert isinstance(error, PermissionDenied) and error.reason == "permission.denied"
    missing = {"error": {"code": 100, "error_subcode": 33, "message": "Object does not exist"}}
    assert isinstance(classify(failure_from_envelope(missing, 400)), ObjectMissing)


def test_graph_api_versions_are_the_connectors_knowledge(tmp_path):
    from connectors.facebook.connector import FacebookConnector
    from somed.config import ConfigError, load_config

    account = '[[accounts]]\nkey = "mora-fb"\nplatform = "facebook"\nid = "1"\ntoken_env = "X"\n'
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path}"\n[platforms.facebook]\n{account}')
    settings = load_config(path, {"X": "t"}).platform_settings("facebook")
    assert settings.api_version == FacebookConnector.default_api_version
    path.write_text(f'[storage]\ndir = "{tmp_path}"\n[platforms.facebook]\napi_version = "21"\n'
                    f"{account}")  # fmt: skip
    with pytest.raises(ConfigError, match="api_version"):
        load_config(path, {"X": "t"})


def test_a_lone_surrogate_in_a_first_comment_still_gives_a_change_marker():
    from connectors.facebook.normalize import change_marker

    post = {"id": "1_2", "updated_time": "2026-11-01T10:00:00+0000",
            "comments": {"summary": {"total_count": 1}}}  # fmt: skip
    broken = change_marker(post, [{"id": "1_2_3", "message": "Trasig \ud800 text"}])
    whole = change_marker(post, [{"id": "1_2_3", "message": "Hel text"}])
    assert broken.startswith("fb1:") and broken != whole
