"""The Facebook emulator over real loopback HTTP, checked with plain `requests`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from connectors.facebook.emulator import (
    ALL_PERMISSIONS,
    FacebookEmulator,
    FaultPlan,
    TokenInfo,
    demo_pages,
    generate_page,
    parse_fields,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PAGE = "555000111"
TOKEN = "test-token"
STREAM_FIELDS = (
    "id,message,created_time,updated_time,attachments{media_type,media,target,url},"
    "comments.filter(stream).order(chronological).limit(100).summary(true)"
    "{id,message,created_time,from,parent{id},attachment,permalink_url}"
)


class Clock:
    """A settable clock for the emulator."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> Iterator[FacebookEmulator]:
    page = generate_page(
        PAGE,
        "Testkommun",
        "testkommun",
        posts=250,
        comments_per_post=3,
        replies_per_comment=2,
        newest=NOW - timedelta(hours=1),
        conversations=2,
        messages_per_conversation=25,
        seed=7,
    )
    emu = FacebookEmulator([page], tokens={TOKEN: TokenInfo((PAGE,))}, clock=clock)
    with emu:
        yield emu


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def get(
    http: requests.Session, emu: FacebookEmulator, path: str, **params: Any
) -> requests.Response:
    params.setdefault("access_token", TOKEN)
    return http.get(f"{emu.base_url}/v21.0/{path}", params=params, timeout=10)


def error_of(response: requests.Response) -> dict[str, Any]:
    return response.json()["error"]


def walk(
    http: requests.Session, emu: FacebookEmulator, path: str, **params: Any
) -> tuple[list[dict[str, Any]], int]:
    """Follow `paging.next` like facebook-sdk does; return the items and the request count."""
    items: list[dict[str, Any]] = []
    requests_made = 0
    while True:
        body = get(http, emu, path, **params).json()
        requests_made += 1
        items.extend(body["data"])
        next_url = body.get("paging", {}).get("next")
        if not next_url:
            return items, requests_made
        assert next_url.startswith(f"https://graph.facebook.com/v21.0/{path}?")
        params = dict(parse_qsl(urlsplit(next_url).query))


# --- paging -----------------------------------------------------------------------------------


def test_paging_walks_every_post_once_newest_first(emulator, http):
    items, requests_made = walk(
        http, emulator, f"{PAGE}/published_posts", limit=100, fields="id,created_time"
    )
    assert requests_made == math.ceil(250 / 100)
    assert len(items) == 250 == len({item["id"] for item in items})
    times = [item["created_time"] for item in items]
    assert times == sorted(times, reverse=True)
    assert [r.path for r in emulator.http_requests()] == [f"/v21.0/{PAGE}/published_posts"] * 3


def test_last_page_has_cursors_but_no_next(emulator, http):
    body = get(http, emulator, f"{PAGE}/posts", limit=100, after=None).json()
    after = body["paging"]["cursors"]["after"]
    body = get(http, emulator, f"{PAGE}/posts", limit=100, after=after).json()
    last = get(
        http, emulator, f"{PAGE}/posts", limit=100, after=body["paging"]["cursors"]["after"]
    ).json()
    assert len(last["data"]) == 50
    assert "next" not in last["paging"] and "previous" in last["paging"]
    assert set(last["paging"]["cursors"]) == {"before", "after"}


def test_since_and_until_filter_on_created_time(emulator, http):
    all_items, _ = walk(http, emulator, f"{PAGE}/feed", limit=100, fields="created_time")
    boundary = all_items[9]["created_time"]
    since = int(datetime.strptime(boundary, "%Y-%m-%dT%H:%M:%S%z").timestamp())
    recent, _ = walk(http, emulator, f"{PAGE}/feed", limit=3, since=since, fields="created_time")
    assert [i["created_time"] for i in recent] == [i["created_time"] for i in all_items[:10]]
    iso = boundary.replace("+0000", "Z")
    older, _ = walk(http, emulator, f"{PAGE}/feed", limit=100, until=iso)
    assert len(older) == 241


def test_default_limit_is_25_and_limit_caps_at_100(emulator, http):
    assert len(get(http, emulator, f"{PAGE}/posts").json()["data"]) == 25
    assert len(get(http, emulator, f"{PAGE}/posts", limit=500).json()["data"]) == 100


def test_empty_pages_trap_keeps_a_next_and_loses_nothing(emulator, http):
    emulator.empty_pages_next(2)
    first = get(http, emulator, f"{PAGE}/published_posts", limit=100).json()
    assert first["data"] == [] and "next" in first["paging"]
    items, requests_made = walk(http, emulator, f"{PAGE}/published_posts", limit=100)
    assert requests_made == 4  # one more empty page, then the three real ones
    assert len({item["id"] for item in items}) == 250


def test_cursor_dies_with_its_item(emulator, http):
    body = get(http, emulator, f"{PAGE}/posts", limit=10).json()
    emulator.delete_post(body["data"][-1]["id"])
    after = body["paging"]["cursors"]["after"]
    response = get(http, emulator, f"{PAGE}/posts", limit=10, after=after)
    assert response.status_code == 400 and error_of(response)["code"] == 2642


# --- fields and comments --------------------------------------------------------------------


def test_fields_syntax_round_trips():
    specs = parse_fields(STREAM_FIELDS)
    assert [s.name for s in specs][-1] == "comments"
    assert specs[-1].modifiers == {
        "filter": "stream",
        "order": "chronological",
        "limit": "100",
        "summary": "true",
    }
    assert ",".join(s.text() for s in specs) == STREAM_FIELDS


def test_only_requested_fields_are_returned(emulator, http):
    post = get(http, emulator, f"{PAGE}/posts", limit=1, fields="message").json()["data"][0]
    assert set(post) == {"message", "id"}
    page = get(http, emulator, PAGE, fields="name,link,picture{url},cover{source},emails").json()
    assert page["link"] == "https://www.facebook.com/testkommun"
    assert set(page["picture"]["data"]) == {"url"} and set(page["cover"]) == {"source"}
    assert page["emails"] == ["info@testkommun.se"]


def test_unknown_field_is_error_100(emulator, http):
    response = get(http, emulator, PAGE, fields="name,bogus")
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "(#100) Tried accessing nonexisting field (bogus) on node type (Page)"
    )
    response = get(http, emulator, f"{PAGE}/posts", fields="comments{nope}")
    assert error_of(response)["code"] == 100


def test_nested_stream_comments_include_replies_with_parent(emulator, http):
    post = get(http, emulator, f"{PAGE}/published_posts", limit=1, fields=STREAM_FIELDS).json()[
        "data"
    ][0]
    comments = post["comments"]
    assert comments["summary"]["total_count"] == 9 == len(comments["data"])
    replies = [c for c in comments["data"] if "parent" in c]
    assert len(replies) == 6
    top_ids = {c["id"] for c in comments["data"] if "parent" not in c}
    assert all(set(r["parent"]) == {"id"} and r["parent"]["id"] in top_ids for r in replies)
    times = [c["created_time"] for c in comments["data"]]
    assert times == sorted(times)
    assert "next" not in comments.get("paging", {})


def test_nested_edge_pages_with_next_to_the_comments_edge(emulator, http):
    post = get(
        http,
        emulator,
        f"{PAGE}/posts",
        limit=1,
        fields="comments.filter(stream).limit(4){id,message}",
    ).json()["data"][0]
    next_url = post["comments"]["paging"]["next"]
    assert next_url.startswith(f"https://graph.facebook.com/v21.0/{post['id']}/comments?")
    query = dict(parse_qsl(urlsplit(next_url).query))
    assert query["filter"] == "stream" and query["fields"] == "id,message"
    rest, _ = walk(http, emulator, f"{post['id']}/comments", **query)
    ids = [c["id"] for c in post["comments"]["data"]] + [c["id"] for c in rest]
    assert len(ids) == len(set(ids)) == 9


def test_comments_edge_toplevel_order_and_replies(emulator, http):
    post_id = get(http, emulator, f"{PAGE}/posts", limit=1).json()["data"][0]["id"]
    top = get(http, emulator, f"{post_id}/comments", summary="true").json()
    assert len(top["data"]) == 3 and top["summary"]["total_count"] == 3
    reverse = get(http, emulator, f"{post_id}/comments", order="reverse_chronological").json()
    assert [c["id"] for c in reverse["data"]] == [c["id"] for c in top["data"]][::-1]
    replies = get(
        http, emulator, f"{top['data'][0]['id']}/comments", fields="id,parent,from"
    ).json()["data"]
    assert len(replies) == 2 and all(r["parent"]["id"] == top["data"][0]["id"] for r in replies)


def test_photo_attachments_and_signed_urls(emulator, http):
    def photo_post() -> dict[str, Any]:
        posts = get(
            http,
            emulator,
            f"{PAGE}/posts",
            limit=10,
            fields="full_picture,attachments{media,target,subattachments}",
        ).json()["data"]
        return next(p for p in posts if "attachments" in p)

    first, second = photo_post(), photo_post()
    src1 = first["attachments"]["data"][0]["media"]["image"]["src"]
    src2 = second["attachments"]["data"][0]["media"]["image"]["src"]
    assert src1.startswith("https://scontent.xx.fbcdn.net/media/")
    assert urlsplit(src1).path == urlsplit(src2).path and src1 != src2
    assert first["attachments"]["data"][0]["target"]["id"].isdigit()


# --- state changes ----------------------------------------------------------------------------


def test_edits_and_new_comments_move_updated_time(emulator, http, clock):
    post_id = emulator.add_post(PAGE, "Nytt inlägg", images=2)
    assert emulator.newest_post_id(PAGE) == post_id
    newest = get(
        http, emulator, f"{PAGE}/posts", limit=1, fields="message,updated_time,attachments"
    ).json()["data"][0]
    assert newest["id"] == post_id and newest["message"] == "Nytt inlägg"
    assert len(newest["attachments"]["data"][0]["subattachments"]["data"]) == 2
    story = get(http, emulator, post_id, fields="story,message_tags").json()
    assert story == {"story": "Testkommun added 2 new photos.", "id": post_id}
    clock.now = NOW + timedelta(hours=2)
    comment_id = emulator.add_comment(post_id, "När öppnar badhuset igen?")
    reply_id = emulator.add_comment(
        comment_id, "Om två veckor. /Anna, Kommunledningskontoret", author=(PAGE, "Testkommun")
    )
    post = get(http, emulator, post_id, fields="updated_time").json()
    assert post["updated_time"] == "2025-03-01T14:00:00+0000"
    clock.now = NOW + timedelta(hours=3)
    emulator.edit_post(post_id, "Nytt inlägg (ändrat)")
    emulator.edit_comment(comment_id, "När öppnar badhuset?")
    post = get(http, emulator, post_id, fields="message,updated_time").json()
    assert post == {
        "message": "Nytt inlägg (ändrat)",
        "updated_time": "2025-03-01T15:00:00+0000",
        "id": post_id,
    }
    reply = get(http, emulator, reply_id, fields="from,parent{message}").json()
    assert reply["from"] == {"name": "Testkommun", "id": PAGE}
    assert reply["parent"]["message"] == "När öppnar badhuset?"


def test_deleted_objects_are_error_100_subcode_33(emulator, http):
    post = get(http, emulator, f"{PAGE}/posts", limit=1, fields=STREAM_FIELDS).json()["data"][0]
    top = next(c for c in post["comments"]["data"] if "parent" not in c)
    reply_ids = [
        c["id"] for c in post["comments"]["data"] if c.get("parent", {}).get("id") == top["id"]
    ]
    emulator.delete_comment(top["id"])
    for gone in [top["id"], *reply_ids]:
        response = get(http, emulator, gone)
        assert response.status_code == 400
        error = error_of(response)
        assert (error["code"], error["error_subcode"], error["type"]) == (
            100,
            33,
            "GraphMethodException",
        )
    left = get(http, emulator, f"{post['id']}/comments", filter="stream").json()["data"]
    assert len(left) == 9 - 1 - len(reply_ids)
    emulator.delete_post(post["id"])
    assert error_of(get(http, emulator, post["id"]))["code"] == 100
    items, _ = walk(http, emulator, f"{PAGE}/posts", limit=100)
    assert len(items) == 249 and post["id"] not in {i["id"] for i in items}


# --- tokens, versions, permissions ------------------------------------------------------------


def test_token_errors(emulator, http):
    unknown = get(http, emulator, PAGE, access_token="nonsense")
    assert unknown.status_code == 400 and error_of(unknown)["code"] == 190
    assert error_of(unknown)["type"] == "OAuthException"
    emulator.expire_token(TOKEN)
    expired = error_of(get(http, emulator, PAGE))
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    assert expired["message"].startswith("Error validating access token: Session has expired on")


def test_token_reads_only_its_own_pages(emulator, http):
    other = generate_page("999", "Annan kommun", "annan", posts=2, newest=NOW)
    emulator.add_page(other)
    response = get(http, emulator, f"{other.posts[0].id}")
    assert (error_of(response)["code"], error_of(response)["error_subcode"]) == (100, 33)


def test_unsupported_version(emulator, http):
    response = http.get(f"{emulator.base_url}/v2.8/{PAGE}", params={"access_token": TOKEN})
    assert response.status_code == 400 and error_of(response)["code"] == 2635
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_usage_headers(emulator, http):
    response = get(http, emulator, PAGE)
    app = json.loads(response.headers["X-App-Usage"])
    assert set(app) == {"call_count", "total_cputime", "total_time"}
    buc = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert buc[PAGE][0]["type"] == "pages"
    assert buc[PAGE][0]["estimated_time_to_regain_access"] == 0


def test_conversations_need_pages_messaging(emulator, http):
    emulator.add_token("no-messaging", TokenInfo((PAGE,), ALL_PERMISSIONS - {"pages_messaging"}))
    response = get(
        http, emulator, f"{PAGE}/conversations", access_token="no-messaging", platform="messenger"
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == 200
    assert error_of(response)["message"] == (
        "(#200) Requires pages_messaging permission to manage the object"
    )


def test_conversations_and_the_newest_20_messages(emulator, http):
    emulator.add_message(PAGE, ("42", "Karin Larsson"), "Hej! Har ni öppet i dag?")
    body = get(
        http,
        emulator,
        f"{PAGE}/conversations",
        platform="messenger",
        fields="id,updated_time,message_count,participants,"
        "messages.limit(20){id,message,created_time,from,to}",
    ).json()
    newest = body["data"][0]
    assert newest["message_count"] == 1 and newest["id"].startswith("t_")
    assert newest["participants"]["data"][0]["id"] == "42"
    old = body["data"][1]
    assert old["message_count"] == 25 and len(old["messages"]["data"]) == 20
    assert "next" in old["messages"]["paging"]
    messages, _ = walk(http, emulator, f"{old['id']}/messages", limit=10, fields="id,created_time")
    assert len(messages) == 25
    times = [m["created_time"] for m in messages]
    assert times == sorted(times, reverse=True)
    assert get(http, emulator, messages[19]["id"], fields="message").status_code == 200
    too_old = get(http, emulator, messages[20]["id"])
    assert too_old.status_code == 400 and error_of(too_old)["code"] == 100


# --- batch ------------------------------------------------------------------------------------


def test_batch_answers_each_item_and_logs_both_levels(emulator, http):
    post_ids = [p["id"] for p in get(http, emulator, f"{PAGE}/posts", limit=2).json()["data"]]
    emulator.delete_post(post_ids[1])
    emulator.reset_log()
    batch = [
        {"method": "GET", "relative_url": f"v21.0/{pid}?fields=id,message"} for pid in post_ids
    ]
    batch.append({"method": "GET", "relative_url": f"{PAGE}?fields=name"})
    response = http.post(
        f"{emulator.base_url}/v21.0",
        data={"access_token": TOKEN, "batch": json.dumps(batch), "include_headers": "false"},
    )
    assert response.status_code == 200
    answers = response.json()
    assert [a["code"] for a in answers] == [200, 400, 200]
    assert "headers" not in answers[0]
    assert json.loads(answers[0]["body"])["id"] == post_ids[0]
    assert json.loads(answers[1]["body"])["error"]["error_subcode"] == 33
    assert json.loads(answers[2]["body"])["name"] == "Testkommun"
    assert len(emulator.http_requests()) == 1
    assert emulator.request_log[0].batch_size == 3 and not emulator.request_log[0].batch
    assert [(r.batch, r.status) for r in emulator.request_log[1:]] == [
        (True, 200),
        (True, 400),
        (True, 200),
    ]
    assert all("access_token" not in r.query for r in emulator.request_log)


def test_batch_with_headers_and_too_large(emulator, http):
    one = [{"method": "GET", "relative_url": PAGE}]
    answer = http.post(
        f"{emulator.base_url}/", data={"access_token": TOKEN, "batch": json.dumps(one)}
    ).json()[0]
    assert {"name": "Content-Type", "value": "text/javascript; charset=UTF-8"} in answer["headers"]
    response = http.post(
        f"{emulator.base_url}/v21.0/", data={"access_token": TOKEN, "batch": json.dumps(one * 51)}
    )
    assert response.status_code == 400 and error_of(response)["code"] == 1


# --- faults -----------------------------------------------------------------------------------


def test_fail_next_throttle(emulator, http):
    emulator.fail_next(1, "throttle", code=32, status=403)
    response = get(http, emulator, PAGE)
    assert response.status_code == 403
    error = error_of(response)
    assert (error["code"], error["is_transient"]) == (32, True)
    assert error["message"] == "(#32) Page request limit reached"
    assert json.loads(response.headers["X-App-Usage"])["call_count"] == 100
    assert get(http, emulator, PAGE).status_code == 200
    assert emulator.http_requests()[0].fault == "throttle"


def test_fail_next_server_errors(emulator, http):
    emulator.fail_next(1, "server_error", status=502, html=True)
    emulator.fail_next(1, "server_error", status=503, html=False)
    html = get(http, emulator, PAGE)
    assert html.status_code == 502 and html.headers["Content-Type"].startswith("text/html")
    plain = get(http, emulator, PAGE)
    assert plain.status_code == 503
    assert (error_of(plain)["code"], error_of(plain)["is_transient"]) == (2, True)


def test_fail_next_malformed_reduce_data_expired_permission(emulator, http):
    emulator.fail_next(1, "malformed")
    emulator.fail_next(1, "reduce_data")
    emulator.fail_next(1, "expired_token")
    emulator.fail_next(1, "permission")
    malformed = get(http, emulator, f"{PAGE}/posts")
    assert malformed.status_code == 200 and "json" in malformed.headers["Content-Type"]
    with pytest.raises(ValueError):
        json.loads(malformed.text)
    reduce = get(http, emulator, f"{PAGE}/posts")
    assert reduce.status_code == 500 and error_of(reduce)["code"] == 1
    assert "reduce the amount of data" in error_of(reduce)["message"]
    expired = error_of(get(http, emulator, PAGE))
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    permission = get(http, emulator, PAGE)
    assert permission.status_code == 403 and error_of(permission)["code"] == 200
    assert get(http, emulator, PAGE).status_code == 200


def test_random_faults_at_rate_one_never_change_state(emulator, http):
    fields = "id,message,updated_time,comments.filter(stream){id,message}"
    before, _ = walk(http, emulator, f"{PAGE}/posts", limit=100, fields=fields)
    emulator.empty_pages_next(1)
    emulator.set_faults(
        FaultPlan(
            rate=1.0,
            kinds=("throttle", "server_error", "malformed", "reduce_data"),
            regain_minutes=7,
            seed=3,
        )
    )
    batch = json.dumps([{"method": "GET", "relative_url": f"{PAGE}/posts"}])
    statuses = set()
    for _ in range(12):
        statuses.add(get(http, emulator, f"{PAGE}/posts", limit=100).status_code)
        statuses.add(
            http.post(
                emulator.base_url + "/v21.0", data={"access_token": TOKEN, "batch": batch}
            ).status_code
        )
    assert all(r.fault for r in emulator.http_requests()[-24:])
    assert statuses & {400, 403, 500, 502, 503} and not any(
        r.batch for r in emulator.request_log[-24:]
    )
    emulator.set_faults(None)
    trapped = get(http, emulator, f"{PAGE}/posts").json()
    assert trapped["data"] == []  # the trap was not used up by the faulted requests
    after, _ = walk(http, emulator, f"{PAGE}/posts", limit=100, fields=fields)
    assert after == before


def test_throttle_fault_reports_regain_time(emulator, http):
    emulator.set_faults(FaultPlan(rate=1.0, kinds=("throttle",), regain_minutes=7, seed=5))
    response = get(http, emulator, PAGE)
    assert error_of(response)["code"] in {4, 17, 32, 613, 80001}
    buc = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert buc[PAGE][0]["estimated_time_to_regain_access"] == 7


def test_fault_sequence_is_deterministic(clock):
    def codes() -> list[int]:
        plan = FaultPlan(rate=0.5, seed=11)
        page = generate_page(PAGE, "T", "t", posts=3, newest=NOW)
        with (
            FacebookEmulator(
                [page], tokens={TOKEN: TokenInfo((PAGE,))}, faults=plan, clock=clock
            ) as emu,
            requests.Session() as session,
        ):
            return [get(session, emu, PAGE).status_code for _ in range(20)]

    first = codes()
    assert first == codes() and 200 in first and set(first) != {200}


# --- media and data sets ----------------------------------------------------------------------


def test_media_is_a_distinct_png_per_name_on_any_host_path(emulator, http):
    a = http.get(f"{emulator.base_url}/media/photo_1.png?oh=00_x&oe=ABC")
    b = http.get(f"{emulator.base_url}/media/photo_2.png?oh=00_y&oe=DEF")
    again = http.get(f"{emulator.base_url}/media/photo_1.png?oh=00_z&oe=123")
    assert a.headers["Content-Type"] == "image/png"
    assert a.content.startswith(b"\x89PNG\r\n\x1a\n") and a.content[12:16] == b"IHDR"
    assert a.content != b.content and a.content == again.content
    emulator.set_faults(FaultPlan(rate=1.0))
    assert http.get(f"{emulator.base_url}/media/photo_1.png").status_code == 200


def test_facebook_sdk_walks_the_emulator(emulator, monkeypatch):
    facebook = pytest.importorskip("facebook")
    monkeypatch.setattr(facebook, "FACEBOOK_GRAPH_URL", emulator.base_url + "/")
    graph = facebook.GraphAPI(access_token=TOKEN)
    graph.version = "v21.0"
    posts = list(graph.get_all_connections(PAGE, "published_posts", limit=100, fields="id"))
    assert len(posts) == 250
    with pytest.raises(facebook.GraphAPIError) as raised:
        graph.get_object("does-not-exist")
    assert raised.value.code == 100


def test_demo_pages():
    pages, tokens = demo_pages(NOW)
    mora, fritid = pages
    assert (mora.id, mora.name) == ("100200300", "Mora kommun (demo)")
    assert (fritid.id, fritid.name) == ("100200400", "Fritidsgården Mora (demo)")
    assert 55 <= len(mora.posts) <= 65 and 20 <= len(fritid.posts) <= 30
    assert all(NOW - timedelta(days=90) <= p.created_time <= NOW for p in mora.posts)
    newest_fritid = max(p.created_time for p in fritid.posts)
    assert timedelta(days=230) <= NOW - newest_fritid <= timedelta(days=250)
    assert len(mora.conversations) == 3
    replies = [r for p in mora.posts for c in p.comments for r in c.replies]
    assert any(
        r.author[0] == mora.id and r.message.endswith("/Anna, Kommunledningskontoret")
        for r in replies
    )
    assert "pages_messaging" not in tokens["demo-token-fritid"].permissions
    assert tokens["demo-token-mora"].page_ids == ("100200300",)
    again, _ = demo_pages(NOW)
    assert [p.message for p in again[0].posts] == [p.message for p in mora.posts]


def test_a_new_comment_never_gets_the_id_of_a_deleted_one(emulator):
    post_id = emulator.newest_post_id(PAGE)
    first = emulator.add_comment(post_id, "Första")
    emulator.delete_comment(first)
    assert emulator.add_comment(post_id, "Andra") != first
